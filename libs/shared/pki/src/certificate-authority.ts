// @peculiar/x509's dependency injection (tsyringe) needs the Reflect metadata API first.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { spiffeId, type PeerKind } from './spiffe-identity.js';

// @peculiar/x509 signs through WebCrypto; Node's is complete (ECDSA P-256 + SHA-256).
x509.cryptoProvider.set(webcrypto as never); // its d.ts names the DOM Crypto type, which Node's types do not declare

/** ECDSA P-256: small keys, fast handshakes, accepted by every TLS stack gRPC uses. */
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

export const DEFAULT_CA_DAYS = 3_650;
/** Short-lived leaves make rotation routine (cert-manager's default is 90 days too). */
export const DEFAULT_LEAF_DAYS = 90;

/** A certificate and its private key, both PEM (the key as unencrypted PKCS#8). */
export interface KeyPair {
  certPem: string;
  keyPem: string;
}

export interface Validity {
  /** Default: now minus one minute (tolerates small clock skew between hosts). */
  notBefore?: Date;
  /** Default: notBefore plus the kind's default number of days. */
  notAfter?: Date;
}

export interface LeafOptions extends Validity {
  kind: PeerKind;
  id: string;
  /** DNS names the certificate is valid for as a server (controllers: their host names). */
  dnsNames?: string[];
  ipAddresses?: string[];
}

function validity(v: Validity, days: number): { notBefore: Date; notAfter: Date } {
  const notBefore = v.notBefore ?? new Date(Date.now() - 60_000);
  return { notBefore, notAfter: v.notAfter ?? new Date(notBefore.getTime() + days * DAY_MS) };
}

/** 127 random bits, positive (RFC 5280: at most 20 octets, non-negative). */
const serialNumber = () => {
  const bytes = randomBytes(16);
  bytes[0]! &= 0x7f;
  return bytes.toString('hex');
};

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
}

async function importKey(pem: string): Promise<webcrypto.CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, false, ['sign']);
}

const generateKeys = () => webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);

/** A new self-signed CA that may sign leaf certificates only (path length 0). */
export async function createCertificateAuthority(options: Validity & { commonName?: string } = {}): Promise<KeyPair> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${options.commonName ?? 'gateway fleet CA'}`,
    ...validity(options, DEFAULT_CA_DAYS),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await keyPem(keys.privateKey) };
}

/**
 * A controller (server) or runtime (client) certificate signed by `ca`, naming its
 * identity in a SPIFFE URI SAN (see spiffe-identity.ts). Controllers also get the DNS
 * names and IPs runtimes dial; runtimes need none.
 */
export async function issueCertificate(ca: KeyPair, options: LeafOptions): Promise<KeyPair> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const keys = await generateKeys();
  const names: x509.JsonGeneralName[] = [
    { type: 'url', value: spiffeId(options.kind, options.id) },
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${options.id}`,
    issuer: caCert.subject,
    ...validity(options, DEFAULT_LEAF_DAYS),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: await importKey(ca.keyPem),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([options.kind === 'controller' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await keyPem(keys.privateKey) };
}
