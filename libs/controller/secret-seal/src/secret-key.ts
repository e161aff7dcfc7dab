import { createHash } from 'node:crypto';
import { ErrorCodes, GatewayError } from '@gw/errors';

/** AES-256: every key is exactly 32 bytes. */
export const SECRET_KEY_BYTES = 32;

const HEX = /^[0-9a-fA-F]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]{43}=$/;

/**
 * The 32-byte key in a key file's contents: exactly 32 raw bytes
 * (`head -c 32 /dev/urandom`), or 64 hex digits (`openssl rand -hex 32`) or 44 base64
 * characters (`openssl rand -base64 32`), each with an optional trailing newline. Anything
 * else is GW_SECRET_KEY_INVALID naming `source` (the variable and file), never the bytes.
 */
export function parseSecretKey(contents: Buffer, source: string): Buffer {
  if (contents.length === SECRET_KEY_BYTES) return Buffer.from(contents);
  const text = contents.toString('latin1').replace(/\r?\n$/, '');
  if (HEX.test(text)) return Buffer.from(text, 'hex');
  if (BASE64.test(text)) return Buffer.from(text, 'base64');
  throw new GatewayError(
    ErrorCodes.GW_SECRET_KEY_INVALID,
    `${source} must hold exactly 32 raw bytes, or 64 hex digits, or 44 base64 characters (optionally followed by a newline); it holds ${contents.length} bytes that are none of these. Make one with: openssl rand -hex 32 > key`,
    { details: { source, bytes: contents.length } },
  );
}

/**
 * A key's id, kept in every value it seals: the first 16 hex digits of its SHA-256. It
 * names the key (in logs and errors) without revealing it, and tells which key of the
 * ring opens a value, so a wrong key is a clear error rather than a failed decryption.
 */
export function secretKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}
