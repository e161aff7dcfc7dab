import type { FleetState, RuntimeSessionRow } from '@gw/store';

// Pure functions from what the database holds to what the status API answers. Every
// replica reads the same rows and the database's clock, so every replica answers the same.

export type RuntimeState = 'connected' | 'stale' | 'disconnected';

export interface ConfigRef {
  version: number;
  epoch: number;
  hash: string;
}

/** The desired config: the database's version and epoch, with the hash once this replica compiled it. */
export interface DesiredConfig {
  version: number;
  epoch: number;
  /** null while this replica has not compiled the database's version (hashes are identical on every replica). */
  hash: string | null;
}

export interface NackView {
  version: number;
  epoch: number;
  code: string;
  message: string;
  at: string;
}

/** One runtime as `GET /v1/runtimes` shows it. */
export interface RuntimeView {
  runtimeId: string;
  zone: string;
  controllerId: string;
  state: RuntimeState;
  /** A live stream heard from within the stale threshold. */
  connected: boolean;
  /** Recorded as connected but not heard from for longer than the stale threshold (its controller likely died); counts as not connected. */
  stale: boolean;
  applied: ConfigRef;
  /** Connected and running exactly the desired version, epoch (and hash). */
  inSync: boolean;
  lastNack: NackView | null;
  /** The last NACK is for a config newer than the one the runtime runs: it is still refusing the fleet's config. */
  nackPending: boolean;
  connectedAt: string;
  lastSeenAt: string;
  disconnectedAt: string | null;
  buildVersion: string;
  /** The SPIFFE ID the runtime's client certificate proved (`spiffe://gateway/runtime/<id>`); null in insecure mode. */
  identity: string | null;
  /** When that certificate expires: who still runs an old certificate. */
  certificateNotAfter: string | null;
}

export interface FleetCounts {
  total: number;
  connected: number;
  inSync: number;
  outOfSync: number;
  /** Connected runtimes whose last NACK is still pending. */
  nacked: number;
  stale: number;
  disconnected: number;
}

export interface Laggard {
  runtimeId: string;
  zone: string;
  controllerId: string;
  version: number;
  epoch: number;
  lastNack: NackView | null;
}

export interface FleetStatus {
  controller: { id: string; zone: string; snapshot: ConfigRef | null };
  config: DesiredConfig;
  runtimes: FleetCounts;
  zones: Record<string, FleetCounts>;
  stale: { runtimeId: string; zone: string; controllerId: string; lastSeenAt: string }[];
  nacks: ({ runtimeId: string; zone: string; controllerId: string } & NackView)[];
  warnings: string[];
  /** The database's clock when the status was read. */
  checkedAt: string;
}

export interface ViewContext {
  /** Connected rows not written for longer than this are stale. */
  staleAfterMs: number;
  /** This replica's compiled snapshot, if any. */
  localSnapshot: ConfigRef | undefined;
}

export function desiredConfig(state: FleetState, local: ConfigRef | undefined): DesiredConfig {
  const { version, epoch } = state.config;
  const hash = local && local.version === version && local.epoch === epoch ? local.hash : null;
  return { version, epoch, hash };
}

export function runtimeState(row: RuntimeSessionRow, now: Date, staleAfterMs: number): RuntimeState {
  if (!row.connected) return 'disconnected';
  return now.getTime() - row.lastSeenAt.getTime() > staleAfterMs ? 'stale' : 'connected';
}

/** The last NACK is for something newer than what the runtime runs. */
export function isNackPending(row: RuntimeSessionRow): boolean {
  const n = row.lastNack;
  if (!n) return false;
  return n.epoch > row.applied.epoch || (n.epoch === row.applied.epoch && n.version > row.applied.version);
}

export function isInSync(applied: ConfigRef, desired: DesiredConfig): boolean {
  return applied.epoch === desired.epoch && applied.version === desired.version && (desired.hash === null || applied.hash === desired.hash);
}

function nackView(row: RuntimeSessionRow): NackView | null {
  const n = row.lastNack;
  return n ? { version: n.version, epoch: n.epoch, code: n.code, message: n.message, at: n.at.toISOString() } : null;
}

