import { X509Certificate } from 'node:crypto';
import { idFromSpiffeId, type PeerKind } from './spiffe-identity.js';
import { pemCertificateBlocks } from './pem-certificates.js';

/** What `gatewayctl certs show` prints about one certificate. */
export interface CertificateDescription {
  subject: string;
  issuer: string;
  /** A CA certificate (may sign others) rather than a controller or runtime leaf. */
  isCA: boolean;
  /** The gateway identity a leaf carries (`spiffe://gateway/<kind>/<id>`), if it carries exactly one. */
  identity: { kind: PeerKind; id: string; uri: string } | undefined;
  uris: string[];
  dnsNames: string[];
  ipAddresses: string[];
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 of the DER encoding, colon-separated hex (what `openssl x509 -fingerprint -sha256` prints). */
  fingerprintSha256: string;
}

/**
 * Every certificate in a PEM text, in order: a leaf, a CA, or a CA bundle (during a CA
 * rotation a bundle holds the old and the new CA). Throws when the text holds none or one
 * does not parse.
 */
export function describeCertificates(pem: string): CertificateDescription[] {
  const blocks = pemCertificateBlocks(pem);
  if (blocks.length === 0) throw new Error('no PEM certificate (-----BEGIN CERTIFICATE-----) found');
  return blocks.map((block, i) => {
    try {
      return describe(new X509Certificate(block));
    } catch (err) {
      throw new Error(`certificate ${i + 1} does not parse: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
}

function describe(cert: X509Certificate): CertificateDescription {
  const names = subjectAltNames(cert.subjectAltName);
  const identities = (['runtime', 'controller'] as const).flatMap((kind) =>
    names.uris.flatMap((uri) => {
      const id = idFromSpiffeId(kind, uri);
      return id === undefined ? [] : [{ kind, id, uri }];
    }),
  );
  return {
    subject: cert.subject.replaceAll('\n', ', '),
    issuer: cert.issuer.replaceAll('\n', ', '),
    isCA: cert.ca,
    identity: identities.length === 1 ? identities[0] : undefined,
    ...names,
    serialNumber: cert.serialNumber,
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    fingerprintSha256: cert.fingerprint256,
  };
}

/** Node's `subjectaltname` string (`DNS:a, URI:spiffe://…, IP Address:…`) by type. */
export function subjectAltNames(san: string | undefined): { uris: string[]; dnsNames: string[]; ipAddresses: string[] } {
  const out = { uris: [] as string[], dnsNames: [] as string[], ipAddresses: [] as string[] };
  for (const entry of san ? san.split(', ') : []) {
    if (entry.startsWith('URI:')) out.uris.push(entry.slice(4));
    else if (entry.startsWith('DNS:')) out.dnsNames.push(entry.slice(4));
    else if (entry.startsWith('IP Address:')) out.ipAddresses.push(entry.slice(11));
  }
  return out;
}
