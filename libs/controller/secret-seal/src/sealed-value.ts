import { ErrorCodes, GatewayError } from '@gw/errors';

/**
 * A sealed secret is a string, so it takes the plaintext's place in the definition's
 * JSON without changing its shape:
 *
 *     $sealed:v1:<kid>:<iv>:<ciphertext>:<tag>
 *
 * `v1` is AES-256-GCM with a random 96-bit IV and a 128-bit tag; iv, ciphertext and tag
 * are base64url; `kid` is the sealing key's id (secret-key.ts). The prefix up to the kid
 * is the GCM additional data, so the version and key id cannot be swapped either.
 */
export const SEALED_PREFIX = '$sealed:';
export const SEAL_VERSION = 'v1';

export interface SealedParts {
  kid: string;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

const B64URL = /^[A-Za-z0-9_-]*$/;
const KID = /^[0-9a-f]{16}$/;

/** Whether a stored value is sealed (else it is a plaintext secret). */
export function isSealed(value: string): boolean {
  return value.startsWith(SEALED_PREFIX);
}

/** What GCM authenticates besides the ciphertext: the envelope's version and key id. */
export function sealedHeader(kid: string): string {
  return `${SEALED_PREFIX}${SEAL_VERSION}:${kid}`;
}

export function formatSealed(parts: SealedParts): string {
  return `${sealedHeader(parts.kid)}:${parts.iv.toString('base64url')}:${parts.ciphertext.toString('base64url')}:${parts.tag.toString('base64url')}`;
}

/** The envelope's parts; GW_SECRET_ENVELOPE_INVALID when it is not a v1 envelope. */
export function parseSealed(value: string): SealedParts {
  const fields = value.slice(SEALED_PREFIX.length).split(':');
  const [version, kid, iv, ciphertext, tag] = fields;
  const invalid = (why: string) =>
    new GatewayError(ErrorCodes.GW_SECRET_ENVELOPE_INVALID, `a sealed secret is malformed: ${why}`, { details: { ...(kid !== undefined && KID.test(kid) ? { kid } : {}) } });
  if (!isSealed(value)) throw invalid(`it does not start with "${SEALED_PREFIX}"`);
  if (version !== SEAL_VERSION) throw invalid(`unknown version ${JSON.stringify(String(version).slice(0, 16))} (this controller reads ${SEAL_VERSION})`);
  if (fields.length !== 5 || kid === undefined || !KID.test(kid)) throw invalid('expected $sealed:v1:<kid>:<iv>:<ciphertext>:<tag>');
  if (![iv, ciphertext, tag].every((p) => p !== undefined && B64URL.test(p))) throw invalid('iv, ciphertext and tag must be base64url');
  const parts = { kid, iv: Buffer.from(iv!, 'base64url'), ciphertext: Buffer.from(ciphertext!, 'base64url'), tag: Buffer.from(tag!, 'base64url') };
  if (parts.iv.length !== 12 || parts.tag.length !== 16) throw invalid('the iv must be 12 bytes and the tag 16');
  return parts;
}

/** The key id a sealed value names (undefined for a plaintext or malformed value). */
export function sealedKeyId(value: string): string | undefined {
  if (!isSealed(value)) return undefined;
  try {
    return parseSealed(value).kid;
  } catch {
    return undefined;
  }
}