export function toRuntimeView(row: RuntimeSessionRow, desired: DesiredConfig, now: Date, staleAfterMs: number): RuntimeView {
  const state = runtimeState(row, now, staleAfterMs);
  const connected = state === 'connected';
  return {
    runtimeId: row.runtimeId,
    zone: row.zone,
    controllerId: row.controllerId,
    state,
    connected,
    stale: state === 'stale',
    applied: { ...row.applied },
    inSync: connected && isInSync(row.applied, desired),
    lastNack: nackView(row),
    nackPending: isNackPending(row),
    connectedAt: row.connectedAt.toISOString(),
    lastSeenAt: row.lastSeenAt.toISOString(),
    disconnectedAt: row.disconnectedAt?.toISOString() ?? null,
    buildVersion: row.buildVersion,
    identity: row.identity ?? null,
    certificateNotAfter: row.certificateNotAfter?.toISOString() ?? null,
  };
}

export function runtimeViews(state: FleetState, ctx: ViewContext): RuntimeView[] {
  const desired = desiredConfig(state, ctx.localSnapshot);
  return state.runtimes.map((r) => toRuntimeView(r, desired, state.now, ctx.staleAfterMs));
}

function emptyCounts(): FleetCounts {
  return { total: 0, connected: 0, inSync: 0, outOfSync: 0, nacked: 0, stale: 0, disconnected: 0 };
}

function count(c: FleetCounts, v: RuntimeView): void {
  c.total++;
  if (v.state === 'stale') c.stale++;
  else if (v.state === 'disconnected') c.disconnected++;
  else {
    c.connected++;
    if (v.inSync) c.inSync++;
    else c.outOfSync++;
    if (v.nackPending) c.nacked++;
  }
}

/** The runtime runs something newer than the database holds: a restored backup not followed by an epoch bump. */
function isAhead(applied: ConfigRef, desired: DesiredConfig): boolean {
  return applied.epoch > desired.epoch || (applied.epoch === desired.epoch && applied.version > desired.version);
}

export function fleetStatus(state: FleetState, ctx: ViewContext & { controllerId: string; zone: string }): FleetStatus {
  const desired = desiredConfig(state, ctx.localSnapshot);
  const views = state.runtimes.map((r) => toRuntimeView(r, desired, state.now, ctx.staleAfterMs));
  const total = emptyCounts();
  const zones: Record<string, FleetCounts> = {};
  for (const v of views) {
    count(total, v);
    count((zones[v.zone] ??= emptyCounts()), v);
  }
  const warnings: string[] = [];
  const ahead = views.filter((v) => v.connected && isAhead(v.applied, desired));
  if (ahead.length > 0) {
    const top = ahead.reduce((a, b) => (b.applied.epoch > a.applied.epoch || (b.applied.epoch === a.applied.epoch && b.applied.version > a.applied.version) ? b : a));
    warnings.push(
      `${ahead.length} runtime(s) run a config newer than the database (up to version ${top.applied.version}, epoch ${top.applied.epoch}; ` +
        `the database is at version ${desired.version}, epoch ${desired.epoch}): if a backup was restored, POST /v1/config/epoch to roll the fleet to it.`,
    );
  }
  const snap = ctx.localSnapshot;
  return {
    controller: { id: ctx.controllerId, zone: ctx.zone, snapshot: snap ? { version: snap.version, epoch: snap.epoch, hash: snap.hash } : null },
    config: desired,
    runtimes: total,
    zones,
    stale: views.filter((v) => v.stale).map((v) => ({ runtimeId: v.runtimeId, zone: v.zone, controllerId: v.controllerId, lastSeenAt: v.lastSeenAt })),
    nacks: views
      .filter((v) => v.connected && v.nackPending && v.lastNack)
      .map((v) => ({ runtimeId: v.runtimeId, zone: v.zone, controllerId: v.controllerId, ...v.lastNack! })),
    warnings,
    checkedAt: state.now.toISOString(),
  };
}

/**
 * Connected runtimes that do not yet run `version` (in the database's epoch or a newer
 * one). Stale and disconnected runtimes are not waited for: nobody can bring them along.
 */
export function laggards(state: FleetState, version: number, staleAfterMs: number): Laggard[] {
  const out: Laggard[] = [];
  for (const row of state.runtimes) {
    if (runtimeState(row, state.now, staleAfterMs) !== 'connected') continue;
    if (row.applied.epoch >= state.config.epoch && row.applied.version >= version) continue;
    out.push({ runtimeId: row.runtimeId, zone: row.zone, controllerId: row.controllerId, version: row.applied.version, epoch: row.applied.epoch, lastNack: nackView(row) });
  }
  return out;
}
