import * as grpc from '@grpc/grpc-js';
import { Backoff } from '@gw/backoff';
import {
  CONTROLLER_ID_METADATA,
  CONTROLLER_ZONE_METADATA,
  loadConfigProto,
  MAX_MESSAGE_BYTES,
  deltaFromResponse,
  heldToProto,
  snapshotFromResponse,
  type ConfigDiscoveryClient,
  type ConfigRequest,
  type ConfigResponse__Output,
} from '@gw/config-proto';
import { mutualTlsChannelCredentials, serverNameOptions, type ReloadingTlsFiles } from '@gw/grpc-tls';
import { silentLogger, type Logger } from '@gw/logging';
import { applyDelta, type ConfigSnapshot } from '@gw/config-contract';
import { ErrorCodes } from '@gw/errors';
import { orderControllerAddresses, type ControllerAddress } from './controller-addresses.js';

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

/** `delta`: incremental responses (only what changed); `full`: the whole state on every version. */
export type ConfigStreamMode = 'delta' | 'full';

export const DEFAULT_CONFIG_STREAM_MODE: ConfigStreamMode = 'delta';

/** What the client received, for tests and metrics. */
export interface ConfigClientReceived {
  /** Responses carrying the whole state. */
  full: number;
  /** Delta responses. */
  delta: number;
  /** Resources carried by all of them (a delta's added or changed ones only). */
  resources: number;
  /** Resource keys removed by deltas. */
  removed: number;
}

export interface ConfigClientOptions {
  /**
   * Controller addresses: plain `host:port` strings (zone unknown, tried in the order
   * given) or zone-tagged ones. The client orders them with orderControllerAddresses:
   * its own zone first, then untagged, then other zones.
   */
  addresses: readonly (string | ControllerAddress)[];
  node: { id: string; zone: string; buildVersion?: string };
  /** The state to report; undefined when the runtime runs no config yet. */
  applied: () => AppliedState | undefined;
  /**
   * Validates and applies a snapshot (always a whole state: deltas are rebuilt into one
   * first); the verdict becomes the ACK or NACK.
   */
  apply: (snapshot: ConfigSnapshot, source: SnapshotSource) => ApplyVerdict | Promise<ApplyVerdict>;
  /** Default DEFAULT_CONFIG_STREAM_MODE (`delta`). */
  mode?: ConfigStreamMode;
  /**
   * The whole state the runtime already runs when the client starts (its disk cache): in
   * delta mode it is listed to the controller, which then sends only what changed.
   */
  held?: ConfigSnapshot | undefined;
  logger?: Logger;
  /**
   * Between two connection attempts: full jitter under a ceiling of `initialMs` doubling to
   * `maxMs` (defaults 200 ms and 5 s), never below `initialMs / 2`.
   */
  backoff?: { initialMs?: number; maxMs?: number };
  /**
   * gRPC keepalive: how often to ping the controller and how long to wait for the answer
   * (defaults 3000 / 2000 ms). A frozen controller is noticed within about their sum.
   * Controllers refuse pings more often than once a second.
   */
  keepalive?: { timeMs?: number; timeoutMs?: number };
  /**
   * While connected to anything but the most preferred address, check every this many ms
   * whether a more preferred controller answers again, and move back to it (default
   * 30000; 0 never moves back until the current stream fails).
   */
  preferredRetryMs?: number;
  /**
   * Mutual TLS: present `files`' certificate, trust only its CA, and check each controller's
   * certificate against `serverName` (default: the host of the address). Undefined: plaintext.
   */
  tls?: { files: ReloadingTlsFiles; serverName?: string | undefined };
}

export interface ConfigClientStatus {
  connected: boolean;
  address: string | undefined;
  controllerId: string | undefined;
  controllerZone: string | undefined;
  /** Whether the connected controller announced this runtime's zone; undefined while not connected. */
  inZone: boolean | undefined;
  /** 0 when connected to the most preferred address, else its position in `order`. */
  rank: number | undefined;
  /** The addresses in the order this runtime tries them. */
  order: readonly string[];
  lastError: string | undefined;
  /** Streams opened since start (failovers + 1). */
  connects: number;
}

