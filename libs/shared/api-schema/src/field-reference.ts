import { apiDefinitionJsonSchema } from './json-schema.js';
import { SECRET_MARK } from './secret-mark.js';

type Node = Record<string, unknown>;

interface Row {
  path: string;
  type: string;
  required: boolean;
  default: string;
  rule: string;
  description: string;
}

/**
 * The docs' field table (docs/api-definition.md, "Field reference"), rendered from the
 * JSON Schema of the one declaration: every field with its type, default, limits and
 * meaning. `npm run lint` fails when the committed table differs from this.
 */
export function renderFieldReference(): string {
  const rows: Row[] = [];
  walk(apiDefinitionJsonSchema(), '', rows);
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = ['| field | type | default | rule | meaning |', '| --- | --- | --- | --- | --- |'];
  for (const r of rows) {
    lines.push(`| \`${r.path}\` | ${cell(r.type)} | ${r.required ? '**required**' : cell(r.default)} | ${cell(r.rule)} | ${cell(r.description)} |`);
  }
  return lines.join('\n') + '\n';
}

function walk(node: Node, path: string, rows: Row[]): void {
  const properties = node['properties'] as Record<string, Node> | undefined;
  if (properties === undefined) return;
  const required = new Set((node['required'] as string[] | undefined) ?? []);
  for (const [key, field] of Object.entries(properties)) {
    const at = path === '' ? key : `${path}.${key}`;
    const shape = nonNull(field);
    rows.push({ path: at, type: typeOf(field), required: required.has(key), default: defaultOf(field), rule: ruleOf(shape), description: String(field['description'] ?? shape['description'] ?? '') });
    if (shape['type'] === 'object') walk(shape, at, rows);
    const items = shape['items'] as Node | undefined;
    if (shape['type'] === 'array' && items?.['type'] === 'object') walk(items, `${at}[]`, rows);
  }
}

/** The non-null alternative of an `anyOf` with null (a block that `null` switches off). */
function nonNull(field: Node): Node {
  const anyOf = field['anyOf'] as Node[] | undefined;
  return anyOf?.find((a) => a['type'] !== 'null') ?? field;
}

function typeOf(field: Node): string {
  const nullable = (field['anyOf'] as Node[] | undefined)?.some((a) => a['type'] === 'null') || (Array.isArray(field['type']) && (field['type'] as string[]).includes('null'));
  const shape = nonNull(field);
  let type = Array.isArray(shape['type']) ? (shape['type'] as string[]).filter((t) => t !== 'null').join(' | ') : String(shape['type'] ?? 'any');
  const items = shape['items'] as Node | undefined;
  if (type === 'array' && items !== undefined) type = `array of ${items['type'] === 'object' ? 'objects' : `${String(items['type'] ?? 'any')}s`}`;
  if (shape['not'] !== undefined && Object.keys(shape['not'] as Node).length === 0) type = 'refused';
  return nullable ? `${type} or null` : type;
}

function defaultOf(field: Node): string {
  if (field['x-default'] !== undefined) return String(field['x-default']);
  if (!('default' in field)) return '—';
  const value = field['default'];
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) return 'on, every default';
  return `\`${JSON.stringify(value)}\``;
}

function ruleOf(shape: Node): string {
  const parts: string[] = [];
  if (shape[SECRET_MARK] === true) parts.push('secret: masked in responses, sealed at rest');
  if (shape['enum'] !== undefined) parts.push(`one of ${(shape['enum'] as unknown[]).map((v) => `\`${String(v)}\``).join(', ')}`);
  if (shape['const'] !== undefined) parts.push(`\`${JSON.stringify(shape['const'])}\``);
  if (shape['minimum'] !== undefined && shape['maximum'] !== undefined) parts.push(`${shape['minimum']}–${shape['maximum']}`);
  if (shape['minLength'] !== undefined || shape['maxLength'] !== undefined) parts.push(`${shape['minLength'] ?? 0}–${shape['maxLength'] ?? '∞'} characters`);
  if (shape['minItems'] !== undefined || shape['maxItems'] !== undefined) parts.push(`${shape['minItems'] ?? 0}–${shape['maxItems'] ?? '∞'} items`);
  if (shape['pattern'] !== undefined) parts.push(`pattern \`${String(shape['pattern'])}\``);
  const items = shape['items'] as Node | undefined;
  if (items?.['enum'] !== undefined) parts.push(`items one of ${(items['enum'] as unknown[]).map((v) => `\`${String(v)}\``).join(', ')}`);
  if (items?.['pattern'] !== undefined) parts.push(`items match \`${String(items['pattern'])}\``);
  return parts.join('; ');
}
