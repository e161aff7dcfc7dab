import * as grpc from '@grpc/grpc-js';
import {
  loadConfigProto,
  MAX_MESSAGE_BYTES,
  snapshotFromResponse,
  type ConfigDiscoveryClient,
  type ConfigRequest,
  type ConfigResponse__Output,
} from '@gw/config-proto';
import { silentLogger, type Logger } from '@gw/logging';
import type { Snapshot } from '@gw/snapshot';
import { Backoff } from './backoff.js';

/** What the runtime runs now, reported on every request. */
export interface AppliedState {
  version: number;
  epoch: number;
  hash: string;
}

export type ApplyVerdict = { ok: true } | { ok: false; code: string; message: string };

export interface SnapshotSource {
  controllerId: string;
  controllerZone: string;
  address: string;
}

export interface ConfigClientOptions {
  /** Controller `host:port` addresses in order of preference. */
  addresses: readonly string[];
  node: { id: string; zone: string; buildVersion?: string };
  /** The state to report; undefined when the runtime runs no config yet. */
  applied: () => AppliedState | undefined;
  /** Validates and applies a snapshot; the verdict becomes the ACK or NACK. */
  apply: (snapshot: Snapshot, source: SnapshotSource) => ApplyVerdict | Promise<ApplyVerdict>;
  logger?: Logger;
  backoff?: { initialMs?: number; maxMs?: number };
  /** gRPC keepalive: how often to ping and how long to wait for the answer. */
  keepalive?: { timeMs?: number; timeoutMs?: number };
}

export interface ConfigClientStatus {
  connected: boolean;
  address: string | undefined;
  controllerId: string | undefined;
  controllerZone: string | undefined;
  lastError: string | undefined;
  /** Streams opened since start (failovers + 1). */
  connects: number;
}

/**
 * The runtime's end of the config stream. It keeps one stream open to one controller
 * and, when that stream fails or ends, moves on to the next address after a jittered
 * backoff. Responses are handled one at a time, in order.
 */
export class ConfigClient {
  readonly #logger: Logger;
  readonly #backoff: Backoff;
  #index = 0;
  #client: ConfigDiscoveryClient | undefined;
  #call: grpc.ClientDuplexStream<ConfigRequest, ConfigResponse__Output> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;
  #status: ConfigClientStatus = { connected: false, address: undefined, controllerId: undefined, controllerZone: undefined, lastError: undefined, connects: 0 };

  constructor(private readonly options: ConfigClientOptions) {
    if (options.addresses.length === 0) throw new TypeError('ConfigClient needs at least one controller address');
    this.#logger = options.logger ?? silentLogger;
    this.#backoff = new Backoff(options.backoff?.initialMs ?? 200, options.backoff?.maxMs ?? 5_000);
  }

  get status(): Readonly<ConfigClientStatus> {
    return this.#status;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#teardown();
  }

  #connect(): void {
    if (this.#stopped) return;
    const address = this.options.addresses[this.#index % this.options.addresses.length]!;
    const Ctor = loadConfigProto().gateway.config.v1.ConfigDiscovery;
    const client = new Ctor(address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      'grpc.keepalive_time_ms': this.options.keepalive?.timeMs ?? 5_000,
      'grpc.keepalive_timeout_ms': this.options.keepalive?.timeoutMs ?? 2_000,
      'grpc.keepalive_permit_without_calls': 1,
      // We run our own failover across addresses; the channel must not retry for long on its own.
      'grpc.max_reconnect_backoff_ms': 1_000,
      'grpc.initial_reconnect_backoff_ms': 100,
    });
    this.#client = client;
    const call = client.StreamConfig();
    this.#call = call;
    this.#status = { ...this.#status, address, connected: false, controllerId: undefined, controllerZone: undefined, connects: this.#status.connects + 1 };
    let queue = Promise.resolve();
    let delivered = false;

    call.on('data', (response: ConfigResponse__Output) => {
      delivered = true;
      queue = queue.then(() => this.#handle(call, response, address));
    });
    const onDown = (reason: string) => {
      if (this.#call !== call) return; // an old stream's late event
      this.#status = { ...this.#status, connected: false, lastError: reason };
      this.#teardown();
      if (this.#stopped) return;
      // A stream that delivered config was healthy: start the backoff over for the next one.
      if (delivered) this.#backoff.reset();
      this.#index++;
      const delay = this.#backoff.next();
      this.#logger.warn({ address, reason, retryInMs: delay, next: this.options.addresses[this.#index % this.options.addresses.length] }, 'config stream down, moving to next controller');
      this.#timer = setTimeout(() => this.#connect(), delay);
    };
    call.on('error', (err: grpc.ServiceError) => onDown(`${grpc.status[err.code] ?? err.code}: ${err.details || err.message}`));
    call.on('end', () => onDown('stream ended by controller'));
    call.on('status', () => undefined);

    call.write(this.#request(''));
  }

  async #handle(call: grpc.ClientDuplexStream<ConfigRequest, ConfigResponse__Output>, response: ConfigResponse__Output, address: string): Promise<void> {
    if (this.#call !== call) return;
    this.#status = { ...this.#status, connected: true, controllerId: response.controllerId, controllerZone: response.controllerZone, lastError: undefined };
    const snapshot = snapshotFromResponse(response);
    let verdict: ApplyVerdict;
    try {
      verdict = await this.options.apply(snapshot, { controllerId: response.controllerId, controllerZone: response.controllerZone, address });
    } catch (err) {
      verdict = { ok: false, code: 'GW_INTERNAL', message: err instanceof Error ? err.message : String(err) };
    }
    if (this.#call !== call) return;
    const request = this.#request(response.nonce);
    if (!verdict.ok) request.errorDetail = { code: verdict.code, message: verdict.message };
    call.write(request);
  }

  #request(nonce: string): ConfigRequest {
    const applied = this.options.applied();
    return {
      node: { id: this.options.node.id, zone: this.options.node.zone, buildVersion: this.options.node.buildVersion ?? '' },
      versionInfo: applied?.version ?? 0,
      epoch: applied?.epoch ?? 0,
      hash: applied?.hash ?? '',
      responseNonce: nonce,
    };
  }

  #teardown(): void {
    const call = this.#call;
    this.#call = undefined;
    if (call) {
      call.removeAllListeners('data');
      call.on('error', () => undefined); // cancel() surfaces as an error we already handled
      call.cancel();
    }
    this.#client?.close();
    this.#client = undefined;
  }
}
