import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCertificateAuthority, issueCertificate, type KeyPair, type LeafOptions, type Validity } from './certificate-authority.js';
import { spiffeId, type PeerKind } from './spiffe-identity.js';

/**
 * The on-disk layout `gatewayctl certs` writes and the demo and tests share:
 *   DIR/ca.crt, DIR/ca.key                 the fleet CA
 *   DIR/<kind>-<id>.crt, DIR/<kind>-<id>.key  one leaf per controller or runtime
 * Keys are written 0600 and the directory 0700: only their owner may read them.
 */
export const certificateFiles = (dir: string) => ({
  caCert: join(dir, 'ca.crt'),
  caKey: join(dir, 'ca.key'),
  leaf: (kind: PeerKind, id: string) => {
    spiffeId(kind, id); // refuses ids that would escape the directory
    return { cert: join(dir, `${kind}-${id}.crt`), key: join(dir, `${kind}-${id}.key`) };
  },
});

/**
 * Without `overwrite` a file that exists is refused (EEXIST). With it, each file is written
 * beside its final name and renamed into place, so a process re-reading it (rotation) sees
 * the old file or the new one, never half of one.
 */
async function writeFileSafely(path: string, data: string, mode: number, overwrite: boolean): Promise<void> {
  if (!overwrite) return writeFile(path, data, { mode, flag: 'wx' });
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, data, { mode, flag: 'w' });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

async function writePair(pair: KeyPair, certPath: string, keyPath: string, overwrite: boolean): Promise<void> {
  // Write the key first: a leftover certificate without its key is harmless, the reverse leaks nothing either.
  await writeFileSafely(keyPath, pair.keyPem, 0o600, overwrite);
  await writeFileSafely(certPath, pair.certPem, 0o644, overwrite);
}

/** Creates DIR with a new CA. Refuses to replace an existing CA unless `overwrite`. */
export async function initCertificateDirectory(dir: string, options: Validity & { commonName?: string; overwrite?: boolean } = {}): Promise<{ caCert: string; caKey: string }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const files = certificateFiles(dir);
  await writePair(await createCertificateAuthority(options), files.caCert, files.caKey, options.overwrite ?? false);
  return { caCert: files.caCert, caKey: files.caKey };
}

export async function readCertificateAuthority(dir: string): Promise<KeyPair> {
  const files = certificateFiles(dir);
  return { certPem: await readFile(files.caCert, 'utf8'), keyPem: await readFile(files.caKey, 'utf8') };
}

/**
 * Issues a leaf signed by DIR's CA into DIR. Re-issuing the same id replaces its files
 * (that is how a certificate is renewed); processes that watch them pick the new one up.
 */
export async function issueToDirectory(dir: string, options: LeafOptions): Promise<{ cert: string; key: string; ca: string }> {
  const paths = certificateFiles(dir).leaf(options.kind, options.id);
  await writePair(await issueCertificate(await readCertificateAuthority(dir), options), paths.cert, paths.key, true);
  return { ...paths, ca: certificateFiles(dir).caCert };
}
