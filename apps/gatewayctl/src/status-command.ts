import { deployClient, duration, expectPositionals, outputFormat, parseCommand, CONNECTION_USAGE, type CommandContext } from './command-context.js';
import { DEFAULT_WAIT_MS, waitForVersion } from './fleet-wait.js';
import { paint, table, toJson, toYaml, type Cell } from './output.js';
import { UsageError } from './usage-error.js';

export const STATUS_USAGE = `Usage: gatewayctl status [--wait-for VERSION [--timeout 60s]] [-o table|json|yaml]
  The fleet: the desired config version, runtimes per zone (connected, in sync, NACKed,
  stale, disconnected), pending NACKs, warnings.
  --wait-for VERSION   first wait until every connected runtime runs config VERSION (or
                       newer), with progress per zone; exit 1 naming the laggards after --timeout

${CONNECTION_USAGE}`;

interface Counts {
  total: number;
  connected: number;
  inSync: number;
  outOfSync: number;
  nacked: number;
  stale: number;
  disconnected: number;
}

interface FleetStatus {
  controller: { id: string; zone: string; snapshot: { version: number; epoch: number; hash: string } | null };
  config: { version: number; epoch: number; hash: string | null };
  runtimes: Counts;
  zones: Record<string, Counts>;
  nacks: { runtimeId: string; zone: string; version: number; code: string; message: string }[];
  stale: { runtimeId: string; zone: string; lastSeenAt: string }[];
  warnings: string[];
}

function countsRow(zone: string, c: Counts): Cell[] {
  return [
    zone,
    c.total,
    c.connected,
    c.inSync === c.connected ? { text: String(c.inSync), style: 'green' } : c.inSync,
    c.outOfSync > 0 ? { text: String(c.outOfSync), style: 'yellow' } : c.outOfSync,
    c.nacked > 0 ? { text: String(c.nacked), style: 'red' } : c.nacked,
    c.stale > 0 ? { text: String(c.stale), style: 'yellow' } : c.stale,
    c.disconnected,
  ];
}

/** `gatewayctl status [--wait-for VERSION]`. */
export async function statusCommand(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommand(args, { 'wait-for': { type: 'string' }, timeout: { type: 'string' }, output: { type: 'string', short: 'o' } }, STATUS_USAGE);
  if (values.help) return void ctx.out.write(`${STATUS_USAGE}\n`), 0;
  expectPositionals(positionals, [], STATUS_USAGE);
  const waitFor = values['wait-for'];
  if (waitFor !== undefined && !/^[0-9]{1,15}$/.test(waitFor)) throw new UsageError(`--wait-for must be a config version number (got "${waitFor}")`, STATUS_USAGE);
  if (values.timeout !== undefined && waitFor === undefined) throw new UsageError('--timeout only applies with --wait-for', STATUS_USAGE);
  const timeoutMs = duration(values.timeout, DEFAULT_WAIT_MS, '--timeout', STATUS_USAGE);
  const format = outputFormat(values.output, STATUS_USAGE);
  const client = deployClient(values, ctx, STATUS_USAGE);
  if (waitFor !== undefined) await waitForVersion(client, ctx.out, Number(waitFor), timeoutMs);
  const { body } = await client.request<FleetStatus>('GET', '/v1/status');
  const out = ctx.out;
  if (format === 'json') return out.write(toJson(body)), 0;
  if (format === 'yaml') return out.write(toYaml(body)), 0;
  const snap = body.controller.snapshot;
  out.write(`config version ${body.config.version} (epoch ${body.config.epoch}${body.config.hash ? `, hash ${body.config.hash.slice(0, 12)}` : ''})\n`);
  out.write(`answered by controller ${body.controller.id} (zone ${body.controller.zone}), serving ${snap ? `version ${snap.version}` : 'no snapshot yet'}\n\n`);
  const zones = Object.keys(body.zones).sort();
  out.write(
    table(out, ['ZONE', 'RUNTIMES', 'CONNECTED', 'IN SYNC', 'OUT OF SYNC', 'NACKED', 'STALE', 'DISCONNECTED'], [...zones.map((z) => countsRow(z, body.zones[z]!)), ...(zones.length > 1 ? [countsRow('(all)', body.runtimes)] : [])]),
  );
  for (const n of body.nacks) out.write(paint(out, 'red', `NACK: ${n.runtimeId} (zone ${n.zone}) refused version ${n.version}: ${n.code}: ${n.message}`) + '\n');
  for (const s of body.stale) out.write(paint(out, 'yellow', `stale: ${s.runtimeId} (zone ${s.zone}) last heard ${s.lastSeenAt}`) + '\n');
  for (const w of body.warnings) out.write(paint(out, 'yellow', `warning: ${w}`) + '\n');
  return 0;
}
