import * as grpc from '@grpc/grpc-js';
import { heldIndex, stateHash, type ConfigSnapshot } from '@gw/config-contract';
import { CONTROLLER_ID_METADATA, CONTROLLER_ZONE_METADATA, EncodedConfigResponse, type ConfigRequest__Output, type ConfigResponse } from '@gw/config-proto';
import { ErrorCodes } from '@gw/errors';
import type { Logger } from '@gw/logging';
import type { SnapshotCache } from '@gw/snapshot-cache';
import type { RuntimeIdentity } from './peer-identity.js';
import { refuseCall } from './refuse-call.js';
import type { ConfigServerCallbacks, FullBecause, RuntimeSession } from './runtime-session.js';
import type { SendQueue, SendTarget } from './send-queue.js';
import type { HeldBase, SharedResponse, SharedResponses } from './shared-responses.js';
import { NACK_CODE_MAX_BYTES, TokenBucket, truncateUtf8, type StreamLimits } from './stream-limits.js';

type Call = grpc.ServerDuplexStream<ConfigRequest__Output, ConfigResponse | EncodedConfigResponse>;

export interface ConfigStreamContext {
  cache: SnapshotCache;
  /** The current snapshot's responses, encoded once for every stream. */
  responses: SharedResponses;
  controllerId: string;
  zone: string;
  logger: Logger;
  callbacks: ConfigServerCallbacks;
  /** Versions each runtime rejected, kept across its reconnects to this replica. */
  nacked: (runtimeId: string) => Set<string>;
  /** The runtime's last NACK as recorded by any replica (the fleet status), read once per stream. */
  recallNack?: (runtimeId: string) => Promise<{ epoch: number; version: number } | undefined>;
  nackRecallTimeoutMs: number;
  /**
   * When the runtime ACKs while the config is already two or more versions past it (a burst of
   * writes), the next response waits this long, so it carries the newest of several versions
   * instead of each in turn; 0: sent at once. An ACK with nothing newer waiting holds nothing.
   */
  burstHoldMs: number;
  limits: StreamLimits;
  /** The certificate's identity (mutual TLS); undefined in insecure mode. */
  identity: RuntimeIdentity | undefined;
  /** Resolves true when the new stream may start its session (bounded admission); false: it ended meanwhile. */
  admit?: (cancelled: () => boolean) => Promise<boolean>;
  /** Once, when the stream is over (whether or not it ever had a session). */
  onFinished: () => void;
  /**
   * Where sends wait for their turn (a fan-out in slices that yield to the event loop);
   * without it a stream sends at once.
   */
  sends?: SendQueue;
}

const versionKey = (epoch: number, version: number) => `${epoch}:${version}`;

/**
 * One runtime's state-of-the-world stream (Envoy ADS semantics):
 * - at most one response is outstanding; the next is sent only after the runtime
 *   answers (ACK or NACK) the last nonce, so a slow runtime only ever receives the
 *   newest snapshot, never a queue of intermediate ones;
 * - a request whose nonce is not the latest one is stale and ignored;
 * - a NACKed version is never sent to that runtime again; the next newer one is (the
 *   runtime's last NACK recorded by any replica counts too: `recallNack`).
 */
export class ConfigStream implements SendTarget {
  session: RuntimeSession | undefined;
  #outstanding: { nonce: string; version: number; epoch: number; hash: string; mode: 'full' | 'delta'; snapshot: ConfigSnapshot } | undefined;
  /** The runtime asked for deltas (its first request's `delta`). */
  #delta = false;
  /**
   * Delta streams: the state the runtime holds as far as this stream knows (what it listed
   * on its first request, then each ACKed response); undefined: unknown, send a whole state.
   */
  #held: HeldBase | undefined;
  /** The runtime could not rebuild our last delta: the next response is the whole state. */
  #resync = false;
  #nonceCounter = 0;
  /** No response before this time (epoch ms): set by an ACK that found newer versions waiting. */
  #holdUntil = 0;
  #holdTimer: NodeJS.Timeout | undefined;
  #unwatch: (() => void) | undefined;
  #closed = false;
  /** True while the fleet status is asked for the runtime's last NACK: nothing is sent meanwhile. */
  #recalling = false;
  /** True until the replica admits the new session (a resync storm is admitted at a bounded rate). */
  #admitting = false;
  /** onStreamOpen was called: only then is the close reported. */
  #opened = false;
  readonly #requests: TokenBucket;

