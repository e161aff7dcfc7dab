import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { initCertificateDirectory, issueToDirectory } from '@gw/pki';
import { tempDirs } from '@gw/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { ReloadingTlsFiles, type TlsFiles } from './reloading-tls-files.js';

const dirs = tempDirs('gw-grpc-tls-');
const opened: ReloadingTlsFiles[] = [];
afterEach(() => {
  for (const f of opened.splice(0)) f.close();
  dirs.removeAll();
});

async function fleet(): Promise<{ dir: string; files: TlsFiles }> {
  const dir = dirs.make();
  await initCertificateDirectory(dir);
  const leaf = await issueToDirectory(dir, { kind: 'runtime', id: 'rt-1' });
  return { dir, files: { certFile: leaf.cert, keyFile: leaf.key, caFile: leaf.ca } };
}

function watch(files: TlsFiles, errors: string[] = [], loaded: Date[] = []): ReloadingTlsFiles {
  const f = new ReloadingTlsFiles(files, { intervalMs: 3_600_000, onError: (e) => errors.push(e.message), onLoaded: (i) => loaded.push(i.certificateNotAfter) });
  opened.push(f);
  return f;
}

describe('ReloadingTlsFiles', () => {
  it('reads the files at once and describes them', async () => {
    const { files } = await fleet();
    const f = watch(files);
    expect(f.info.subjectAltName).toBe('URI:spiffe://gateway/runtime/rt-1');
    expect(f.info.fingerprint256).toBe(new X509Certificate(readFileSync(files.certFile)).fingerprint256);
    expect(f.info.caNotAfter.getTime()).toBeGreaterThan(f.info.certificateNotAfter.getTime());
  });

  it('refuses unusable files at construction, naming the file', async () => {
    const { dir, files } = await fleet();
    const other = await issueToDirectory(dir, { kind: 'runtime', id: 'rt-2' });
    expect(() => watch({ ...files, keyFile: other.key })).toThrow(`${other.key} is not the key of ${files.certFile}`);
    writeFileSync(files.caFile, 'not a certificate');
    expect(() => watch(files)).toThrow(files.caFile);
  });

  it('publishes a renewed certificate to its listeners; a half-written pair keeps the last good one and is reported once', async () => {
    const { dir, files } = await fleet();
    const errors: string[] = [];
    const loaded: Date[] = [];
    const f = watch(files, errors, loaded);
    const identities: Buffer[] = [];
    f.addIdentityCertificateListener((u) => u && identities.push(u.certificate));
    await new Promise((r) => process.nextTick(r));
    expect(identities).toHaveLength(1);
    expect(await f.reload()).toBe(false); // nothing changed

    // Renewal writes the key first: a read between the two writes sees a mismatched pair.
    const oldCert = readFileSync(files.certFile);
    const notAfter = new Date(Math.floor((Date.now() + 10 * 86_400_000) / 1000) * 1000);
    await issueToDirectory(dir, { kind: 'runtime', id: 'rt-1', notAfter });
    const newCert = readFileSync(files.certFile);
    writeFileSync(files.certFile, oldCert);
    expect(await f.reload()).toBe(false);
    expect(await f.reload()).toBe(false);
    expect(errors).toEqual([`${files.keyFile} is not the key of ${files.certFile}`]);
    expect(identities).toHaveLength(1);

    writeFileSync(files.certFile, newCert);
    expect(await f.reload()).toBe(true);
    expect(identities.map((c) => c.equals(newCert))).toEqual([false, true]);
    expect(f.info.certificateNotAfter).toEqual(notAfter);
    expect(loaded.at(-1)).toEqual(notAfter);
  });
});
