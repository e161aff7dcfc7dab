import { ApiError, type DeployClient } from './client.js';
import { paint, type Output } from './output.js';
import { CommandError } from './usage-error.js';

/** The default of `--timeout` for `apply --wait` and `status --wait-for`. */
export const DEFAULT_WAIT_MS = 60_000;
/** One long poll of `GET /v1/status?waitForVersion=` lasts at most this long, so progress shows between them. */
const POLL_CHUNK_MS = 2_000;

interface Nack {
  version: number;
  code: string;
  message: string;
}

interface Laggard {
  runtimeId: string;
  zone: string;
  version: number;
  epoch: number;
  lastNack: Nack | null;
}

interface RuntimeRow {
  runtimeId: string;
  zone: string;
  state: string;
  applied: { version: number; epoch: number };
}

interface RuntimesReport {
  config: { version: number; epoch: number };
  runtimes: RuntimeRow[];
}

/** Per zone: connected runtimes, and how many of them run the version (or newer). */
type ZoneProgress = Map<string, { done: number; connected: number }>;

function progress(report: RuntimesReport, version: number): ZoneProgress {
  const zones: ZoneProgress = new Map();
  for (const r of [...report.runtimes].sort((a, b) => a.zone.localeCompare(b.zone))) {
    if (r.state !== 'connected') continue; // stale and disconnected runtimes are not waited for
    const z = zones.get(r.zone) ?? { done: 0, connected: 0 };
    z.connected++;
    if (r.applied.epoch >= report.config.epoch && r.applied.version >= version) z.done++;
    zones.set(r.zone, z);
  }
  return zones;
}

export function describeLaggard(l: Laggard): string {
  const nack = l.lastNack ? `, last NACK ${l.lastNack.code} for version ${l.lastNack.version}: ${l.lastNack.message}` : '';
  return `${l.runtimeId} (zone ${l.zone}) at version ${l.version}${nack}`;
}

/**
 * Waits until every connected runtime runs `version` (or a newer one), long-polling
 * `GET /v1/status?waitForVersion=` in short rounds and printing a line per zone whenever its
 * count moves (to stderr: stdout stays the command's answer). Returns when the server says
 * the version is reached; throws a CommandError naming the laggards after `timeoutMs`.
 */
export async function waitForVersion(client: DeployClient, out: Output, version: number, timeoutMs: number): Promise<void> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  const shown = new Map<string, string>();
  const show = async () => {
    const { body } = await client.request<RuntimesReport>('GET', '/v1/runtimes');
    for (const [zone, z] of progress(body, version)) {
      const text = `${z.done}/${z.connected}`;
      if (shown.get(zone) === text) continue;
      shown.set(zone, text);
      const mark = z.done === z.connected ? paint(out, 'green', 'ok') : paint(out, 'yellow', '..');
      out.note(`  ${mark} zone ${zone}: ${text} connected runtime(s) run version ${version}\n`);
    }
    return body;
  };
  out.note(`waiting for every connected runtime to run config version ${version} (timeout ${Math.round(timeoutMs / 1000)}s)\n`);
  let laggards: Laggard[] = [];
  // Bounded: every round waits up to POLL_CHUNK_MS on the server, and the deadline ends the loop.
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    const chunk = Math.min(remaining, POLL_CHUNK_MS);
    try {
      await client.request('GET', `/v1/status?waitForVersion=${version}&timeoutMs=${chunk}`, { timeoutMs: chunk + 30_000 });
      const report = await show();
      const connected = report.runtimes.filter((r) => r.state === 'connected').length;
      if (connected === 0) out.note(`  ${paint(out, 'yellow', 'warning')}: no runtime is connected, so there was nothing to wait for\n`);
      out.note(`${paint(out, 'green', 'done')}: every connected runtime (${connected}) runs config version ${version} (${((Date.now() - started) / 1000).toFixed(1)}s)\n`);
      return;
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 504 && err.problem.code === 'GW_WAIT_TIMEOUT')) throw err;
      laggards = Array.isArray(err.problem['laggards']) ? (err.problem['laggards'] as Laggard[]) : [];
    }
    await show();
  }
  throw new CommandError(
    `timed out after ${Math.round(timeoutMs / 1000)}s: ${laggards.length} connected runtime(s) do not run config version ${version}:\n` + laggards.map((l) => `  ${describeLaggard(l)}`).join('\n'),
  );
}
