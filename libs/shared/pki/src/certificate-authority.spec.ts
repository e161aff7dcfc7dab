import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { tempDirs } from '@gw/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueCertificate, type KeyPair } from './certificate-authority.js';
import { certificateFiles, initCertificateDirectory, issueToDirectory } from './certificate-files.js';
import { certificateNotAfter } from './pem-certificates.js';
import { peerIdentity } from './spiffe-identity.js';

/** A real mutual-TLS handshake on 127.0.0.1: resolves with what each side saw, or the client's error. */
async function handshake(server: { ca: string; pair: KeyPair }, client: { ca: string; pair?: KeyPair }): Promise<{ ok: true; peerSan: string | undefined } | { ok: false; error: string }> {
  const srv = createServer({ cert: server.pair.certPem, key: server.pair.keyPem, ca: server.ca, requestCert: true, rejectUnauthorized: true }, (socket: TLSSocket) => {
    socket.end(socket.getPeerCertificate().subjectaltname ?? '');
  });
  srv.on('tlsClientError', () => undefined);
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  try {
    return await new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: client.ca, cert: client.pair?.certPem, key: client.pair?.keyPem });
      let data = '';
      socket.on('data', (d: Buffer) => (data += d.toString()));
      socket.on('end', () => resolve(data ? { ok: true, peerSan: data } : { ok: false, error: 'closed without an answer' }));
      socket.on('error', (err) => resolve({ ok: false, error: err.message }));
    });
  } finally {
    srv.close();
  }
}

describe('certificate authority', () => {
  const dirs = tempDirs('gw-pki-');
  afterEach(() => dirs.removeAll());

  it('issues a controller and a runtime certificate that complete a mutual TLS handshake carrying the runtime identity', async () => {
    const ca = await createCertificateAuthority();
    const controller = await issueCertificate(ca, { kind: 'controller', id: 'ctl-1', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    const runtime = await issueCertificate(ca, { kind: 'runtime', id: 'rt-a1' });
    const result = await handshake({ ca: ca.certPem, pair: controller }, { ca: ca.certPem, pair: runtime });
    expect(result).toEqual({ ok: true, peerSan: 'URI:spiffe://gateway/runtime/rt-a1' });
    expect(peerIdentity('runtime', result.ok ? result.peerSan : undefined)).toBe('rt-a1');
    expect(new X509Certificate(runtime.certPem).checkIssued(new X509Certificate(ca.certPem))).toBe(true);
  });

  it('a certificate from another CA and an expired certificate are refused by the handshake', async () => {
    const ca = await createCertificateAuthority();
    const other = await createCertificateAuthority();
    const controller = await issueCertificate(ca, { kind: 'controller', id: 'ctl-1', dnsNames: ['localhost'] });
    const stranger = await issueCertificate(other, { kind: 'runtime', id: 'rt-a1' });
    const expired = await issueCertificate(ca, { kind: 'runtime', id: 'rt-a1', notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    for (const pair of [stranger, expired]) {
      const result = await handshake({ ca: ca.certPem, pair: controller }, { ca: ca.certPem, pair });
      expect(result.ok).toBe(false);
    }
    expect(certificateNotAfter(expired.certPem).getTime()).toBeLessThan(Date.now());
  });

  it('refuses ids that are not a single safe path segment', async () => {
    const ca = await createCertificateAuthority();
    await expect(issueCertificate(ca, { kind: 'runtime', id: '../etc' })).rejects.toThrow(/must match/);
    expect(() => certificateFiles('/tmp').leaf('runtime', 'a/b')).toThrow(/must match/);
  });

  it('writes a directory whose keys only their owner can read, and re-issues in place', async () => {
    const dir = `${dirs.make()}/pki`;
    const { caKey } = await initCertificateDirectory(dir);
    await expect(initCertificateDirectory(dir)).rejects.toThrow(/EEXIST/);
    const first = await issueToDirectory(dir, { kind: 'runtime', id: 'rt-1' });
    const again = await issueToDirectory(dir, { kind: 'runtime', id: 'rt-1' });
    expect(again).toEqual(first);
    for (const key of [caKey, first.key]) expect((await stat(key)).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });
});

describe('peer identity', () => {
  it('takes the one runtime SPIFFE id of a subjectaltname string and refuses ambiguity', () => {
    expect(peerIdentity('runtime', 'DNS:localhost, URI:spiffe://gateway/runtime/r1')).toBe('r1');
    expect(peerIdentity('runtime', 'URI:spiffe://gateway/runtime/r1, URI:spiffe://gateway/runtime/r2')).toBeUndefined();
    expect(peerIdentity('runtime', 'URI:spiffe://gateway/controller/c1')).toBeUndefined();
    expect(peerIdentity('runtime', 'URI:spiffe://other/runtime/r1')).toBeUndefined();
    expect(peerIdentity('runtime', undefined)).toBeUndefined();
  });
});
