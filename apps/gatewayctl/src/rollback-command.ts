import { deployClient, duration, expectPositionals, outputFormat, parseCommand, CONNECTION_USAGE, type CommandContext } from './command-context.js';
import { DEFAULT_WAIT_MS, waitForVersion } from './fleet-wait.js';
import { toJson, toYaml } from './output.js';
import { UsageError } from './usage-error.js';

export const ROLLBACK_USAGE = `Usage: gatewayctl rollback NAME --to REVISION [--wait] [--timeout 60s] [-o table|json|yaml]
  Writes revision REVISION of the API again, as a new revision (gatewayctl history NAME
  lists them). --wait: then wait until every connected runtime runs it.

${CONNECTION_USAGE}`;

/** `gatewayctl rollback NAME --to N`. */
export async function rollbackCommand(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommand(args, { to: { type: 'string' }, wait: { type: 'boolean' }, timeout: { type: 'string' }, output: { type: 'string', short: 'o' } }, ROLLBACK_USAGE);
  if (values.help) return void ctx.out.write(`${ROLLBACK_USAGE}\n`), 0;
  const [name] = expectPositionals(positionals, ['NAME'], ROLLBACK_USAGE);
  if (values.to === undefined) throw new UsageError('--to REVISION is required', ROLLBACK_USAGE);
  if (!/^[1-9][0-9]{0,14}$/.test(values.to)) throw new UsageError(`--to must be a revision number (got "${values.to}")`, ROLLBACK_USAGE);
  if (values.timeout !== undefined && !values.wait) throw new UsageError('--timeout only applies with --wait', ROLLBACK_USAGE);
  const timeoutMs = duration(values.timeout, DEFAULT_WAIT_MS, '--timeout', ROLLBACK_USAGE);
  const format = outputFormat(values.output, ROLLBACK_USAGE);
  const client = deployClient(values, ctx, ROLLBACK_USAGE);
  const { body } = await client.request<{ revision: number; configVersion: number; rolledBackTo: number; changed: boolean }>('POST', `/v1/apis/${encodeURIComponent(name!)}/rollback`, {
    body: { revision: Number(values.to) },
  });
  if (format === 'json') ctx.out.write(toJson(body));
  else if (format === 'yaml') ctx.out.write(toYaml(body));
  else if (body.changed) ctx.out.write(`rolled back ${name} to revision ${body.rolledBackTo}: now revision ${body.revision} (config version ${body.configVersion})\n`);
  else ctx.out.write(`${name} already matches revision ${body.rolledBackTo}: nothing changed (revision ${body.revision})\n`);
  if (values.wait) await waitForVersion(client, ctx.out, body.configVersion, timeoutMs);
  return 0;
}
