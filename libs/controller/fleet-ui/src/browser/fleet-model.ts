// What the page shows, worked out from the deploy API's answers: pure functions, no DOM,
// so they are unit-tested in Node (fleet-model.spec.ts). Types come from the libraries
// that produce the JSON (type-only imports, erased at compile time).
import type { ApiResource } from '@gw/deploy-api';
import type { ControllersReport, ControllerView, RuntimesReport, RuntimeView } from '@gw/fleet-status';

export type { ApiResource, ControllersReport, ControllerView, RuntimesReport, RuntimeView };

/** `GET /v1/apis?limit=…`: one page; `next` is null when it holds the rest. */
export interface ApisList {
  items: ApiResource[];
  configVersion: number;
  next: string | null;
}

/**
 * How many APIs the page lists, the first by name: it asks every 2 s, and at 10,000 APIs the
 * whole list is ~10 MiB and a second of the controller's work each time.
 */
export const APIS_SHOWN = 200;

/** The caption of the API table: says so when there are more APIs than it lists. */
export function apisCaption(list: ApisList): string {
  if (list.next === null) return `APIs (config version ${list.configVersion})`;
  return `APIs: the first ${list.items.length} by name, more are not listed here (config version ${list.configVersion}; gatewayctl get apis lists them all)`;
}

/** One zone's runtimes, for one section of the page. */
export interface ZoneGroup {
  zone: string;
  runtimes: RuntimeView[];
  counts: { total: number; connected: number; inSync: number; stale: number; disconnected: number };
}

/** The key the token is kept under in sessionStorage (gone when the tab closes). */
export const TOKEN_KEY = 'gw.fleet.token';

/** How long the page waits between two rounds of requests (the issue: at most every 2 s). */
export const POLL_MS = 2_000;

/**
 * The token from a `#token=…` fragment (what the demo prints), with what the fragment
 * should become once the token is taken out of it; undefined when it holds none.
 */
export function tokenFromFragment(hash: string): { token: string; rest: string } | undefined {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const token = params.get('token')?.trim();
  if (!token) return undefined;
  params.delete('token');
  const rest = params.toString();
  return { token, rest: rest === '' ? '' : `#${rest}` };
}

/** Runtimes by zone (zones in byte order, as the API sorts them), with counts for the heading. */
export function groupByZone(runtimes: readonly RuntimeView[]): ZoneGroup[] {
  const zones = new Map<string, RuntimeView[]>();
  for (const r of runtimes) zones.set(r.zone, [...(zones.get(r.zone) ?? []), r]);
  return [...zones.keys()]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((zone) => {
      const list = zones.get(zone)!;
      return {
        zone,
        runtimes: list,
        counts: {
          total: list.length,
          connected: list.filter((r) => r.state === 'connected').length,
          inSync: list.filter((r) => r.inSync).length,
          stale: list.filter((r) => r.state === 'stale').length,
          disconnected: list.filter((r) => r.state === 'disconnected').length,
        },
      };
    });
}

/** The status as words (never colour alone): what the row says before anything else. */
export function runtimeStatusText(r: Pick<RuntimeView, 'state' | 'inSync' | 'nackPending'>): string {
  if (r.state === 'disconnected') return 'Disconnected';
  if (r.state === 'stale') return 'Stale (not heard from)';
  if (r.nackPending) return 'Connected, refusing the latest config';
  return r.inSync ? 'Connected, in sync' : 'Connected, out of sync';
}

export function controllerStatusText(c: Pick<ControllerView, 'state'>): string {
  return c.state === 'stale' ? 'Stale (no heartbeat)' : 'Live';
}

/** `v12 · epoch 1`. */
export function configText(ref: { version: number; epoch: number } | null | undefined): string {
  return ref ? `v${ref.version} · epoch ${ref.epoch}` : 'none yet';
}

/** The last NACK and its reason, or a dash. */
export function nackText(n: RuntimeView['lastNack'], pending: boolean): string {
  if (!n) return '—';
  return `${n.code} for v${n.version}: ${n.message}${pending ? '' : ' (resolved)'}`;
}

/** `5 s ago`, `3 min ago`, `2 h ago`, `4 d ago`, against the database's clock (`now`), so a skewed browser clock does not lie. */
export function ago(iso: string, nowIso: string): string {
  const s = Math.max(0, Math.round((Date.parse(nowIso) - Date.parse(iso)) / 1000));
  if (!Number.isFinite(s)) return '';
  if (s < 60) return `${s} s ago`;
  if (s < 3_600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3_600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** `2026-12-07 06:50:01 UTC`. */
export function utc(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
