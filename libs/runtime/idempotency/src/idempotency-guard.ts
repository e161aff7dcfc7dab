import { randomUUID } from 'node:crypto';
import type { IdempotencyPolicy } from '@gw/api-schema';
import { ErrorCodes, type ErrorCode } from '@gw/errors';
import { lazyChild, silentLogger, type Logger } from '@gw/logging';
import { keyScope, requestFingerprint, storageKey } from './fingerprint.js';
import { parseIdempotencyKey } from './idempotency-key.js';
import { resolveIdempotencyPolicy, type ResolvedIdempotencyPolicy } from './idempotency-policy.js';
import type { Completion, IdempotencyStore } from './idempotency-store.js';
import { replayableHeaders, ResponseRecorder, type StoredResponse } from './stored-response.js';

/** The header that marks a replayed response. */
export const REPLAY_HEADER = 'idempotent-replayed';

export interface IdempotencyRequest {
  api: string;
  method: string;
  /** Path and query as the client sent them. */
  path: string;
  /** Node's lower-cased request headers. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The authenticated consumer; keys are scoped per API and consumer (or client IP when anonymous). */
  consumer?: string | undefined;
  clientIp: string;
  /** `bodyDigest(body)` of the buffered request body. */
  bodySha256: string;
}

export interface IdempotencyRejection {
  status: 400 | 409 | 422 | 503;
  code: ErrorCode;
  message: string;
  headers: Record<string, string>;
}

export type BeginResult =
  /** Not covered (method not configured, or no key and none required): forward without the guarantee. */
  | { kind: 'pass' }
  /** This request owns the key: forward it, then `complete()` or `abort()` the ticket. */
  | { kind: 'proceed'; ticket: IdempotencyTicket }
  /** A repeat of a completed request: answer with this response (it carries `Idempotent-Replayed: true`); do not forward. */
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'reject'; error: IdempotencyRejection };

export type IdempotencyOutcome = 'pass' | 'proceed' | 'replay' | 'missing' | 'invalid' | 'in-flight' | 'reused' | 'not-stored' | 'unavailable';

export interface IdempotencyMetrics {
  outcome?(api: string, outcome: IdempotencyOutcome): void;
  /** A store call that failed after the request was forwarded (complete or release). */
  storeFailure?(api: string, operation: 'complete' | 'release'): void;
}

export interface IdempotencyGuardDeps {
  /** `RedisIdempotencyStore` shared by all runtimes, or `MemoryIdempotencyStore` for a runtime without Redis. */
  store: IdempotencyStore;
  logger?: Logger;
  metrics?: IdempotencyMetrics;
}

/**
 * The idempotency-key policy of one API (its `policies.idempotency` block as the schema
 * normalizes it; an API whose block is `null` has no guard), as a small state machine
 * per request:
 *
 *   begin(request) ──► pass | replay(response) | reject(error) | proceed(ticket)
 *   ticket.complete(response)  store it for repeats (once)
 *   ticket.abort()             release the claim so a retry can run (once)
 *
 * The claim is atomic in the store, so of any number of concurrent requests with one key
 * exactly one proceeds. When the store cannot answer, a covered request is refused with
 * 503 and never forwarded: it never runs without the guarantee.
 */
export class IdempotencyGuard {
  readonly policy: ResolvedIdempotencyPolicy;
  private readonly store: IdempotencyStore;
  private readonly logger: Logger;
  private readonly metrics: IdempotencyMetrics;

  constructor(policy: IdempotencyPolicy, deps: IdempotencyGuardDeps) {
    this.policy = resolveIdempotencyPolicy(policy);
    this.store = deps.store;
    this.logger = lazyChild(deps.logger ?? silentLogger, { component: 'idempotency' }); // made on first log: thousands are built per config
    this.metrics = deps.metrics ?? {};
  }

  /** Whether `begin` has work to do (so the body must be buffered and hashed first). Cheap and synchronous. */
  covers(method: string, headers: IdempotencyRequest['headers']): boolean {
    return this.policy.methods.has(method.toUpperCase()) && (this.policy.required || headers[this.policy.headerName] !== undefined);
  }

