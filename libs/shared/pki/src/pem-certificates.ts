import { X509Certificate } from 'node:crypto';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The certificate blocks of a PEM text, in order: a leaf, a CA, or a bundle (during a CA
 * rotation a bundle holds the old and the new CA). node:crypto parses only the first
 * certificate of a text, so every reader of bundles splits them here.
 */
export function pemCertificateBlocks(pem: string): string[] {
  return pem.match(PEM_CERTIFICATE) ?? [];
}

/** When the first certificate in a PEM (bundle) stops being valid. */
export function certificateNotAfter(pem: string | Buffer): Date {
  return new Date(new X509Certificate(pem).validTo);
}
