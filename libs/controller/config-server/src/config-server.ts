import * as grpc from '@grpc/grpc-js';
import { configServiceWithSharedEncoding, MAX_MESSAGE_BYTES, type ConfigRequest__Output, type ConfigResponse, type EncodedConfigResponse } from '@gw/config-proto';
import { silentLogger, type Logger } from '@gw/logging';
import type { SnapshotCache } from '@gw/snapshot-cache';
import { mutualTlsServerCredentials, type ReloadingTlsFiles } from '@gw/grpc-tls';
import { AdmissionGate, DEFAULT_ADMISSION_RATE, type AdmissionRate } from './admission-gate.js';
import { ConfigStream } from './config-stream.js';
import { runtimeIdentityOf } from './peer-identity.js';
import { refuseCall } from './refuse-call.js';
import { SendQueue } from './send-queue.js';
import { SharedResponses } from './shared-responses.js';
import { DEFAULT_STREAM_LIMITS, StreamCounter, type StreamLimits } from './stream-limits.js';
import type { ConfigServerCallbacks, RuntimeSession } from './runtime-session.js';

export interface ConfigServerOptions {
  cache: SnapshotCache;
  controllerId: string;
  zone: string;
  logger?: Logger;
  callbacks?: ConfigServerCallbacks;
  /**
   * Mutual TLS: the server certificate and the CA that signs runtime certificates. Only
   * clients with such a certificate connect, and each speaks only for the runtime id in its
   * certificate. Undefined: plaintext, node ids taken on trust (CONFIG_INSECURE=true).
   */
  tls?: ReloadingTlsFiles;
  limits?: Partial<StreamLimits>;
  /**
   * The runtime's last NACKed (epoch, version) as the fleet status recorded it, possibly by
   * another replica: asked once per new stream, before the first snapshot is sent, so a
   * failover does not resend a version the runtime already rejected.
   */
  recallNack?: NackRecall;
  /** How long a new stream waits for `recallNack` before sending without it (the database may be down). */
  nackRecallTimeoutMs?: number;
  /** New streams start their session (fleet record, NACK recall, first snapshot) at this rate at most (default DEFAULT_ADMISSION_RATE). */
  admission?: AdmissionRate;
  /** A fan-out sends for this long at most before yielding to the event loop (default DEFAULT_SEND_SLICE_MS). */
  sendSliceMs?: number;
  /** How long a stream holds its next response when its runtime ACKs while two or more newer versions already wait (default DEFAULT_BURST_HOLD_MS; 0: never). */
  burstHoldMs?: number;
  /**
   * After each fan-out: the time from a newer snapshot's arrival until every stream due it
   * had its turn (sent, or waiting for its runtime's answer to an earlier response).
   */
  onFanOut?: (ms: number) => void;
}

type Call = grpc.ServerDuplexStream<ConfigRequest__Output, ConfigResponse | EncodedConfigResponse>;

/** Reads a runtime's recorded last NACK; undefined when it has none. */
export type NackRecall = (runtimeId: string) => Promise<{ epoch: number; version: number } | undefined>;

/** Long enough for a point read on a healthy database, short next to a runtime's failover. */
export const DEFAULT_NACK_RECALL_TIMEOUT_MS = 1_000;

/**
 * 150 ms: during a burst of writes a delta-mode runtime otherwise applies every version
 * (up to 20 a second), each walking its whole state; holding the next response this long
 * when two or more newer versions were already waiting at the ACK halves a runtime's CPU per write at
 * 10,000 APIs (docs/benchmarks.md, "Fast writes in delta mode") and adds at most this much
 * to the convergence after a burst (goal < 1 s). A lone change is sent at once, and so is
 * one that is a single version ahead of the ACK (the next deploy of a sequence).
 */
export const DEFAULT_BURST_HOLD_MS = 150;

/** How many runtimes' NACK memories a replica keeps (oldest forgotten first). */
const NACK_MEMORY_RUNTIMES = 10_000;

/** The gRPC server that streams snapshots to runtimes. */
export class ConfigServer {
  readonly #server: grpc.Server;
  readonly #streams = new Set<ConfigStream>();
  readonly #nacked = new Map<string, Set<string>>();
  readonly #logger: Logger;
  readonly #limits: StreamLimits;
  readonly #perIdentity: StreamCounter;
  readonly #admission: AdmissionGate;
  readonly #sends: SendQueue;
  /** Whole states and deltas of the current snapshot, encoded once for every stream. */
  readonly responses: SharedResponses;
  #nextStreamId = 0;
  /** When the snapshot being fanned out arrived (undefined: no fan-out in progress). */
  #fanOutSince: number | undefined;
  readonly #unwatch: () => void;

