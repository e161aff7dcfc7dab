import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyEntry } from '@gw/api-schema';

/** What operators put in the definition for a key: `sha256(key)` in hex. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * The keys of one API, built from one snapshot. A redeploy builds a new set, so a key
 * removed from the definition (revoked) stops working as soon as the runtime swaps.
 * The entries are the schema's: lower-case hex digests, valid consumers, no key twice.
 *
 * Lookup hashes the presented key and finds the entry by its digest; the digests are
 * then compared with `timingSafeEqual`. Timing can only reveal something about the
 * SHA-256 of a guess, never about a stored key.
 */
export class ApiKeySet {
  private readonly byDigest = new Map<string, { digest: Buffer; consumer: string; id: string | null }>();

  constructor(entries: readonly ApiKeyEntry[]) {
    for (const e of entries) this.byDigest.set(e.sha256, { digest: Buffer.from(e.sha256, 'hex'), consumer: e.consumer, id: e.id });
  }

  get size(): number {
    return this.byDigest.size;
  }

  /** The consumer the key belongs to (and the entry's `id` label), or undefined for an unknown (or revoked) key. */
  lookup(presented: string): { consumer: string; id: string | null } | undefined {
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    const entry = this.byDigest.get(digest.toString('hex'));
    if (!entry || !timingSafeEqual(entry.digest, digest)) return undefined;
    return { consumer: entry.consumer, id: entry.id };
  }
}
