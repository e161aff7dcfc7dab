/*
 * Who does what: jose imports the keys (`importJwk`, once per fetched document) and
 * verifies tokens (`jwtVerify` in jwt-verifier.ts); fetching and refreshing stay ours.
 * jose's `createRemoteJWKSet` has its own cooldown and cache, but not our documented
 * limits: a cap on the document's size, one fetch per `minRefreshIntervalMs` whatever
 * triggers it, shared by concurrent callers, stale keys served while a refresh runs,
 * the last good keys kept on failure, unusable keys skipped one by one and logged, and
 * logs without the URL's user-info or query. Those are product behaviour with tests.
 */
import { silentLogger, type Logger } from '@gw/logging';
import { importKeys, type VerificationKey } from './jwk.js';

export interface JwksCacheOptions {
  url: string;
  /** Per fetch. Default 2000 ms. */
  timeoutMs?: number;
  /** Keys older than this are refreshed in the background while still used. Default 5 min. */
  maxAgeMs?: number;
  /** At most one fetch per this interval, whatever triggers it (unknown kid, failure, age). Default 10 s. */
  minRefreshIntervalMs?: number;
  /** Largest JWKS document accepted. Default 256 KiB. */
  maxBytes?: number;
  logger?: Logger;
  /** Injected for tests; default `Date.now`. */
  now?: () => number;
}

/**
 * The keys of a JWKS URL, fetched over HTTP(S) and cached. Tokens signed with a key the
 * cache does not know (a rotation) trigger a refresh, rate-limited to one fetch per
 * `minRefreshIntervalMs` and shared by all concurrent callers, so a flood of tokens with
 * made-up `kid`s cannot turn the gateway against the identity provider. A failed fetch
 * keeps the last good keys. Unusable keys in the set are skipped (and logged), not fatal.
 */
export class JwksCache {
  private keys: VerificationKey[] | undefined;
  private fetchedAt = 0;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;
  private readonly timeoutMs: number;
  private readonly maxAgeMs: number;
  private readonly minRefreshIntervalMs: number;
  private readonly maxBytes: number;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly safeUrl: string;

  constructor(private readonly options: JwksCacheOptions) {
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.maxAgeMs = options.maxAgeMs ?? 300_000;
    this.minRefreshIntervalMs = options.minRefreshIntervalMs ?? 10_000;
    this.maxBytes = options.maxBytes ?? 262_144;
    // Logged without user-info or query: a JWKS URL may carry a token.
    this.safeUrl = options.url.replace(/\/\/[^/@]*@/, '//').replace(/[?#].*$/, '');
    this.logger = (options.logger ?? silentLogger).child({ component: 'jwks', url: this.safeUrl });
    this.now = options.now ?? Date.now;
  }

  /** True once a fetch has succeeded (the keys may since be stale). */
  get ready(): boolean {
    return this.keys !== undefined;
  }

  /** Fetches now unless a fetch ran within the minimum interval; resolves when done (never rejects). */
  refresh(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (this.now() - this.lastAttemptAt < this.minRefreshIntervalMs) return Promise.resolve();
    this.lastAttemptAt = this.now();
    this.inFlight = this.fetchKeys().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /**
   * Keys that may have signed a token with this `kid` (all keys when the token has none);
   * undefined while no fetch has ever succeeded.
   */
  async candidates(kid: string | undefined): Promise<VerificationKey[] | undefined> {
    if (!this.keys) await this.refresh();
    else if (this.now() - this.fetchedAt > this.maxAgeMs) void this.refresh();
    let found = this.match(kid);
    if (found !== undefined && found.length === 0 && kid !== undefined) {
      // An unknown kid: perhaps the provider rotated its keys.
      await this.refresh();
      found = this.match(kid);
    }
    return found;
  }

  private match(kid: string | undefined): VerificationKey[] | undefined {
    if (!this.keys) return undefined;
    return kid === undefined ? this.keys : this.keys.filter((k) => k.kid === kid);
  }

  private async fetchKeys(): Promise<void> {
    try {
      const res = await fetch(this.options.url, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/json' } });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const doc = JSON.parse(await readCapped(res, this.maxBytes)) as unknown;
      const list = typeof doc === 'object' && doc !== null && Array.isArray((doc as { keys?: unknown }).keys) ? ((doc as { keys: unknown[] }).keys) : undefined;
      if (!list) throw new Error('not a JWKS document (no "keys" array)');
      const keys = await importKeys(list, this.logger);
      this.keys = keys;
      this.fetchedAt = this.now();
      this.logger.debug({ keys: keys.length }, 'JWKS fetched');
    } catch (err) {
      // Fetch errors may quote the URL.
      const reason = (err as Error).message.split(this.options.url).join(this.safeUrl);
      this.logger.warn({ reason, cachedKeys: this.keys?.length ?? 0 }, 'JWKS fetch failed');
    }
  }
}

/**
 * One JWKS cache per URL for the runtime's lifetime, so a redeploy that rebuilds the
 * authenticators does not refetch every key set.
 */
export class JwksCacheRegistry {
  private readonly caches = new Map<string, JwksCache>();

  constructor(private readonly defaults: Omit<JwksCacheOptions, 'url'> = {}) {}

  get(url: string): JwksCache {
    let cache = this.caches.get(url);
    if (!cache) {
      cache = new JwksCache({ ...this.defaults, url });
      this.caches.set(url, cache);
    }
    return cache;
  }
}

async function readCapped(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw new Error(`JWKS larger than ${maxBytes} bytes`);
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new Error(`JWKS larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