  constructor(
    readonly id: number,
    private readonly call: Call,
    private readonly ctx: ConfigStreamContext,
  ) {
    this.#requests = new TokenBucket(ctx.limits.requestsPerSecond, ctx.limits.requestBurst);
    call.on('data', (req: ConfigRequest__Output) => this.#onRequest(req));
    call.on('end', () => this.end());
    call.on('error', (err) => {
      ctx.logger.debug({ err, streamId: id }, 'config stream error');
      this.#cleanup();
    });
    call.on('cancelled', () => this.#cleanup());
    call.on('close', () => this.#cleanup());
    // Announce ourselves at once: a runtime already in sync gets no snapshot, yet must know
    // whom it is connected to (its status, zone preference and failover depend on it).
    const md = new grpc.Metadata();
    md.set(CONTROLLER_ID_METADATA, ctx.controllerId);
    md.set(CONTROLLER_ZONE_METADATA, ctx.zone);
    call.sendMetadata(md);
  }

  /** Ends the stream with status OK (on shutdown), so the runtime moves to another replica at once. */
  end(): void {
    if (this.#closed) return;
    try {
      this.call.end();
    } catch {
      // Already ended by the peer.
    }
    this.#cleanup();
  }

  #onRequest(req: ConfigRequest__Output): void {
    if (this.#closed) return;
    const now = new Date();
    if (!this.#requests.take()) {
      const { requestsPerSecond, requestBurst } = this.ctx.limits;
      this.ctx.logger.warn({ streamId: this.id, peer: this.call.getPeer(), runtimeId: this.session?.runtimeId, requestsPerSecond, requestBurst }, 'config stream over its request rate: ended');
      this.#refuse(grpc.status.RESOURCE_EXHAUSTED, `more than ${requestsPerSecond} requests per second (burst ${requestBurst})`);
      return;
    }
    if (!this.session) {
      const node = req.node;
      if (!node || !node.id) {
        this.ctx.logger.warn({ streamId: this.id, peer: this.call.getPeer() }, 'config stream without node id refused');
        this.#refuse(grpc.status.INVALID_ARGUMENT, 'node.id is required');
        return;
      }
      const identity = this.ctx.identity;
      // Refused before any session, callback or fleet record exists: a runtime speaks only for itself.
      if (identity && node.id !== identity.runtimeId) {
        this.ctx.logger.warn({ streamId: this.id, peer: this.call.getPeer(), identity: identity.spiffeId, claimed: node.id.slice(0, 256) }, 'config stream claims another runtime id than its certificate: refused');
        this.#refuse(grpc.status.PERMISSION_DENIED, `node.id must be the certificate's runtime id (${identity.runtimeId})`);
        return;
      }
      this.session = {
        streamId: this.id,
        runtimeId: node.id,
        zone: node.zone,
        buildVersion: node.buildVersion,
        peer: this.call.getPeer(),
        connectedAt: now,
        applied: { version: req.versionInfo, epoch: req.epoch, hash: req.hash },
        lastNack: undefined,
        lastSeenAt: now,
        identity: identity?.spiffeId,
        certificateNotAfter: identity?.certificateNotAfter,
      };
      if (req.delta) {
        this.#delta = true;
        this.#held = this.#listedBase(req);
      }
      const runtimeId = node.id;
      const start = () => {
        this.#admitting = false;
        if (this.#closed) return;
        this.#opened = true;
        this.ctx.callbacks.onStreamOpen?.(this.session!);
        this.#unwatch = this.ctx.cache.watch(() => this.#wantSend());
        if (this.ctx.recallNack) this.#recall(this.ctx.recallNack, runtimeId);
        this.#wantSend();
      };
      if (this.ctx.admit) {
        // Nothing is recorded or sent before admission; the runtime just waits on its stream.
        this.#admitting = true;
        this.ctx.admit(() => this.#closed).then(
          (admitted) => (admitted ? start() : this.end()),
          () => start(),
        );
        return;
      }
      start();
      return;
    }
    if (this.#admitting) return; // a runtime speaks again only after a response; nothing was sent yet
    const session = this.session;
    session.lastSeenAt = now;

    if (req.responseNonce) {
      const out = this.#outstanding;
      if (!out || req.responseNonce !== out.nonce) return; // stale: answers an older response
      this.#outstanding = undefined;
      if (req.errorDetail && out.mode === 'delta' && req.errorDetail.code === ErrorCodes.GW_SNAPSHOT_HASH_MISMATCH) {
        // The delta did not lead to the announced state from what the runtime holds: the two
        // ends disagree on the base, not on the config. Not remembered as a NACK; the whole
        // state of the same version follows (once: a NACK of that is remembered as usual).
        this.#held = undefined;
        this.#resync = true;
        session.applied = { version: req.versionInfo, epoch: req.epoch, hash: req.hash };
        this.ctx.logger.warn({ runtimeId: session.runtimeId, version: out.version, reason: truncateUtf8(req.errorDetail.message, 512) }, 'runtime could not apply a delta: sending the whole state');
      } else if (req.errorDetail) {
        this.ctx.nacked(session.runtimeId).add(versionKey(out.epoch, out.version));
        const detail = { code: truncateUtf8(req.errorDetail.code, NACK_CODE_MAX_BYTES), message: truncateUtf8(req.errorDetail.message, this.ctx.limits.maxNackMessageBytes) };
        session.lastNack = { version: out.version, epoch: out.epoch, code: detail.code, message: detail.message, at: now };
        session.applied = { version: req.versionInfo, epoch: req.epoch, hash: req.hash };
        this.ctx.logger.warn({ runtimeId: session.runtimeId, version: out.version, code: detail.code, reason: detail.message }, 'runtime rejected snapshot');
        this.ctx.callbacks.onNack?.(session);
      } else {
        session.applied = { version: req.versionInfo, epoch: req.epoch, hash: req.hash };
        // It now holds what we sent (a lagging replica's same content counts: same hash).
        if (this.#delta) this.#held = req.hash === out.hash ? { hash: out.hash, epoch: out.epoch, snapshot: out.snapshot } : undefined;
        this.ctx.callbacks.onAck?.(session);
        const current = this.ctx.cache.current;
        const hold = this.ctx.burstHoldMs;
        // The config is two or more versions past what was ACKed (commits since, whether the
        // refresher compiled them one by one or folded them): a burst. One version past is as
        // likely the next deploy of a sequence that waited for this one (its ACK arrived after
        // the next was compiled).
        if (hold > 0 && current !== undefined && current.epoch === out.epoch && current.version >= out.version + 2) this.#holdUntil = Date.now() + hold;
      }
    }
    this.#wantSend();
  }

  /**
   * Adds the runtime's recorded last NACK (maybe from another replica before a failover) to
   * this replica's memory, then sends. Bounded: without an answer in time the stream goes on
   * without it (at worst one extra NACK, as before the fleet status remembered it).
   */
  #recall(recall: (runtimeId: string) => Promise<{ epoch: number; version: number } | undefined>, runtimeId: string): void {
    this.#recalling = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.ctx.nackRecallTimeoutMs);
      timer.unref();
    });
    // A recall that throws instead of rejecting counts as a failed read too.
    Promise.race([Promise.resolve().then(() => recall(runtimeId)), timeout])
      .then(
        (nack) => {
          if (nack === 'timeout') this.ctx.logger.warn({ runtimeId, timeoutMs: this.ctx.nackRecallTimeoutMs }, 'no answer about the runtime\'s last NACK in time: streaming without it');
          else if (nack !== undefined) this.ctx.nacked(runtimeId).add(versionKey(nack.epoch, nack.version));
        },
        (err: unknown) => this.ctx.logger.warn({ err, runtimeId }, 'could not read the runtime\'s last NACK: streaming without it'),
      )
      .finally(() => {
        clearTimeout(timer);
        this.#recalling = false;
        this.#wantSend();
      });
  }

  #refuse(code: grpc.status, message: string): void {
    refuseCall(this.call, code, message);
    this.#cleanup();
  }

  /** Sends the newest snapshot now if the stream is due one (the send queue's turn). */
  sendPending(): void {
    this.#maybeSend();
  }

  /** Queues a send for the queue's next slice (or sends at once without a queue). */
  #wantSend(): void {
    if (this.#closed) return;
    if (this.ctx.sends) this.ctx.sends.mark(this);
    else this.#maybeSend();
  }

  #maybeSend(): void {
    const session = this.session;
    if (this.#closed || !session || this.#outstanding || this.#recalling || this.#admitting) return;
    const wait = this.#holdUntil - Date.now();
    if (wait > 0) {
      this.#holdTimer ??= setTimeout(() => {
        this.#holdTimer = undefined;
        this.#wantSend();
      }, wait);
      return;
    }
    const snap = this.ctx.cache.current;
    if (!snap) return;
    const applied = session.applied;
    // The runtime already runs a newer epoch (a restore this replica has not compiled yet): wait.
    if (applied.epoch > snap.epoch) return;
    if (applied.epoch === snap.epoch && applied.version >= snap.version && (applied.version > snap.version || applied.hash === snap.hash)) {
      return; // in sync, or this replica is behind the runtime: never send it backwards
    }
    if (this.ctx.nacked(session.runtimeId).has(versionKey(snap.epoch, snap.version))) return;
    const nonce = `${this.id}-${++this.#nonceCounter}`;
    const { response, fullBecause } = this.#responseFor(snap, applied.hash);
    this.#resync = false;
    this.#outstanding = { nonce, version: snap.version, epoch: snap.epoch, hash: snap.hash, mode: response.mode, snapshot: snap };
    this.call.write(new EncodedConfigResponse(response.body, nonce));
    this.ctx.callbacks.onResponseSent?.(session, {
      nonce,
      version: snap.version,
      epoch: snap.epoch,
      hash: snap.hash,
      mode: response.mode,
      ...(fullBecause ? { fullBecause } : {}),
      resources: response.resources,
      removed: response.removed,
      bytes: response.body.length,
    });
  }

  /**
   * A delta when the runtime asked for deltas and we know what it holds, in the same epoch
   * (a new epoch is a deliberate restore: the whole state goes); else the whole state.
   */
  #responseFor(snap: ConfigSnapshot, reportedHash: string): { response: SharedResponse; fullBecause?: FullBecause } {
    const full = (fullBecause: FullBecause) => ({ response: this.ctx.responses.full(snap), fullBecause });
    if (!this.#delta) return full('requested');
    if (this.#resync) return full('resync');
    const held = this.#held;
    // A runtime that reports running another state than the one we believe it holds: trust neither.
    if (held === undefined || (reportedHash !== '' && reportedHash !== held.hash)) return full('unknown-base');
    if (held.epoch !== snap.epoch) return full('epoch');
    const response = this.ctx.responses.toward(snap, held);
    return response.mode === 'full' ? { response, fullBecause: 'no-gain' } : { response };
  }

  /**
   * What the first request of a delta stream lists as held, or undefined (a whole state
   * goes) when it holds nothing, lists a key twice, or its resources do not hash to the state
   * the runtime reports running.
   */
  #listedBase(req: ConfigRequest__Output): HeldBase | undefined {
    const listed = req.initialResourceVersions;
    // Nothing listed: it runs nothing, or (version and epoch set) a config without resources.
    if (listed.length === 0 && (req.versionInfo === 0 || req.epoch === 0)) return undefined;
    // A state this replica recently served: no need to index or hash the list (a failover
    // storm of runtimes at the current or previous state costs nothing per runtime). Should
    // the runtime hold something else after all, its rebuild fails and a whole state follows.
    const known = req.hash === '' ? undefined : this.ctx.cache.byHash(req.hash);
    if (known && listed.length === known.resources.length) return { hash: known.hash, epoch: req.epoch, snapshot: known };
    const hash = stateHash(listed);
    if (req.hash !== '' && req.hash !== hash) {
      this.ctx.logger.warn({ streamId: this.id, runtimeId: req.node?.id, reported: req.hash, listed: hash }, 'runtime lists resources that do not hash to the state it reports: sending the whole state');
      return undefined;
    }
    const recent = this.ctx.cache.byHash(hash);
    if (recent) return { hash, epoch: req.epoch, snapshot: recent };
    const index = heldIndex(listed);
    if (index.size !== listed.length) return undefined;
    return { hash, epoch: req.epoch, index };
  }

  #cleanup(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#holdTimer);
    this.#unwatch?.();
    this.ctx.sends?.forget(this);
    this.ctx.onFinished();
    if (this.session && this.#opened) this.ctx.callbacks.onStreamClosed?.(this.session);
  }

  get closed(): boolean {
    return this.#closed;
  }
}