type Call = grpc.ClientDuplexStream<ConfigRequest, ConfigResponse__Output>;

/** How long a check of a more preferred controller may take before it counts as down. */
const PREFERRED_PROBE_TIMEOUT_MS = 5_000;

/**
 * The runtime's end of the config stream. It keeps one stream open to one controller
 * and, when that stream fails or ends, moves on to the next address after a jittered
 * backoff. Responses are handled one at a time, in order.
 *
 * The controller announces itself in the stream's response headers (CONTROLLER_ID_METADATA),
 * so a runtime knows whom it is connected to even when it is in sync and no snapshot
 * needs to be sent (e.g. right after a failover).
 */
export class ConfigClient {
  readonly #logger: Logger;
  readonly #backoff: Backoff;
  readonly #order: readonly ControllerAddress[];
  readonly #channelOptions: grpc.ChannelOptions;
  readonly #credentials: grpc.ChannelCredentials;
  #index = 0;
  #client: ConfigDiscoveryClient | undefined;
  #call: Call | undefined;
  #timer: NodeJS.Timeout | undefined;
  #preferredTimer: NodeJS.Timeout | undefined;
  #probe: ConfigDiscoveryClient | undefined;
  #probeCursor = 0;
  #stopped = true;
  #status: ConfigClientStatus;
  readonly #mode: ConfigStreamMode;
  /** The whole state last applied (or given at start): the base deltas apply to. */
  #held: ConfigSnapshot | undefined;
  #received: ConfigClientReceived = { full: 0, delta: 0, resources: 0, removed: 0 };

