import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DeployClient } from './client.js';
import type { GatewayctlEnv } from './env.js';
import { OUTPUT_FORMATS, type Output, type OutputFormat } from './output.js';
import { UsageError } from './usage-error.js';

/** What every deploy-API command gets: the environment and where to write. */
export interface CommandContext {
  env: GatewayctlEnv;
  out: Output;
}

/** The options every deploy-API command accepts. */
export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export const CONNECTION_USAGE = `Connection (every command but certs):
  --url URL[,URL…]   controller deploy-API URLs, tried in turn (default: $GATEWAY_URL)
  --token TOKEN      bearer token (default: $GATEWAY_TOKEN)`;

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs with the connection options; its errors (unknown option, missing value) as usage errors. */
export function parseCommand<O extends Options>(args: string[], options: O, usage: string) {
  try {
    return parseArgs({ args, options: { ...CONNECTION_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err), usage);
  }
}

/** Exactly these positionals, or a usage error naming what is missing or extra. */
export function expectPositionals(got: string[], names: string[], usage: string, optional = 0): string[] {
  if (got.length < names.length - optional) throw new UsageError(`missing ${names.slice(got.length).join(' ')}`, usage);
  if (got.length > names.length) throw new UsageError(`unexpected argument "${got[names.length]}"`, usage);
  return got;
}

/** The deploy-API client for `--url`/`--token`, else GATEWAY_URL/GATEWAY_TOKEN. */
export function deployClient(values: { url?: string | undefined; token?: string | undefined }, ctx: CommandContext, usage: string): DeployClient {
  const raw = values.url ?? ctx.env.GATEWAY_URL;
  if (raw === undefined || raw.trim() === '') throw new UsageError('no controller URL: set GATEWAY_URL or pass --url (e.g. http://127.0.0.1:8080)', usage);
  const urls = raw
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  for (const u of urls) {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      throw new UsageError(`"${u}" is not a URL (expected e.g. http://127.0.0.1:8080)`, usage);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`"${u}" is not an http:// or https:// URL`, usage);
  }
  return new DeployClient({ urls, token: values.token ?? ctx.env.GATEWAY_TOKEN });
}

export function outputFormat(raw: string | undefined, usage: string, allowed: readonly OutputFormat[] = OUTPUT_FORMATS): OutputFormat {
  if (raw === undefined) return 'table';
  if (!(allowed as readonly string[]).includes(raw)) throw new UsageError(`-o must be ${allowed.join(', ')} (got "${raw}")`, usage);
  return raw as OutputFormat;
}

/** `--timeout 90s`, `2m`, `500ms` or plain seconds → milliseconds. */
export function duration(raw: string | undefined, fallbackMs: number, name: string, usage: string): number {
  if (raw === undefined) return fallbackMs;
  const m = /^(\d{1,7})(ms|s|m)?$/.exec(raw.trim());
  if (!m) throw new UsageError(`${name} must be a duration like 90s, 2m or 500ms (got "${raw}")`, usage);
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
  if (ms < 1 || ms > 3_600_000) throw new UsageError(`${name} must be between 1ms and 60m (got "${raw}")`, usage);
  return ms;
}
