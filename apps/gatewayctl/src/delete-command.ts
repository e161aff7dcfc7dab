import { deployClient, expectPositionals, parseCommand, CONNECTION_USAGE, type CommandContext } from './command-context.js';
import { UsageError } from './usage-error.js';

export const DELETE_USAGE = `Usage: gatewayctl delete api NAME
  Deletes one API (a new config version; its history stays: gatewayctl history NAME).

${CONNECTION_USAGE}`;

/** `gatewayctl delete api NAME`. */
export async function deleteCommand(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommand(args, {}, DELETE_USAGE);
  if (values.help) return void ctx.out.write(`${DELETE_USAGE}\n`), 0;
  const [kind, name] = expectPositionals(positionals, ['api', 'NAME'], DELETE_USAGE);
  if (kind !== 'api' && kind !== 'apis') throw new UsageError(`gatewayctl delete knows "api" (got "${kind}")`, DELETE_USAGE);
  const client = deployClient(values, ctx, DELETE_USAGE);
  const { body } = await client.request<{ name: string; revision: number; configVersion: number }>('DELETE', `/v1/apis/${encodeURIComponent(name!)}`);
  ctx.out.write(`deleted api ${body.name} (revision ${body.revision}, config version ${body.configVersion})\n`);
  return 0;
}