  constructor(private readonly options: ConfigClientOptions) {
    if (options.addresses.length === 0) throw new TypeError('ConfigClient needs at least one controller address');
    this.#logger = options.logger ?? silentLogger;
    this.#mode = options.mode ?? DEFAULT_CONFIG_STREAM_MODE;
    this.#held = options.held;
    const initialMs = options.backoff?.initialMs ?? 200;
    // The floor: a stream that ends at once (a controller refusing it) must not turn into a
    // tight loop round the address list; full jitter alone may draw 0 ms.
    this.#backoff = new Backoff({ baseMs: initialMs, capMs: options.backoff?.maxMs ?? 5_000, floorMs: initialMs / 2 });
    const given = options.addresses.map((a) => (typeof a === 'string' ? { address: a, zone: undefined } : a));
    this.#order = orderControllerAddresses(given, options.node.zone, options.node.id);
    this.#channelOptions = {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      'grpc.keepalive_time_ms': options.keepalive?.timeMs ?? 3_000,
      'grpc.keepalive_timeout_ms': options.keepalive?.timeoutMs ?? 2_000,
      'grpc.keepalive_permit_without_calls': 1,
      // We run our own failover across addresses; the channel must not retry for long on its own.
      'grpc.max_reconnect_backoff_ms': 1_000,
      'grpc.initial_reconnect_backoff_ms': 100,
      ...serverNameOptions(options.tls?.serverName),
    };
    // One credentials object for every channel: each new handshake reads the newest files.
    this.#credentials = options.tls ? mutualTlsChannelCredentials(options.tls.files) : grpc.credentials.createInsecure();
    this.#status = {
      connected: false,
      address: undefined,
      controllerId: undefined,
      controllerZone: undefined,
      inZone: undefined,
      rank: undefined,
      order: this.#order.map((a) => (a.zone === undefined ? a.address : `${a.zone}=${a.address}`)),
      lastError: undefined,
      connects: 0,
    };
  }

  get status(): Readonly<ConfigClientStatus> {
    return this.#status;
  }

  get mode(): ConfigStreamMode {
    return this.#mode;
  }

  /** Counts of what the controllers sent since start. */
  get received(): Readonly<ConfigClientReceived> {
    return this.#received;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#connect();
    const every = this.options.preferredRetryMs ?? 30_000;
    if (every > 0 && this.#order.length > 1) {
      this.#preferredTimer = setInterval(() => this.#checkPreferred(), every);
      this.#preferredTimer.unref();
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearInterval(this.#preferredTimer);
    this.#probe?.close();
    this.#probe = undefined;
    this.#teardown();
  }

  #connect(): void {
    if (this.#stopped) return;
    const rank = this.#index % this.#order.length;
    const target = this.#order[rank]!;
    const address = target.address;
    const client = this.#newClient(address);
    this.#client = client;
    const call = client.StreamConfig();
    this.#call = call;
    this.#status = {
      ...this.#status,
      address,
      rank,
      connected: false,
      controllerId: undefined,
      controllerZone: undefined,
      inZone: undefined,
      connects: this.#status.connects + 1,
    };
    let queue = Promise.resolve();
    let identified = false;

    const identify = (controllerId: string, controllerZone: string) => {
      if (this.#call !== call) return;
      this.#status = { ...this.#status, connected: true, controllerId, controllerZone, inZone: controllerZone === this.options.node.zone, lastError: undefined };
      if (identified) return;
      identified = true;
      // A controller that answered is healthy: the next failure starts the backoff over.
      this.#backoff.reset();
      const fields = { address, controllerId, controllerZone, zone: this.options.node.zone, rank };
      if (target.zone !== undefined && target.zone !== controllerZone) {
        this.#logger.warn({ ...fields, taggedZone: target.zone }, 'controller announces a different zone than its CONTROLLER_ADDRESSES tag');
      }
      if (controllerZone !== this.options.node.zone) this.#logger.warn(fields, 'connected to a controller outside this zone');
      else this.#logger.info(fields, 'connected to controller');
    };

    call.on('metadata', (md: grpc.Metadata) => {
      const id = md.get(CONTROLLER_ID_METADATA)[0];
      if (typeof id === 'string' && id) identify(id, String(md.get(CONTROLLER_ZONE_METADATA)[0] ?? ''));
    });
    call.on('data', (response: ConfigResponse__Output) => {
      identify(response.controllerId, response.controllerZone);
      queue = queue.then(() => this.#handle(call, response, address));
    });
    const onDown = (reason: string) => {
      if (this.#call !== call) return; // an old stream's late event
      this.#status = { ...this.#status, connected: false, inZone: undefined, lastError: reason };
      this.#teardown();
      if (this.#stopped) return;
      this.#index = rank + 1;
      const delay = this.#backoff.next();
      this.#logger.warn({ address, reason, retryInMs: delay, next: this.#order[this.#index % this.#order.length]!.address }, 'config stream down, moving to next controller');
      this.#timer = setTimeout(() => this.#connect(), delay);
    };
    call.on('error', (err: grpc.ServiceError) => onDown(`${grpc.status[err.code] ?? err.code}: ${err.details || err.message}`));
    call.on('end', () => onDown('stream ended by controller'));
    call.on('status', () => undefined);

    call.write(this.#request('', true));
  }

  /**
   * While on a less preferred controller, checks one more preferred address per tick
   * (cycling through them) and moves back once it accepts connections. A controller's
   * gRPC port only opens after its first snapshot is compiled, and a draining one refuses
   * new connections, so "ready" is a fair test. Moving does not re-apply: the content
   * hash is the same on every replica.
   */
  #checkPreferred(): void {
    const rank = this.#status.rank;
    if (this.#stopped || this.#probe || !this.#status.connected || rank === undefined || rank === 0) return;
    const candidateRank = this.#probeCursor++ % rank;
    const candidate = this.#order[candidateRank]!;
    const probe = this.#newClient(candidate.address);
    this.#probe = probe;
    probe.waitForReady(Date.now() + PREFERRED_PROBE_TIMEOUT_MS, (err) => {
      probe.close();
      if (this.#probe !== probe) return; // stopped meanwhile
      this.#probe = undefined;
      if (err || this.#stopped) return;
      const current = this.#status.rank;
      if (!this.#status.connected || current === undefined || current <= candidateRank) return;
      this.#logger.info({ from: this.#status.address, to: candidate.address, zone: candidate.zone }, 'a more preferred controller is reachable again: moving back to it');
      this.#teardown();
      clearTimeout(this.#timer);
      this.#index = candidateRank;
      this.#connect();
    });
  }

  #newClient(address: string): ConfigDiscoveryClient {
    const Ctor = loadConfigProto().gateway.config.v1.ConfigDiscovery;
    return new Ctor(address, this.#credentials, this.#channelOptions);
  }

  async #handle(call: Call, response: ConfigResponse__Output, address: string): Promise<void> {
    if (this.#call !== call) return;
    const counts = this.#received;
    this.#received = response.delta
      ? { ...counts, delta: counts.delta + 1, resources: counts.resources + response.resources.length, removed: counts.removed + response.removedResources.length }
      : { ...counts, full: counts.full + 1, resources: counts.resources + response.resources.length };
    let verdict: ApplyVerdict;
    const rebuilt = this.#wholeState(response);
    if (!rebuilt.ok) {
      this.#logger.warn({ version: response.version, code: rebuilt.code, reason: rebuilt.message }, 'config delta refused');
      verdict = rebuilt;
    } else {
      try {
        verdict = await this.options.apply(rebuilt.snapshot, { controllerId: response.controllerId, controllerZone: response.controllerZone, address });
      } catch (err) {
        verdict = { ok: false, code: 'GW_INTERNAL', message: err instanceof Error ? err.message : String(err) };
      }
      // The base of the next delta: what the runtime now runs (a NACK keeps the last good one).
      if (verdict.ok) this.#held = rebuilt.snapshot;
    }
    if (this.#call !== call) return;
    const request = this.#request(response.nonce);
    if (!verdict.ok) request.errorDetail = { code: verdict.code, message: verdict.message };
    call.write(request);
  }

  /**
   * A whole state from a response: as received, or (a delta) the held state with the
   * delta applied and verified: every changed resource's content hash and the resulting
   * state hash must be the announced ones, else GW_SNAPSHOT_HASH_MISMATCH (the controller
   * then sends the whole state) and the runtime keeps what it runs.
   */
  #wholeState(response: ConfigResponse__Output): { ok: true; snapshot: ConfigSnapshot } | { ok: false; code: string; message: string } {
    if (!response.delta) return { ok: true, snapshot: snapshotFromResponse(response) };
    const held = this.#held;
    if (!held) return { ok: false, code: ErrorCodes.GW_SNAPSHOT_HASH_MISMATCH, message: `a delta against ${response.baseHash || 'an unnamed state'}, but this runtime holds no config` };
    return applyDelta(held, deltaFromResponse(response));
  }

  #request(nonce: string, first = false): ConfigRequest {
    const applied = this.options.applied();
    const request: ConfigRequest = {
      node: { id: this.options.node.id, zone: this.options.node.zone, buildVersion: this.options.node.buildVersion ?? '' },
      versionInfo: applied?.version ?? 0,
      epoch: applied?.epoch ?? 0,
      hash: applied?.hash ?? '',
      responseNonce: nonce,
    };
    if (this.#mode === 'delta') {
      request.delta = true;
      const held = this.#held;
      // Listed only when it is what the runtime reports running (a cache-served state reports an empty hash, same version).
      const runs = held !== undefined && applied !== undefined && held.epoch === applied.epoch && (applied.hash === held.hash || (applied.hash === '' && applied.version === held.version));
      if (first && runs) request.initialResourceVersions = heldToProto(held);
    }
    return request;
  }

  #teardown(): void {
    const call = this.#call;
    this.#call = undefined;
    if (call) {
      call.removeAllListeners('data');
      call.removeAllListeners('metadata');
      call.on('error', () => undefined); // cancel() surfaces as an error we already handled
      call.cancel();
    }
    this.#client?.close();
    this.#client = undefined;
  }
}
