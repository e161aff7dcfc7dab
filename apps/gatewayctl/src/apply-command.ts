import type { DefinitionChange } from '@gw/api-schema';
import { ApiError, type DeployClient } from './client.js';
import { deployClient, duration, expectPositionals, outputFormat, parseCommand, CONNECTION_USAGE, type CommandContext } from './command-context.js';
import { loadDefinitions, type LoadedApi } from './definition-files.js';
import { DEFAULT_WAIT_MS, waitForVersion } from './fleet-wait.js';
import { paint, toJson, toYaml, type Output } from './output.js';
import { UsageError } from './usage-error.js';

export const APPLY_USAGE = `Usage: gatewayctl apply -f FILE|DIR [--prune] [--dry-run] [--if-match VERSION] [--wait] [--timeout 60s] [-o table|json|yaml]
  Makes the fleet's APIs what the files say, in one change (one config version).
  -f FILE|DIR   a YAML or JSON file (one API, or a list under "apis:"), or a directory of
                *.yaml, *.yml, *.json files (not recursive); checked here before sending
  --prune       also delete the APIs that no file names
  --dry-run     show what would change; change nothing
  --if-match V  only if the fleet is still at config version V (as a reviewed diff or an
                export saw it); otherwise the controller refuses (412) and nothing changes
  --wait        then wait until every connected runtime runs the change (progress per zone);
                exit 1 naming the runtimes that did not within --timeout (default 60s)
  -o FORMAT     table (default), or json / yaml: the controller's answer as is

${CONNECTION_USAGE}`;

/** How long one controller may take to answer an apply (a large set is one transaction). */
const APPLY_TIMEOUT_MS = 120_000;

export type ApplyAction = 'create' | 'update' | 'delete' | 'unchanged';

/** The answer of `POST /v1/apply`. */
export interface ApplyResult {
  dryRun: boolean;
  changes: Record<ApplyAction, string[]>;
  configVersion: number;
  /** Per API, its field-level changes (the controller computes them with `diffDefinitions`). */
  diff: Record<string, DefinitionChange[]>;
  revisions?: Record<string, number>;
}

/** Reads the files (every problem named by file and field, nothing sent if any) and posts them. */
export async function postApply(client: DeployClient, file: string, options: { prune: boolean; dryRun: boolean; ifMatch?: number }): Promise<ApplyResult> {
  const apis = await loadDefinitions(file);
  try {
    const { body } = await client.request<ApplyResult>('POST', `/v1/apply${options.dryRun ? '?dryRun=true' : ''}`, {
      body: { apis: apis.map((a) => a.input), prune: options.prune },
      ...(options.ifMatch === undefined ? {} : { headers: { 'if-match': `"${options.ifMatch}"` } }),
      // A set of thousands of APIs is one transaction: give it longer than a single read.
      timeoutMs: APPLY_TIMEOUT_MS,
    });
    return body;
  } catch (err) {
    throw err instanceof ApiError ? inFiles(err, apis) : err;
  }
}

/**
 * The controller's problems point into the request body (`/apis/3/basePath`); the APIs were
 * sent in the order they were read, so each one maps back to its file and field
 * (`apis/orders.yaml: basePath`), which is what the operator edits.
 */
function inFiles(err: ApiError, apis: LoadedApi[]): ApiError {
  const errors = err.problem.errors;
  if (!Array.isArray(errors)) return err;
  // Messages may point at another API of the set too ("claimed by API "x" (/apis/0)").
  const mapped = errors.map((e) => ({ path: fileField(e.path, apis) ?? e.path, message: e.message.replace(/\/apis\/\d+(?:\/[^\s),]*)?/g, (p) => fileField(p, apis) ?? p) }));
  return new ApiError(err.status, { ...err.problem, errors: mapped }, err.url);
}

