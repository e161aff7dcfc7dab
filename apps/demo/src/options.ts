import { parseArgs } from 'node:util';

/** What the demo runs; every field has a flag and an environment variable (flags win). */
export interface DemoOptions {
  zones: number;
  runtimesPerZone: number;
  controllers: number;
  /** First port of the layout (see ports.ts); 0 picks free ports anywhere. */
  portBase: number;
  /** PGlite's data directory; undefined: a fresh one inside the work directory. */
  dataDir: string | undefined;
  /** Logs, runtime caches and the state file; undefined: a new temp directory, removed on exit. */
  workDir: string | undefined;
  /** Where the machine-readable state (endpoints, token, pids) is written once everything is ready. */
  stateFile: string | undefined;
  /** An external PostgreSQL; undefined starts the embedded one. */
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  adminToken: string | undefined;
  /** LOG_LEVEL handed to the controllers and runtimes. */
  logLevel: string;
  help: boolean;
}

export const MAX_ZONES = 9;
export const MAX_PER_ZONE = 9;
export const MAX_CONTROLLERS = 9;

export class UsageError extends Error {}

export function usage(command: string, defaults: Pick<DemoOptions, 'runtimesPerZone' | 'portBase'>): string {
  return `Usage: ${command} [options]

  --zones N               zones a, b, c, ... (1-${MAX_ZONES}, default 3)                 DEMO_ZONES
  --runtimes-per-zone N   runtimes in each zone (1-${MAX_PER_ZONE}, default ${defaults.runtimesPerZone})          DEMO_RUNTIMES_PER_ZONE
  --controllers N         controller replicas (1-${MAX_CONTROLLERS}, default 2)               DEMO_CONTROLLERS
  --port-base N           first port of the layout (default ${defaults.portBase}; 0 = any free ports) DEMO_PORT_BASE
  --data-dir PATH         embedded PostgreSQL data directory (default: a temp dir)  DEMO_DATA_DIR
  --work-dir PATH         logs, runtime caches, state (default: a temp dir, removed on exit) DEMO_WORK_DIR
  --state-file PATH       JSON with endpoints, token and pids, written when ready   DEMO_STATE_FILE
  -h, --help              this text

Environment: DATABASE_URL (use this PostgreSQL instead of the embedded one), REDIS_URL
(handed to the runtimes), ADMIN_TOKEN (default: a random one), LOG_LEVEL (children).`;
}

export function parseDemoOptions(
  argv: string[],
  env: NodeJS.ProcessEnv,
  defaults: Pick<DemoOptions, 'runtimesPerZone' | 'portBase'>,
): DemoOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        zones: { type: 'string' },
        'runtimes-per-zone': { type: 'string' },
        controllers: { type: 'string' },
        'port-base': { type: 'string' },
        'data-dir': { type: 'string' },
        'work-dir': { type: 'string' },
        'state-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const pick = (flag: string | undefined, name: string) => (flag !== undefined ? flag : env[name] || undefined);
  return {
    zones: int('--zones', pick(values.zones, 'DEMO_ZONES'), 3, 1, MAX_ZONES),
    runtimesPerZone: int('--runtimes-per-zone', pick(values['runtimes-per-zone'], 'DEMO_RUNTIMES_PER_ZONE'), defaults.runtimesPerZone, 1, MAX_PER_ZONE),
    controllers: int('--controllers', pick(values.controllers, 'DEMO_CONTROLLERS'), 2, 1, MAX_CONTROLLERS),
    portBase: int('--port-base', pick(values['port-base'], 'DEMO_PORT_BASE'), defaults.portBase, 0, 65_535 - 300),
    dataDir: pick(values['data-dir'], 'DEMO_DATA_DIR'),
    workDir: pick(values['work-dir'], 'DEMO_WORK_DIR'),
    stateFile: pick(values['state-file'], 'DEMO_STATE_FILE'),
    databaseUrl: env['DATABASE_URL'] || undefined,
    redisUrl: env['REDIS_URL'] || undefined,
    adminToken: env['ADMIN_TOKEN'] || undefined,
    logLevel: env['LOG_LEVEL'] || 'info',
    help: values.help === true,
  };
}

function int(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  return n;
}
