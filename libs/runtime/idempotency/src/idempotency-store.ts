import type { SharedRedis } from '@gw/shared-state';
import { CLAIM_SCRIPT, COMPLETE_SCRIPT, RELEASE_SCRIPT } from './idempotency-scripts.js';
import type { StoredResponse } from './stored-response.js';

/** What a claim found. */
export type ClaimResult =
  | { kind: 'claimed' }
  | { kind: 'in-flight'; fingerprint: string }
  | { kind: 'done'; fingerprint: string; response: StoredResponse }
  | { kind: 'done-not-stored'; fingerprint: string; status: number };

/** The record of the first response for a key: the response, or only its status when it was too large. */
export type Completion = { status: number; headers: [string, string][]; body: Buffer } | { status: number; oversize: true };

/** Where keys live. Every method rejects (never hangs) when the store cannot answer in time. */
export interface IdempotencyStore {
  claim(key: string, fingerprint: string, token: string, lockTtlMs: number): Promise<ClaimResult>;
  /** True when stored; false when the claim was no longer ours (expired or lost). */
  complete(key: string, token: string, ttlMs: number, completion: Completion): Promise<boolean>;
  release(key: string, token: string): Promise<boolean>;
}

/** The store on the runtime's Redis connection (register `IDEMPOTENCY_SCRIPTS` on it). */
export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly redis: SharedRedis,
    /** Deadline per call; storing a large body takes longer than a rate-limit decision. Default: the connection's command timeout. */
    private readonly timeoutMs?: number,
  ) {}

  async claim(key: string, fingerprint: string, token: string, lockTtlMs: number): Promise<ClaimResult> {
    const reply = await this.redis.evalScript(CLAIM_SCRIPT, [key], [fingerprint, token, lockTtlMs], this.opts());
    return parseClaim(reply);
  }

  async complete(key: string, token: string, ttlMs: number, c: Completion): Promise<boolean> {
    const args =
      'oversize' in c
        ? [token, ttlMs, c.status, '[]', '', '1']
        : [token, ttlMs, c.status, JSON.stringify(c.headers), c.body.toString('base64'), '0'];
    return (await this.redis.evalScript(COMPLETE_SCRIPT, [key], args, this.opts())) === 1;
  }

  async release(key: string, token: string): Promise<boolean> {
    return (await this.redis.evalScript(RELEASE_SCRIPT, [key], [token], this.opts())) === 1;
  }

  private opts() {
    return this.timeoutMs === undefined ? undefined : { timeoutMs: this.timeoutMs };
  }
}

/** Reads the claim script's reply; anything unexpected is an error (the request then fails closed). */
export function parseClaim(reply: unknown): ClaimResult {
  if (Array.isArray(reply) && reply.length === 1 && reply[0] === 'claimed') return { kind: 'claimed' };
  if (!Array.isArray(reply) || reply.length !== 6) throw new Error('unexpected idempotency claim reply');
  const [st, fp, code, hdr, body, big] = reply as (string | null)[];
  if (typeof fp !== 'string') throw new Error('idempotency record without a fingerprint');
  if (st === 'p') return { kind: 'in-flight', fingerprint: fp };
  if (st !== 'd') throw new Error(`idempotency record in unknown state ${String(st)}`);
  const status = Number(code);
  if (!Number.isInteger(status) || status < 100 || status > 599) throw new Error('idempotency record with a bad status');
  if (big === '1') return { kind: 'done-not-stored', fingerprint: fp, status };
  const headers = JSON.parse(hdr ?? '[]') as unknown;
  if (!Array.isArray(headers) || !headers.every((h) => Array.isArray(h) && h.length === 2 && h.every((x) => typeof x === 'string'))) {
    throw new Error('idempotency record with bad headers');
  }
  return { kind: 'done', fingerprint: fp, response: { status, headers: headers as [string, string][], body: Buffer.from(body ?? '', 'base64') } };
}
