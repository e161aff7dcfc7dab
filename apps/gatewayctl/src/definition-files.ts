import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { validateApiDefinition, type ApiDefinition } from '@gw/api-schema';
import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { CommandError } from './usage-error.js';

/** The file extensions `-f DIR` picks up (YAML or JSON); other files in DIR are ignored. */
export const DEFINITION_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;

/** One API read from a file, with where it came from. */
export interface LoadedApi {
  /** The definition as written (defaults not filled in: the server fills them). */
  input: unknown;
  /** Its validated form. */
  definition: ApiDefinition;
  file: string;
  /** `apis[2]` when the file holds a list, '' when the file is the API. */
  at: string;
}

/** A problem in an input file: `file:line:col: field: message`. */
export interface FileProblem {
  file: string;
  line?: number;
  column?: number;
  field: string;
  message: string;
}

export function formatFileProblem(p: FileProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.column ?? 1}`;
  return `${where}: ${p.field === '' ? '' : `${p.field}: `}${p.message}`;
}

/** Problems found in the input files: nothing was sent. */
export class DefinitionFilesError extends CommandError {
  constructor(readonly problems: FileProblem[]) {
    super(`${problems.length} problem(s) in the input files; nothing was sent:\n${problems.map((p) => `  ${formatFileProblem(p)}`).join('\n')}`);
  }
}

/** FILE, or every *.yaml/*.yml/*.json directly in DIR, sorted by name (so an apply is repeatable). */
async function inputFiles(target: string): Promise<string[]> {
  let info;
  try {
    info = await stat(target);
  } catch {
    throw new CommandError(`${target}: no such file or directory`);
  }
  if (!info.isDirectory()) return [target];
  const names = (await readdir(target, { withFileTypes: true }))
    .filter((e) => e.isFile() && DEFINITION_EXTENSIONS.some((ext) => e.name.endsWith(ext)))
    .map((e) => e.name)
    .sort();
  if (names.length === 0) throw new CommandError(`${target}: no ${DEFINITION_EXTENSIONS.map((e) => `*${e}`).join(', ')} files in this directory`);
  return names.map((n) => path.join(target, n));
}

/** A dotted field path from the validator (`upstream.targets[0].url`) as YAML path segments. */
function segments(field: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

function at0(lines: LineCounter, offset: number): { line: number; column: number } {
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

/** Line and column of the node at `at` (or of its nearest ancestor that exists) in the parsed file. */
function position(doc: Document, lines: LineCounter, at: (string | number)[]): { line?: number; column?: number } {
  for (let n = at.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(at.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) {
      // A key's position reads better than its value's: point at the key when there is one.
      const parent = n === 0 ? undefined : n === 1 ? doc.contents : doc.getIn(at.slice(0, n - 1), true);
      const last = at[n - 1];
      if (isMap(parent)) {
        const pair = parent.items.find((p) => (p.key as { value?: unknown } | null)?.value === last);
        const keyRange = (pair?.key as { range?: [number, number, number] } | null)?.range;
        if (keyRange) return at0(lines, keyRange[0]);
      }
      return at0(lines, range[0]);
    }
  }
  return {};
}

/** `apis[2].` + `upstream.url`. */
function join(prefix: string, field: string): string {
  if (prefix === '') return field;
  if (field === '') return prefix;
  return field.startsWith('[') ? `${prefix}${field}` : `${prefix}.${field}`;
}

/**
 * Reads FILE or DIR: each file is one API, or `apis:` with a list of them (the format of
 * `gatewayctl export` and of `POST /v1/apply`). Every API is checked against the API schema
 * here, before anything is sent; every problem names its file, line and field. Names must
 * be unique across all files.
 */
export async function loadDefinitions(target: string): Promise<LoadedApi[]> {
  const problems: FileProblem[] = [];
  const apis: LoadedApi[] = [];
  for (const file of await inputFiles(target)) {
    const text = await readFile(file, 'utf8');
    const lines = new LineCounter();
    // YAML 1.2 is a superset of JSON, so one parser reads both and points at lines in both.
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length > 0) {
      for (const e of doc.errors.slice(0, 5)) {
        problems.push({ file, ...at0(lines, e.pos[0]), field: '', message: `not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${e.message.split('\n')[0]!}` });
      }
      continue;
    }
    const content: unknown = doc.toJS({ maxAliasCount: 100 });
    const entries: { input: unknown; at: string; yamlPath: (string | number)[] }[] = [];
    if (typeof content === 'object' && content !== null && !Array.isArray(content) && Object.hasOwn(content, 'apis')) {
      const list = (content as Record<string, unknown>)['apis'];
      const extra = Object.keys(content).filter((k) => k !== 'apis');
      for (const k of extra) problems.push({ file, ...position(doc, lines, [k]), field: k, message: 'unknown field (a file holds one API, or a list of them under "apis:")' });
      if (!Array.isArray(list) || !isSeq(doc.get('apis', true))) {
        problems.push({ file, ...position(doc, lines, ['apis']), field: 'apis', message: 'must be a list of API definitions' });
        continue;
      }
      list.forEach((input, i) => entries.push({ input, at: `apis[${i}]`, yamlPath: ['apis', i] }));
    } else if (content === null || content === undefined) {
      problems.push({ file, field: '', message: 'is empty: expected an API definition, or a list of them under "apis:"' });
    } else {
      entries.push({ input: content, at: '', yamlPath: [] });
    }
    for (const e of entries) {
      const result = validateApiDefinition(e.input);
      if (!result.ok) {
        for (const p of result.problems) problems.push({ file, ...position(doc, lines, [...e.yamlPath, ...segments(p.path)]), field: join(e.at, p.path), message: p.message });
        continue;
      }
      const earlier = apis.find((a) => a.definition.name === result.value.name);
      if (earlier !== undefined) {
        const there = join(earlier.at, 'name');
        problems.push({ file, ...position(doc, lines, [...e.yamlPath, 'name']), field: join(e.at, 'name'), message: `API "${result.value.name}" is also defined in ${earlier.file} (${there})` });
        continue;
      }
      apis.push({ input: e.input, definition: result.value, file, at: e.at });
    }
  }
  if (problems.length > 0) throw new DefinitionFilesError(problems);
  return apis;
}
