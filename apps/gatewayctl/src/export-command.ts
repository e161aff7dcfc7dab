import { writeFile } from 'node:fs/promises';
import { deployClient, expectPositionals, parseCommand, CONNECTION_USAGE, type CommandContext } from './command-context.js';
import { toJson, toYaml } from './output.js';

export const EXPORT_USAGE = `Usage: gatewayctl export [-o FILE] [--include-secrets]
  Every API as one "apis:" list, the input of gatewayctl apply -f (apply it to restore or
  copy the fleet's APIs). YAML, or JSON when FILE ends in .json; stdout without -o.
  Secrets read "[REDACTED]" (an apply keeps the stored ones) unless --include-secrets
  (needs an admin token).

${CONNECTION_USAGE}`;

/** `gatewayctl export [-o FILE]`. */
export async function exportCommand(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommand(args, { output: { type: 'string', short: 'o' }, 'include-secrets': { type: 'boolean' } }, EXPORT_USAGE);
  if (values.help) return void ctx.out.write(`${EXPORT_USAGE}\n`), 0;
  expectPositionals(positionals, [], EXPORT_USAGE);
  const client = deployClient(values, ctx, EXPORT_USAGE);
  const { body } = await client.request<{ apis: unknown[] }>('GET', `/v1/export${values['include-secrets'] ? '?includeSecrets=true' : ''}`);
  const file = values.output;
  const text = file !== undefined && file.endsWith('.json') ? toJson(body) : toYaml(body);
  if (file === undefined) return ctx.out.write(text), 0;
  // 0600: with --include-secrets the file holds credentials.
  await writeFile(file, text, { mode: 0o600 });
  ctx.out.note(`wrote ${body.apis.length} API(s) to ${file}\n`);
  return 0;
}
