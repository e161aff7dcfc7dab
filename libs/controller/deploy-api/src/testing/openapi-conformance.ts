import { Ajv2020 } from 'ajv/dist/2020.js';
import type express from 'express';
import { openApiPath } from '../openapi-document.js';
import { listDeclaredRoutes } from '../route-access.js';

type Json = Record<string, unknown>;

/** One answer as light-my-request (or any client) got it. */
export interface LiveAnswer {
  statusCode: number;
  headers: Record<string, unknown>;
  payload: string;
}

const DOC_ID = 'urn:gw:openapi';

function pointer(...segments: string[]): string {
  return segments.map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');
}

/** The declared routes of `app` without an operation in `doc`, and the operations without a declared route. */
export function openApiCoverage(app: express.Express, doc: Json): { missing: string[]; extra: string[] } {
  const paths = (doc['paths'] ?? {}) as Record<string, Record<string, unknown>>;
  const declared = new Set(listDeclaredRoutes(app).map((r) => `${r.method} ${openApiPath(r.path)}`));
  const documented = new Set(Object.entries(paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
  return { missing: [...declared].filter((k) => !documented.has(k)), extra: [...documented].filter((k) => !declared.has(k)) };
}

/**
 * Checks live answers against the document: the status is one the operation documents,
 * the media type one it lists, and a JSON body matches the documented schema (ajv, JSON
 * Schema 2020-12 as OpenAPI 3.1 uses it). `checked` records which operation × status was
 * seen, so a spec can require every operation to be exercised.
 */
export class OpenApiConformance {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  readonly checked = new Set<string>();

  constructor(private readonly doc: Json) {
    this.ajv.addSchema({ ...doc, $id: DOC_ID });
  }

  /** Problems of one answer to `method expressPath` (`/v1/apis/:name`); empty when it conforms (and then it counts as exercised). */
  check(method: string, expressPath: string, answer: LiveAnswer): string[] {
    const problems = this.problemsOf(method, expressPath, answer);
    if (problems.length === 0) this.checked.add(`${method.toUpperCase()} ${openApiPath(expressPath)} ${answer.statusCode}`);
    return problems;
  }

  private problemsOf(method: string, expressPath: string, answer: LiveAnswer): string[] {
    const path = openApiPath(expressPath);
    const op = (this.doc['paths'] as Record<string, Record<string, Json>>)[path]?.[method.toLowerCase()];
    const where = `${method.toUpperCase()} ${path} → ${answer.statusCode}`;
    if (op === undefined) return [`${where}: no such operation in the document`];
    const response = (op['responses'] as Record<string, Json>)[String(answer.statusCode)];
    if (response === undefined) return [`${where}: status not documented (${answer.payload.slice(0, 200)})`];
    const content = response['content'] as Record<string, unknown> | undefined;
    if (content === undefined) return answer.payload === '' ? [] : [`${where}: documented without a body, but one came`];
    const mediaType = String(answer.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!(mediaType in content)) return [`${where}: media type ${mediaType || '(none)'} not documented (${Object.keys(content).join(', ')})`];
    if (!/[/+]json$/.test(mediaType)) return [];
    let body: unknown;
    try {
      body = JSON.parse(answer.payload);
    } catch {
      return [`${where}: the body is not JSON`];
    }
    const ref = `${DOC_ID}#/${pointer('paths', path, method.toLowerCase(), 'responses', String(answer.statusCode), 'content', mediaType, 'schema')}`;
    const validate = this.ajv.getSchema(ref) ?? this.ajv.compile({ $ref: ref });
    if (validate(body)) return [];
    return [`${where}: body does not match its schema: ${this.ajv.errorsText(validate.errors)} (${answer.payload.slice(0, 300)})`];
  }

  /** `METHOD path` of every documented operation not yet seen answering as documented (by `check`). */
  unexercised(): string[] {
    const paths = this.doc['paths'] as Record<string, Record<string, unknown>>;
    const seen = new Set([...this.checked].map((k) => k.split(' ').slice(0, 2).join(' ')));
    return Object.entries(paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).filter((k) => !seen.has(k));
  }
}
