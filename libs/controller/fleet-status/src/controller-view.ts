import type { ControllerHeartbeats, ControllerHeartbeatRow } from '@gw/store';
import type { ConfigRef } from './fleet-view.js';

/** A replica is live while its heartbeat is fresh, stale once it stopped writing (dead, or cut off from the database). */
export type ControllerState = 'live' | 'stale';

/** One controller replica as `GET /v1/controllers` shows it. */
export interface ControllerView {
  controllerId: string;
  zone: string;
  state: ControllerState;
  stale: boolean;
  /** The replica that answered this request. */
  self: boolean;
  startedAt: string;
  lastSeenAt: string;
  /** The snapshot it compiled and serves; null before its first compile. */
  snapshot: ConfigRef | null;
  buildVersion: string;
}

export interface ControllersReport {
  controllers: ControllerView[];
  /** The database's clock when the list was read. */
  checkedAt: string;
}

export function controllerState(row: Pick<ControllerHeartbeatRow, 'lastSeenAt'>, now: Date, staleAfterMs: number): ControllerState {
  return now.getTime() - row.lastSeenAt.getTime() > staleAfterMs ? 'stale' : 'live';
}

/** Judged on the database's clock with the same threshold as runtimes (FLEET_STALE_AFTER_MS). */
export function controllersReport(heartbeats: ControllerHeartbeats, ctx: { staleAfterMs: number; selfId: string }): ControllersReport {
  return {
    controllers: heartbeats.controllers.map((row) => {
      const state = controllerState(row, heartbeats.now, ctx.staleAfterMs);
      return {
        controllerId: row.controllerId,
        zone: row.zone,
        state,
        stale: state === 'stale',
        self: row.controllerId === ctx.selfId,
        startedAt: row.startedAt.toISOString(),
        lastSeenAt: row.lastSeenAt.toISOString(),
        snapshot: row.snapshot ? { ...row.snapshot } : null,
        buildVersion: row.buildVersion,
      };
    }),
    checkedAt: heartbeats.now.toISOString(),
  };
}