  constructor(private readonly options: ConfigServerOptions) {
    this.#logger = options.logger ?? silentLogger;
    this.#limits = { ...DEFAULT_STREAM_LIMITS, ...options.limits };
    this.#perIdentity = new StreamCounter(this.#limits.maxStreamsPerIdentity);
    this.#admission = new AdmissionGate(options.admission ?? DEFAULT_ADMISSION_RATE);
    this.#sends = new SendQueue({
      ...(options.sendSliceMs === undefined ? {} : { sliceMs: options.sendSliceMs }),
      onError: (err) => this.#logger.error({ err }, 'config stream send failed'),
      onIdle: () => {
        if (this.#fanOutSince === undefined) return;
        const ms = performance.now() - this.#fanOutSince;
        this.#fanOutSince = undefined;
        options.onFanOut?.(ms);
      },
    });
    // Registered before any stream's watcher, so it notes the time before they queue.
    // The no-op target makes the queue run (and report idle) even when no stream is due anything.
    const marker = { sendPending: () => undefined };
    this.#unwatch = options.cache.watch(() => {
      this.#fanOutSince ??= performance.now();
      this.#sends.mark(marker);
    });
    this.#server = new grpc.Server({
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      // Runtimes ping every few seconds to notice a frozen controller; allow it.
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.http2.min_ping_interval_without_data_ms': 1_000,
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
    });
    this.responses = new SharedResponses({ controllerId: options.controllerId, zone: options.zone });
    // Its response serializer also writes pre-encoded responses (shared by every stream).
    this.#server.addService(configServiceWithSharedEncoding(), { StreamConfig: (call: Call) => this.#open(call) });
  }

  /** Binds `host:port` (port 0 picks a free one) and returns the bound port. */
  listen(address: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const credentials = this.options.tls ? mutualTlsServerCredentials(this.options.tls) : grpc.ServerCredentials.createInsecure();
      this.#server.bindAsync(address, credentials, (err, port) => (err ? reject(err) : resolve(port)));
    });
  }

  /** New streams waiting for admission, and streams admitted since start. */
  admissionStats(): { waiting: number; admitted: number } {
    return { waiting: this.#admission.waiting, admitted: this.#admission.admitted };
  }

  /** Streams waiting for their turn to send (a fan-out in progress), and the slices run since start. */
  sendQueueStats(): { waiting: number; slices: number } {
    return { waiting: this.#sends.waiting, slices: this.#sends.slices };
  }

  /** Open streams' sessions (runtimes that have identified themselves). */
  sessions(): RuntimeSession[] {
    return [...this.#streams].flatMap((s) => (s.session ? [s.session] : []));
  }

  /**
   * Ends every stream with status OK so runtimes fail over at once, then shuts the
   * server down, forcing it after `graceMs`.
   */
  async close(graceMs = 2_000): Promise<void> {
    this.#admission.close();
    this.#unwatch();
    for (const stream of this.#streams) stream.end();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#server.forceShutdown();
        resolve();
      }, graceMs);
      timer.unref();
      this.#server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #open(call: Call): void {
    const id = ++this.#nextStreamId;
    const callbacks = this.options.callbacks ?? {};
    let identity;
    if (this.options.tls) {
      // The handshake already refused clients without a certificate from the CA; this one's must name a runtime.
      identity = runtimeIdentityOf(call);
      if (!identity) {
        const cert = call.getAuthContext().sslPeerCertificate;
        this.#logger.warn({ peer: call.getPeer(), subjectAltName: cert?.subjectaltname?.slice(0, 512) }, 'config stream from a certificate without a runtime identity: refused');
        refuseCall(call, grpc.status.UNAUTHENTICATED, 'the client certificate names no runtime (URI SAN spiffe://gateway/runtime/<id>)');
        return;
      }
      if (!this.#perIdentity.acquire(identity.spiffeId)) {
        this.#logger.warn({ peer: call.getPeer(), identity: identity.spiffeId, limit: this.#limits.maxStreamsPerIdentity }, 'too many config streams for one runtime identity: refused');
        refuseCall(call, grpc.status.RESOURCE_EXHAUSTED, `at most ${this.#limits.maxStreamsPerIdentity} open streams per runtime`);
        return;
      }
    }
    const held = identity?.spiffeId;
    let released = false;
    const release = () => {
      if (released || held === undefined) return;
      released = true;
      this.#perIdentity.release(held);
    };
    const stream = new ConfigStream(id, call, {
      cache: this.options.cache,
      responses: this.responses,
      controllerId: this.options.controllerId,
      zone: this.options.zone,
      logger: this.#logger,
      callbacks: {
        ...callbacks,
        onStreamClosed: (session) => {
          this.#streams.delete(stream);
          callbacks.onStreamClosed?.(session);
        },
      },
      nacked: (runtimeId) => this.#nackMemory(runtimeId),
      ...(this.options.recallNack ? { recallNack: this.options.recallNack } : {}),
      nackRecallTimeoutMs: this.options.nackRecallTimeoutMs ?? DEFAULT_NACK_RECALL_TIMEOUT_MS,
      burstHoldMs: this.options.burstHoldMs ?? DEFAULT_BURST_HOLD_MS,
      admit: (cancelled) => this.#admission.admit(cancelled),
      limits: this.#limits,
      identity,
      onFinished: release,
      sends: this.#sends,
    });
    this.#streams.add(stream);
    call.on('close', () => {
      this.#streams.delete(stream);
      release();
    });
  }

  #nackMemory(runtimeId: string): Set<string> {
    let set = this.#nacked.get(runtimeId);
    if (!set) {
      if (this.#nacked.size >= NACK_MEMORY_RUNTIMES) this.#nacked.delete(this.#nacked.keys().next().value!);
      set = new Set();
      this.#nacked.set(runtimeId, set);
    }
    return set;
  }
}
