import { createHash, timingSafeEqual } from 'node:crypto';
import { ErrorCodes, GatewayError } from '@gw/errors';

/** Where clients put their API key. */
export type ApiKeyLocation = { header: string } | { query: string };

/** One key as the API definition stores it: never the key, only its SHA-256. */
export interface ApiKeyEntry {
  /** Hex SHA-256 of the key (`hashApiKey`). */
  sha256: string;
  consumer: string;
  /** A label for logs and audits (never the key). */
  id?: string;
}

export interface ApiKeyPolicy {
  /** Default `{ header: "x-api-key" }`. */
  in?: ApiKeyLocation;
  keys: ApiKeyEntry[];
}

/** What operators put in the definition for a key: `sha256(key)` in hex. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

const HEX64 = /^[0-9a-f]{64}$/;
const CONSUMER_RE = /^[A-Za-z0-9._@:-]{1,128}$/;

/**
 * The keys of one API, built from one snapshot. A redeploy builds a new set, so a key
 * removed from the definition (revoked) stops working as soon as the runtime swaps.
 *
 * Lookup hashes the presented key and finds the entry by its digest; the digests are
 * then compared with `timingSafeEqual`. Timing can only reveal something about the
 * SHA-256 of a guess, never about a stored key.
 */
export class ApiKeySet {
  private readonly byDigest = new Map<string, { digest: Buffer; consumer: string; id: string | undefined }>();

  constructor(entries: readonly ApiKeyEntry[]) {
    for (const [i, e] of entries.entries()) {
      const hex = e.sha256.toLowerCase();
      if (!HEX64.test(hex)) throw new GatewayError(ErrorCodes.GW_VALIDATION, `apiKey.keys[${i}].sha256 must be 64 hex digits (the SHA-256 of the key)`);
      if (!CONSUMER_RE.test(e.consumer)) throw new GatewayError(ErrorCodes.GW_VALIDATION, `apiKey.keys[${i}].consumer must be 1-128 characters of [A-Za-z0-9._@:-]`);
      if (this.byDigest.has(hex)) throw new GatewayError(ErrorCodes.GW_VALIDATION, `apiKey.keys[${i}] repeats a key`);
      this.byDigest.set(hex, { digest: Buffer.from(hex, 'hex'), consumer: e.consumer, id: e.id });
    }
  }

  get size(): number {
    return this.byDigest.size;
  }

  /** The consumer the key belongs to, or undefined for an unknown (or revoked) key. */
  lookup(presented: string): { consumer: string; id: string | undefined } | undefined {
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    const entry = this.byDigest.get(digest.toString('hex'));
    if (!entry || !timingSafeEqual(entry.digest, digest)) return undefined;
    return { consumer: entry.consumer, id: entry.id };
  }
}
