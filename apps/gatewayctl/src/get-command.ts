import { deployClient, expectPositionals, outputFormat, parseCommand, CONNECTION_USAGE, type CommandContext } from './command-context.js';
import { table, toJson, toYaml } from './output.js';
import { UsageError } from './usage-error.js';

export const GET_USAGE = `Usage: gatewayctl get apis [NAME] [-o table|json|yaml]
  The stored APIs (or one), secrets masked. table: name, revision, hosts, base path,
  routes, targets, last change; json / yaml: the controller's answer as is.

${CONNECTION_USAGE}`;

interface ApiResource {
  api: { name: string; basePath: string; hosts: string[]; routes: unknown[]; upstream: { targets: unknown[] } };
  revision: number;
  updatedAt: string;
}

/** `gatewayctl get apis [NAME]`. */
export async function getCommand(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommand(args, { output: { type: 'string', short: 'o' } }, GET_USAGE);
  if (values.help) return void ctx.out.write(`${GET_USAGE}\n`), 0;
  const [kind, name] = expectPositionals(positionals, ['apis', 'NAME'], GET_USAGE, 1);
  if (kind !== 'apis' && kind !== 'api') throw new UsageError(`gatewayctl get knows "apis" (got "${kind}")`, GET_USAGE);
  const format = outputFormat(values.output, GET_USAGE);
  const client = deployClient(values, ctx, GET_USAGE);
  const { body } = name === undefined ? await client.request<{ items: ApiResource[] }>('GET', '/v1/apis') : await client.request<ApiResource>('GET', `/v1/apis/${encodeURIComponent(name)}`);
  if (format === 'json') return ctx.out.write(toJson(body)), 0;
  if (format === 'yaml') return ctx.out.write(toYaml(body)), 0;
  const items = 'items' in body ? body.items : [body];
  if (items.length === 0) return ctx.out.note('no APIs\n'), 0;
  ctx.out.write(
    table(
      ctx.out,
      ['NAME', 'REVISION', 'HOSTS', 'BASE PATH', 'ROUTES', 'TARGETS', 'UPDATED'],
      items.map((r) => [r.api.name, r.revision, r.api.hosts.length === 0 ? '*' : r.api.hosts.join(','), r.api.basePath, r.api.routes.length, r.api.upstream.targets.length, r.updatedAt]),
    ),
  );
  return 0;
}
