import { deployClient, expectPositionals, outputFormat, parseCommand, CONNECTION_USAGE, type CommandContext } from './command-context.js';
import { table, toJson, toYaml, type Cell } from './output.js';

export const RUNTIMES_USAGE = `Usage: gatewayctl runtimes [--zone ZONE] [-o table|json|yaml]
  Every runtime the fleet knows: zone, controller, state, the config version it runs,
  whether that is the desired one, its last NACK, when it was last heard from.

${CONNECTION_USAGE}`;

interface RuntimeView {
  runtimeId: string;
  zone: string;
  controllerId: string;
  state: 'connected' | 'stale' | 'disconnected';
  applied: { version: number; epoch: number };
  inSync: boolean;
  lastNack: { version: number; code: string } | null;
  nackPending: boolean;
  lastSeenAt: string;
  buildVersion: string;
}

const STATE_STYLE = { connected: 'green', stale: 'yellow', disconnected: 'dim' } as const;

/** `gatewayctl runtimes [--zone Z]`. */
export async function runtimesCommand(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommand(args, { zone: { type: 'string' }, output: { type: 'string', short: 'o' } }, RUNTIMES_USAGE);
  if (values.help) return void ctx.out.write(`${RUNTIMES_USAGE}\n`), 0;
  expectPositionals(positionals, [], RUNTIMES_USAGE);
  const format = outputFormat(values.output, RUNTIMES_USAGE);
  const client = deployClient(values, ctx, RUNTIMES_USAGE);
  const { body } = await client.request<{ config: { version: number; epoch: number }; runtimes: RuntimeView[] }>(
    'GET',
    `/v1/runtimes${values.zone === undefined ? '' : `?zone=${encodeURIComponent(values.zone)}`}`,
  );
  if (format === 'json') return ctx.out.write(toJson(body)), 0;
  if (format === 'yaml') return ctx.out.write(toYaml(body)), 0;
  if (body.runtimes.length === 0) return ctx.out.note(values.zone === undefined ? 'no runtimes\n' : `no runtimes in zone ${values.zone}\n`), 0;
  const rows = [...body.runtimes]
    .sort((a, b) => a.zone.localeCompare(b.zone) || a.runtimeId.localeCompare(b.runtimeId))
    .map((r): Cell[] => [
      r.runtimeId,
      r.zone,
      r.controllerId,
      { text: r.state, style: STATE_STYLE[r.state] },
      r.applied.version,
      r.inSync ? { text: 'yes', style: 'green' } : { text: 'no', style: 'yellow' },
      r.lastNack ? { text: `${r.lastNack.code} (v${r.lastNack.version})${r.nackPending ? '' : ', since fixed'}`, style: r.nackPending ? 'red' : 'dim' } : null,
      r.lastSeenAt,
    ]);
  ctx.out.write(`desired config version ${body.config.version} (epoch ${body.config.epoch})\n`);
  ctx.out.write(table(ctx.out, ['RUNTIME', 'ZONE', 'CONTROLLER', 'STATE', 'VERSION', 'IN SYNC', 'LAST NACK', 'LAST SEEN'], rows));
  return 0;
}
