import { createHash, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueCertificate } from './certificate-authority.js';
import { describeCertificates, subjectAltNames } from './certificate-description.js';

describe('describeCertificates', () => {
  it('names a controller leaf: identity, DNS names, IPs, validity and the SHA-256 fingerprint of its DER', async () => {
    const ca = await createCertificateAuthority();
    const notAfter = new Date('2031-01-02T03:04:05Z');
    const leaf = await issueCertificate(ca, { kind: 'controller', id: 'ctl-1', dnsNames: ['controller-1', 'localhost'], ipAddresses: ['127.0.0.1'], notAfter });
    const [d, ...rest] = describeCertificates(leaf.certPem);
    expect(rest).toEqual([]);
    expect(d).toMatchObject({
      subject: 'CN=ctl-1',
      issuer: 'CN=gateway fleet CA',
      isCA: false,
      identity: { kind: 'controller', id: 'ctl-1', uri: 'spiffe://gateway/controller/ctl-1' },
      uris: ['spiffe://gateway/controller/ctl-1'],
      dnsNames: ['controller-1', 'localhost'],
      ipAddresses: ['127.0.0.1'],
      notAfter,
    });
    const der = new X509Certificate(leaf.certPem).raw;
    const hex = createHash('sha256').update(der).digest('hex').toUpperCase();
    expect(d!.fingerprintSha256.replaceAll(':', '')).toBe(hex);
  });

  it('lists every certificate of a CA bundle, each a CA without identity', async () => {
    const [a, b] = await Promise.all([createCertificateAuthority({ commonName: 'old CA' }), createCertificateAuthority({ commonName: 'new CA' })]);
    const all = describeCertificates(`${a.certPem}${b.certPem}`);
    expect(all.map((d) => [d.subject, d.isCA, d.identity])).toEqual([
      ['CN=old CA', true, undefined],
      ['CN=new CA', true, undefined],
    ]);
  });

  it('refuses text without a certificate and a block that does not parse', () => {
    expect(() => describeCertificates('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')).toThrow(/no PEM certificate/);
    expect(() => describeCertificates('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')).toThrow(/certificate 1 does not parse/);
  });

  it('splits a subjectaltname string by type', () => {
    expect(subjectAltNames('URI:spiffe://gateway/runtime/rt-1, DNS:a.example, IP Address:10.0.0.1, email:x@y')).toEqual({
      uris: ['spiffe://gateway/runtime/rt-1'],
      dnsNames: ['a.example'],
      ipAddresses: ['10.0.0.1'],
    });
    expect(subjectAltNames(undefined)).toEqual({ uris: [], dnsNames: [], ipAddresses: [] });
  });
});
