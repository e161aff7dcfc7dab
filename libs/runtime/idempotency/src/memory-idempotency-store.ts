import type { ClaimResult, Completion, IdempotencyStore } from './idempotency-store.js';

interface Entry {
  fingerprint: string;
  token: string | undefined;
  completion: Completion | undefined;
  expiresAt: number;
  bytes: number;
}

/**
 * Keys in this process only, for a runtime without Redis: the guarantee then holds per
 * runtime, not across runtimes (the runtime says so at start). Bounded by `maxEntries`
 * and `maxBytes`: expired keys go first, then the oldest completed ones (a repeat of an
 * evicted key runs again); in-flight claims are never evicted.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(
    private readonly options: { maxEntries?: number; maxBytes?: number; now?: () => number } = {},
  ) {}

  async claim(key: string, fingerprint: string, token: string, lockTtlMs: number): Promise<ClaimResult> {
    const now = this.now();
    const e = this.live(key, now);
    if (!e) {
      this.put(key, { fingerprint, token, completion: undefined, expiresAt: now + lockTtlMs, bytes: 0 }, now);
      return { kind: 'claimed' };
    }
    if (!e.completion) return { kind: 'in-flight', fingerprint: e.fingerprint };
    const c = e.completion;
    if ('oversize' in c) return { kind: 'done-not-stored', fingerprint: e.fingerprint, status: c.status };
    return { kind: 'done', fingerprint: e.fingerprint, response: { status: c.status, headers: c.headers.map(([n, v]) => [n, v]), body: Buffer.from(c.body) } };
  }

  async complete(key: string, token: string, ttlMs: number, completion: Completion): Promise<boolean> {
    const now = this.now();
    const e = this.live(key, now);
    if (!e || e.token !== token) return false;
    const bytes = 'oversize' in completion ? 0 : completion.body.length + JSON.stringify(completion.headers).length;
    this.put(key, { fingerprint: e.fingerprint, token: undefined, completion, expiresAt: now + ttlMs, bytes }, now);
    return true;
  }

  async release(key: string, token: string): Promise<boolean> {
    const e = this.live(key, this.now());
    if (!e || e.token !== token) return false;
    this.remove(key);
    return true;
  }

  get size(): number {
    return this.entries.size;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  private live(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e && e.expiresAt <= now) {
      this.remove(key);
      return undefined;
    }
    return e;
  }

  private put(key: string, entry: Entry, now: number): void {
    this.remove(key);
    const maxEntries = this.options.maxEntries ?? 10_000;
    const maxBytes = this.options.maxBytes ?? 64 * 1_048_576;
    if (this.entries.size >= maxEntries || this.bytes + entry.bytes > maxBytes) {
      for (const [k, e] of this.entries) if (e.expiresAt <= now) this.remove(k);
      for (const [k, e] of this.entries) {
        if (this.entries.size < maxEntries && this.bytes + entry.bytes <= maxBytes) break;
        if (e.completion) this.remove(k);
      }
    }
    this.entries.set(key, entry);
    this.bytes += entry.bytes;
  }

  private remove(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.bytes -= e.bytes;
    this.entries.delete(key);
  }
}