  async begin(req: IdempotencyRequest): Promise<BeginResult> {
    const method = req.method.toUpperCase();
    if (!this.policy.methods.has(method)) return this.count(req.api, 'pass', { kind: 'pass' });
    const header = parseIdempotencyKey(req.headers[this.policy.headerName]);
    if (header.kind === 'absent') {
      if (!this.policy.required) return this.count(req.api, 'pass', { kind: 'pass' });
      return this.reject(req.api, 'missing', 400, ErrorCodes.GW_IDEMPOTENCY_KEY_MISSING, `${method} requests to this API need an Idempotency-Key header`);
    }
    if (header.kind === 'invalid') {
      return this.reject(req.api, 'invalid', 400, ErrorCodes.GW_IDEMPOTENCY_KEY_INVALID, `the Idempotency-Key header is ${header.reason}`);
    }
    const scope = keyScope(req.consumer, req.clientIp);
    const key = storageKey(req.api, scope, header.key);
    const fingerprint = requestFingerprint(method, req.path, req.bodySha256, scope);
    const token = randomUUID();
    let found;
    try {
      found = await this.store.claim(key, fingerprint, token, this.policy.lockTtlMs);
    } catch (err) {
      this.logger.warn({ api: req.api, reason: (err as Error).message }, 'idempotency key cannot be claimed; refusing the request');
      return this.reject(req.api, 'unavailable', 503, ErrorCodes.GW_IDEMPOTENCY_UNAVAILABLE, 'the idempotency store is unavailable; the request was not forwarded', { 'retry-after': '1' });
    }
    switch (found.kind) {
      case 'claimed':
        return this.count(req.api, 'proceed', { kind: 'proceed', ticket: new IdempotencyTicket(this, req.api, key, token) });
      case 'in-flight':
        if (found.fingerprint !== fingerprint) return this.reused(req.api);
        return this.reject(req.api, 'in-flight', 409, ErrorCodes.GW_IDEMPOTENCY_IN_FLIGHT, 'a request with this Idempotency-Key is still being processed', { 'retry-after': '1' });
      case 'done-not-stored':
        if (found.fingerprint !== fingerprint) return this.reused(req.api);
        return this.reject(
          req.api,
          'not-stored',
          409,
          ErrorCodes.GW_IDEMPOTENCY_RESPONSE_NOT_STORED,
          `the request with this Idempotency-Key already completed (status ${found.status}) but its response was too large to keep; it is not run again`,
        );
      case 'done': {
        if (found.fingerprint !== fingerprint) return this.reused(req.api);
        const headers: [string, string][] = [...found.response.headers, [REPLAY_HEADER, 'true']];
        return this.count(req.api, 'replay', { kind: 'replay', response: { ...found.response, headers } });
      }
    }
  }

  /** @internal used by tickets */
  async finish(ticket: IdempotencyTicket, completion: Completion | undefined): Promise<boolean> {
    const operation = completion ? 'complete' : 'release';
    try {
      const done = completion ? await this.store.complete(ticket.key, ticket.token, this.policy.ttlMs, completion) : await this.store.release(ticket.key, ticket.token);
      if (!done) this.logger.warn({ api: ticket.api, operation }, 'idempotency claim was no longer held (expired or lost)');
      return done;
    } catch (err) {
      // The claim stays in flight until lockTtlMs: repeats get 409 meanwhile, never a second run.
      this.logger.warn({ api: ticket.api, operation, reason: (err as Error).message }, 'idempotency store failed after forwarding');
      try {
        this.metrics.storeFailure?.(ticket.api, operation);
      } catch {
        // metrics never break a request
      }
      return false;
    }
  }

  private reused(api: string): BeginResult {
    return this.reject(api, 'reused', 422, ErrorCodes.GW_IDEMPOTENCY_KEY_REUSED, 'this Idempotency-Key was already used for a different request');
  }

  private reject(api: string, outcome: IdempotencyOutcome, status: IdempotencyRejection['status'], code: ErrorCode, message: string, headers: Record<string, string> = {}): BeginResult {
    return this.count(api, outcome, { kind: 'reject', error: { status, code, message, headers } });
  }

  private count<T>(api: string, outcome: IdempotencyOutcome, result: T): T {
    try {
      this.metrics.outcome?.(api, outcome);
    } catch {
      // metrics never break a request
    }
    return result;
  }
}

export type TicketState = 'claimed' | 'completed' | 'aborted';

/** The claim of one forwarded request. Exactly one of `complete` and `abort` takes effect. */
export class IdempotencyTicket {
  private current: TicketState = 'claimed';

  constructor(
    private readonly guard: IdempotencyGuard,
    readonly api: string,
    /** @internal */ readonly key: string,
    /** @internal */ readonly token: string,
  ) {}

  get state(): TicketState {
    return this.current;
  }

  /** A recorder sized to the policy's cap, to tee the response body into while it streams to the client. */
  recorder(): ResponseRecorder {
    return new ResponseRecorder(this.guard.policy.maxResponseBytes);
  }

  /**
   * Stores the response the client got, for repeats. `body: undefined` (or a body over
   * the cap) keeps only a "not stored" marker with the status. Resolves false when it was
   * not stored (already finished, claim lost, store down); never rejects.
   */
  async complete(response: { status: number; headers: Readonly<Record<string, string | string[] | number | undefined>>; body: Buffer | undefined }): Promise<boolean> {
    if (this.current !== 'claimed') return false;
    this.current = 'completed';
    const { status, body } = response;
    const completion: Completion =
      body === undefined || body.length > this.guard.policy.maxResponseBytes ? { status, oversize: true } : { status, headers: replayableHeaders(response.headers), body };
    return this.guard.finish(this, completion);
  }

  /**
   * Releases the claim so the same key can run again. Call it only when the request
   * provably did not reach the upstream (no connection, or refused before sending);
   * after that, complete() with the answer the client got, so a repeat replays it.
   */
  async abort(): Promise<void> {
    if (this.current !== 'claimed') return;
    this.current = 'aborted';
    await this.guard.finish(this, undefined);
  }
}
