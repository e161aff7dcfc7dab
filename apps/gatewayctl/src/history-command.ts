import { deployClient, expectPositionals, outputFormat, parseCommand, CONNECTION_USAGE, type CommandContext } from './command-context.js';
import { paint, table, toJson, toYaml } from './output.js';

export const HISTORY_USAGE = `Usage: gatewayctl history NAME [-o table|json|yaml]
  Every revision of an API, newest first: who wrote it, when, which config version carried
  it, and whether it was a delete. Roll back with gatewayctl rollback NAME --to REVISION.

${CONNECTION_USAGE}`;

interface RevisionSummary {
  revision: number;
  configVersion: number;
  actor: string;
  createdAt: string;
  deleted: boolean;
}

/** Pages of the revision list are followed up to this many revisions. */
const MAX_REVISIONS = 10_000;

/** `gatewayctl history NAME`. */
export async function historyCommand(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommand(args, { output: { type: 'string', short: 'o' } }, HISTORY_USAGE);
  if (values.help) return void ctx.out.write(`${HISTORY_USAGE}\n`), 0;
  const [name] = expectPositionals(positionals, ['NAME'], HISTORY_USAGE);
  const format = outputFormat(values.output, HISTORY_USAGE);
  const client = deployClient(values, ctx, HISTORY_USAGE);
  const items: RevisionSummary[] = [];
  let cursor: string | null = null;
  // Bounded: each page is up to 1000 revisions, and MAX_REVISIONS ends the walk.
  do {
    const query: string = `limit=1000${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const page: { items: RevisionSummary[]; next: string | null } = (await client.request<{ items: RevisionSummary[]; next: string | null }>('GET', `/v1/apis/${encodeURIComponent(name!)}/revisions?${query}`)).body;
    items.push(...page.items);
    cursor = page.next;
  } while (cursor !== null && items.length < MAX_REVISIONS);
  const answer = { name, items };
  if (format === 'json') return ctx.out.write(toJson(answer)), 0;
  if (format === 'yaml') return ctx.out.write(toYaml(answer)), 0;
  ctx.out.write(
    table(
      ctx.out,
      ['REVISION', 'CONFIG VERSION', 'CHANGE', 'ACTOR', 'AT'],
      items.map((r) => [r.revision, r.configVersion, r.deleted ? { text: 'deleted', style: 'red' } : 'written', r.actor, r.createdAt]),
    ),
  );
  if (cursor !== null) ctx.out.note(paint(ctx.out, 'yellow', `only the newest ${items.length} revisions are shown\n`));
  return 0;
}