/** `/apis/3/upstream/targets/0/url` → `apis/orders.yaml: upstream.targets[0].url`; undefined if it is not such a pointer. */
function fileField(pointer: string, apis: LoadedApi[]): string | undefined {
  const m = /^\/apis\/(\d+)(\/.*)?$/.exec(pointer);
  const api = m ? apis[Number(m[1])] : undefined;
  if (!m || api === undefined) return undefined;
  const field = (m[2] ?? '')
    .split('/')
    .slice(1)
    .map((seg) => seg.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((seg, i) => (/^\d+$/.test(seg) ? `[${seg}]` : i === 0 ? seg : `.${seg}`))
    .join('');
  const at = api.at === '' ? field : field === '' ? api.at : `${api.at}${field.startsWith('[') ? '' : '.'}${field}`;
  return `${api.file}${at === '' ? '' : `: ${at}`}`;
}

export function hasChanges(result: ApplyResult): boolean {
  return result.changes.create.length + result.changes.update.length + result.changes.delete.length > 0;
}

const short = (v: unknown) => {
  const s = JSON.stringify(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
};

/** `+ name`, `~ name` with its field changes, `- name`; unchanged APIs as a count. */
export function describeChanges(out: Output, result: ApplyResult, verbs: Record<Exclude<ApplyAction, 'unchanged'>, string>): string {
  const lines: string[] = [];
  for (const name of result.changes.create) lines.push(paint(out, 'green', `+ ${name}`) + ` (${verbs.create})`);
  for (const name of result.changes.update) {
    lines.push(paint(out, 'yellow', `~ ${name}`) + ` (${verbs.update})`);
    for (const c of result.diff[name] ?? []) {
      const at = c.path === '' ? '(whole API)' : c.path;
      if (c.op === 'add') lines.push(paint(out, 'green', `    + ${at}: ${short(c.value)}`));
      else if (c.op === 'remove') lines.push(paint(out, 'red', `    - ${at}: ${short(c.from)}`));
      else lines.push(paint(out, 'yellow', `    ~ ${at}: ${short(c.from)} -> ${short(c.value)}`));
    }
  }
  for (const name of result.changes.delete) lines.push(paint(out, 'red', `- ${name}`) + ` (${verbs.delete})`);
  if (result.changes.unchanged.length > 0) lines.push(`${result.changes.unchanged.length} API(s) unchanged`);
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** `gatewayctl apply …`. */
export async function applyCommand(args: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommand(
    args,
    { file: { type: 'string', short: 'f' }, prune: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, 'if-match': { type: 'string' }, wait: { type: 'boolean' }, timeout: { type: 'string' }, output: { type: 'string', short: 'o' } },
    APPLY_USAGE,
  );
  if (values.help) return void ctx.out.write(`${APPLY_USAGE}\n`), 0;
  expectPositionals(positionals, [], APPLY_USAGE);
  if (values.file === undefined) throw new UsageError('-f FILE|DIR is required', APPLY_USAGE);
  const format = outputFormat(values.output, APPLY_USAGE);
  const dryRun = values['dry-run'] ?? false;
  if (dryRun && values.wait) throw new UsageError('--wait has nothing to wait for with --dry-run', APPLY_USAGE);
  if (values.timeout !== undefined && !values.wait) throw new UsageError('--timeout only applies with --wait', APPLY_USAGE);
  const timeoutMs = duration(values.timeout, DEFAULT_WAIT_MS, '--timeout', APPLY_USAGE);
  const client = deployClient(values, ctx, APPLY_USAGE);

  const ifMatchRaw = values['if-match'];
  if (ifMatchRaw !== undefined && !/^\d{1,15}$/.test(ifMatchRaw)) throw new UsageError(`--if-match must be a config version (a whole number), not "${ifMatchRaw}"`, APPLY_USAGE);
  const ifMatch = ifMatchRaw === undefined ? undefined : Number(ifMatchRaw);
  const result = await postApply(client, values.file, { prune: values.prune ?? false, dryRun, ...(ifMatch === undefined ? {} : { ifMatch }) });
  const out = ctx.out;
  if (format === 'json') out.write(toJson(result));
  else if (format === 'yaml') out.write(toYaml(result));
  else if (dryRun) {
    out.write(describeChanges(out, result, { create: 'would create', update: 'would update', delete: 'would delete' }));
    out.write(hasChanges(result) ? 'dry run: nothing was changed\n' : 'dry run: the fleet already matches\n');
  } else {
    out.write(describeChanges(out, result, { create: 'created', update: 'updated', delete: 'deleted' }));
    out.write(hasChanges(result) ? `applied as config version ${result.configVersion}\n` : `nothing to change (config version ${result.configVersion})\n`);
  }
  if (values.wait) await waitForVersion(client, out, result.configVersion, timeoutMs);
  return 0;
}
