import {
  API_LIMITS,
  definitionsEqual,
  describeRouteConflict,
  diffDefinitions,
  findRouteConflicts,
  hasMaskedSecrets,
  isValidApiName,
  maskDefinitionSecrets,
  restoreMaskedSecrets,
  routeConflictProblems,
  validateApiDefinition,
  type ApiDefinition,
  type FieldProblem,
  type StoredApi,
} from '@gw/api-schema';
import { ErrorCodes } from '@gw/errors';
import { silentLogger, type Logger } from '@gw/logging';
import type { ApiListPage, ApiStore } from '@gw/store';
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { auditContext } from './bearer-auth.js';
import type { OperationDoc } from './operation-doc.js';
import { ApiDefinitionSchema, ApiResourceSchema, DefinitionChangeSchema } from './openapi-schemas.js';
import { jsonBody } from './json-body.js';
import { sendProblem } from './problem-details.js';
import { cursorParam, decodeNameCursor, encodeNameCursor, pageOf } from './page-cursor.js';
import { badQuery, booleanParam, checkParams, intParam, type Query } from './query-params.js';
import { getRequestId } from './request-id.js';
import { declareRoute } from './route-access.js';

/** An API as the deploy API returns it. */
export interface ApiResource {
  api: ApiDefinition;
  revision: number;
  createdAt: string;
  updatedAt: string;
  /** Who made the current revision (the audit actor); only `GET /v1/apis` list items carry it. */
  updatedBy?: string;
}

export interface ApiRoutesOptions {
  store: ApiStore;
  logger?: Logger;
}

export const CONFIG_VERSION_HEADER = 'X-Config-Version';

/**
 * What every response shows of a stored API: the definition with its secrets masked
 * (the HMAC secret of an inline `oct` JWK reads `"[REDACTED]"`; see docs/api-definition.md,
 * "Secrets"). GET, the list and the PUT response all go through here.
 */
export function toApiResource(stored: StoredApi): ApiResource {
  return {
    api: maskDefinitionSecrets(stored.definition),
    revision: stored.revision,
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
    ...(stored.updatedBy === undefined ? {} : { updatedBy: stored.updatedBy }),
  };
}

export function revisionEtag(revision: number): string {
  return `"${revision}"`;
}

/** What an `If-Match` header asks for. */
export type IfMatch = { kind: 'absent' } | { kind: 'any' } | { kind: 'revision'; revision: number } | { kind: 'unmatchable' };

/**
 * Accepts `"3"`, `3` and `W/"3"` (clients that only keep weak tags still mean the same
 * revision) and `*`. Anything else never matches one of our tags, so it fails the
 * precondition (412) rather than being ignored; a list of several tags is not supported
 * and fails the same way.
 */
export function parseIfMatch(header: string | undefined): IfMatch {
  if (header === undefined) return { kind: 'absent' };
  const value = header.trim();
  if (value === '*') return { kind: 'any' };
  const revision = numericEntityTag(value);
  return revision !== undefined && revision >= 1 ? { kind: 'revision', revision } : { kind: 'unmatchable' };
}

/** The number in one entity tag, `"3"`, `W/"3"` or `3` (surrounding whitespace aside); undefined for anything else. */
export function numericEntityTag(value: string): number | undefined {
  const m = /^(?:W\/)?(?:"(\d{1,15})"|(\d{1,15}))$/.exec(value.trim());
  const digits = m?.[1] ?? m?.[2];
  return digits === undefined ? undefined : Number(digits);
}

function paramName(req: Request): string {
  const name: unknown = req.params['name'];
  return typeof name === 'string' ? name : '';
}

function sendApiNotFound(req: Request, res: Response, name: string): void {
  sendProblem(req, res, { status: 404, code: ErrorCodes.GW_API_NOT_FOUND, detail: `No API named ${JSON.stringify(name)}.` });
}

function sendPreconditionFailed(req: Request, res: Response, detail: string): void {
  sendProblem(req, res, { status: 412, code: ErrorCodes.GW_PRECONDITION_FAILED, detail });
}

/**
 * Turns If-Match into the revision the store must see, or answers 412 itself. `*` means
 * "only if it exists": we pin the revision we read, so a concurrent change still fails.
 */
export async function expectedRevision(req: Request, res: Response, store: ApiStore, name: string): Promise<{ revision: number | undefined } | undefined> {
  const ifMatch = parseIfMatch(req.headers['if-match']);
  switch (ifMatch.kind) {
    case 'absent':
      return { revision: undefined };
    case 'revision':
      return { revision: ifMatch.revision };
    case 'unmatchable':
      sendPreconditionFailed(req, res, 'If-Match does not match the current revision (expected an entity tag like "3").');
      return undefined;
    case 'any': {
      const current = isValidApiName(name) ? await store.getApi(name) : undefined;
      if (current === undefined) {
        sendPreconditionFailed(req, res, 'If-Match: * requires the API to exist.');
        return undefined;
      }
      return { revision: current.revision };
    }
  }
}

/**
 * `read` with the config version its answer corresponds to. Every write bumps the version
 * in its own transaction, so if the version is the same before and after the read, no
 * write committed in between and the answer is exactly the state at that version. Under a
 * stream of writes we give up after a few tries and report the later version.
 */
async function atOneVersion<T>(store: ApiStore, read: () => Promise<T>): Promise<{ value: T; configVersion: number }> {
  for (let attempt = 1; ; attempt++) {
    const before = await store.readConfigState();
    const value = await read();
    const after = await store.readConfigState();
    if (before.version === after.version || attempt >= 3) return { value, configVersion: after.version };
  }
}

/** The APIs (or one page of them) with the config version they correspond to (atOneVersion). */
export async function listWithVersion(store: ApiStore, page?: ApiListPage): Promise<{ items: StoredApi[]; configVersion: number }> {
  const { value, configVersion } = await atOneVersion(store, () => store.listApis(page));
  return { items: value, configVersion };
}

/**
 * What the write's checks read, as the write reads it (the API itself and the APIs with
 * its base path, not all of them: a dry run at 10,000 APIs read 10 MiB), with the config
 * version it is exactly the state of (atOneVersion).
 */
async function dryRunBasis(store: ApiStore, definition: ApiDefinition): Promise<{ current: StoredApi | undefined; neighbours: ApiDefinition[]; configVersion: number }> {
  const { value, configVersion } = await atOneVersion(store, async () => ({ current: await store.getApi(definition.name), neighbours: await store.listRouteNeighbours(definition.basePath) }));
  return { ...value, configVersion };
}

/**
 * `PUT /v1/apis/{name}?dryRun=true`: the write's checks (validation before, If-Match and
 * route conflicts here) and its difference against the stored definition, without writing.
 * Read outside the writers' lock, so a write committed in between can still change the
 * outcome of the real PUT; `configVersion` says which state the answer was computed on.
 */
async function answerDryRun(req: Request, res: Response, store: ApiStore, definition: ApiDefinition, ifMatchRevision: number | undefined): Promise<void> {
  const { current, neighbours, configVersion } = await dryRunBasis(store, definition);
  if (ifMatchRevision !== undefined && current?.revision !== ifMatchRevision) {
    sendPreconditionFailed(req, res, current === undefined ? `API "${definition.name}" does not exist, so it is not at revision ${ifMatchRevision}.` : `API "${definition.name}" is at revision ${current.revision}, not ${ifMatchRevision}.`);
    return;
  }
  // findRouteConflicts skips the API itself among its neighbours.
  const conflicts = findRouteConflicts(definition, neighbours);
  if (conflicts.length > 0) {
    sendProblem(req, res, { status: 409, code: ErrorCodes.GW_ROUTE_CONFLICT, detail: describeRouteConflict(definition, conflicts), errors: routeConflictProblems(definition, conflicts) });
    return;
  }
  const action = current === undefined ? 'create' : definitionsEqual(current.definition, definition) ? 'unchanged' : 'update';
  res.setHeader(CONFIG_VERSION_HEADER, String(configVersion));
  res.json({
    dryRun: true,
    action,
    diff: diffDefinitions(current?.definition, definition),
    api: maskDefinitionSecrets(definition),
    revision: current?.revision ?? null,
    configVersion,
  });
}

const CONFIG_VERSION_DOC = { [CONFIG_VERSION_HEADER]: 'The config version the answer corresponds to.' };
const NAME_PARAM = { name: 'name', in: 'path', description: 'The API name.', schema: z.string() } as const;
const IF_MATCH_PARAM = {
  name: 'If-Match',
  in: 'header',
  description: 'Only if the API is at this revision (`"3"`, `W/"3"` or `3`); `*`: only if it exists. Anything else fails with 412.',
  schema: z.string(),
} as const;
const DRY_RUN_PARAM = { name: 'dryRun', in: 'query', description: '`true`: run every check and return the difference, write nothing.', schema: z.enum(['true', 'false']) } as const;

/** What a write of one API answers (PUT, rollback). */
export const ApiWrittenSchema = ApiResourceSchema.extend({ configVersion: z.int() });

/** The largest page of `GET /v1/apis?limit=`: at 10,000 APIs the whole list is ~10 MiB of JSON and a second or more of work. */
export const API_LIST_LIMIT_MAX = 1000;

const DOCS = {
  list: {
    operationId: 'listApis',
    summary: 'List the APIs',
    description:
      'Every API, sorted by name (byte order), with the config version the list is exactly the state of. With `limit`, one page: send `next` back as `cursor` for the following one; each page carries the config version it was read at (for one consistent state of thousands of APIs, `GET /v1/export`).',
    tags: ['apis'],
    parameters: [
      { name: 'limit', in: 'query', description: `At most this many (1 to ${API_LIST_LIMIT_MAX}); without it, every API.`, schema: z.int().min(1).max(API_LIST_LIMIT_MAX) },
      { name: 'cursor', in: 'query', description: 'The `next` of the previous page.', schema: z.string() },
    ],
    responses: {
      200: {
        description: 'The APIs, or one page of them.',
        headers: CONFIG_VERSION_DOC,
        schema: z.object({ items: z.array(ApiResourceSchema), configVersion: z.int(), next: z.string().nullable() }),
      },
    },
    problems: { 400: 'A bad query (GW_BAD_REQUEST).' },
  },
  get: {
    operationId: 'getApi',
    summary: 'Read one API',
    description: 'Secrets of the definition read `"[REDACTED]"`.',
    tags: ['apis'],
    parameters: [NAME_PARAM, { name: 'If-None-Match', in: 'header', description: 'The ETag of a copy the caller holds: 304 while it is current.', schema: z.string() }],
    responses: { 200: { description: 'The API.', headers: { ETag: 'The revision, `"3"`.' }, schema: ApiResourceSchema }, 304: { description: 'The caller’s copy (If-None-Match) is current.' } },
    problems: { 404: 'No API of that name (GW_API_NOT_FOUND).' },
  },
  put: {
    operationId: 'putApi',
    summary: 'Create or replace one API',
    description: 'The body is an API definition whose `name` matches the path. With `dryRun=true` nothing is written and the answer is the difference.',
    tags: ['apis'],
    parameters: [NAME_PARAM, DRY_RUN_PARAM, IF_MATCH_PARAM],
    requestBody: { description: 'The API definition (schema: GET /v1/schemas/api-definition.json).', schema: ApiDefinitionSchema },
    responses: {
      200: {
        description: 'Replaced; or, with `dryRun=true`, what the write would do.',
        headers: { ...CONFIG_VERSION_DOC, ETag: 'The new revision (not on a dry run).' },
        schema: z.union([
          ApiWrittenSchema,
          z.object({
            dryRun: z.literal(true),
            action: z.enum(['create', 'update', 'unchanged']),
            diff: z.array(DefinitionChangeSchema),
            api: ApiDefinitionSchema,
            revision: z.int().nullable(),
            configVersion: z.int(),
          }),
        ]),
      },
      201: { description: 'Created.', headers: { ...CONFIG_VERSION_DOC, ETag: 'The new revision.', Location: '`/v1/apis/{name}`' }, schema: ApiWrittenSchema },
    },
    problems: {
      400: 'The definition has problems, each at a JSON Pointer in `errors` (GW_VALIDATION); or a bad `dryRun` (GW_BAD_REQUEST).',
      409: 'A route of this API is already served by another API (GW_ROUTE_CONFLICT); `errors` names them.',
      412: 'If-Match does not match the current revision (GW_PRECONDITION_FAILED).',
    },
  },
  delete: {
    operationId: 'deleteApi',
    summary: 'Delete one API',
    tags: ['apis'],
    parameters: [NAME_PARAM, IF_MATCH_PARAM],
    responses: { 200: { description: 'Deleted: its last revision records the deletion.', headers: CONFIG_VERSION_DOC, schema: z.object({ name: z.string(), revision: z.int(), configVersion: z.int() }) } },
    problems: { 404: 'No API of that name (GW_API_NOT_FOUND).', 412: 'If-Match does not match the current revision (GW_PRECONDITION_FAILED).' },
  },
} satisfies Record<string, OperationDoc>;

/** The `/v1/apis` routes. Handlers only translate HTTP to store calls: validation lives in @gw/api-model. */
export function createApiRouter(options: ApiRoutesOptions): Router {
  const { store } = options;
  const logger = options.logger ?? silentLogger;
  const router = express.Router({ caseSensitive: true, strict: true });

  declareRoute(router, '/v1/apis', {
    get: [
      'viewer',
      DOCS.list,
      async (req, res) => {
        const query = req.query as Query;
        const problems: FieldProblem[] = [];
        checkParams(query, ['limit', 'cursor'], problems);
        const limit = intParam(query, 'limit', 1, API_LIST_LIMIT_MAX, problems);
        const after = cursorParam(query, problems, decodeNameCursor);
        if (problems.length > 0) return badQuery(req, res, problems);
        // One more than asked tells whether another page exists; a cursor without a limit lists to the end.
        const page = { ...(limit === undefined ? {} : { limit: limit + 1 }), ...(after === undefined ? {} : { after }) };
        const { items: rows, configVersion } = await listWithVersion(store, page);
        const { items, next } = limit === undefined ? { items: rows, next: null } : pageOf(rows, limit, (row) => encodeNameCursor(row.definition.name));
        res.setHeader(CONFIG_VERSION_HEADER, String(configVersion));
        res.json({ items: items.map(toApiResource), configVersion, next });
      },
    ],
  });

  declareRoute(router, '/v1/apis/:name', {
    get: [
      'viewer',
      DOCS.get,
      async (req, res) => {
        const name = paramName(req);
        const stored = isValidApiName(name) ? await store.getApi(name) : undefined;
        if (stored === undefined) {
          sendApiNotFound(req, res, name);
          return;
        }
        // With ETag set, express answers a matching If-None-Match with 304 by itself.
        res.setHeader('ETag', revisionEtag(stored.revision));
        res.json(toApiResource(stored));
      },
    ],
    put: [
      'deployer',
      DOCS.put,
      jsonBody({ limit: API_LIMITS.bodyMaxBytes }),
      async (req, res) => {
      const name = paramName(req);
      const problems: FieldProblem[] = [];
      const dryRun = booleanParam(req.query as Query, 'dryRun', problems);
      if (problems.length > 0) return badQuery(req, res, problems);
      let body: unknown = req.body;
      // A definition from GET sends "[REDACTED]" back for a JWK secret: keep the stored one
      // (same kid), so export → apply round-trips without anyone handling the secret.
      if (hasMaskedSecrets(body) && isValidApiName(name)) body = restoreMaskedSecrets(body, (await store.getApi(name))?.definition);
      const result = validateApiDefinition(body, { expectedName: name });
      if (!result.ok) {
        // A body naming another API than the path is one more field problem (at `name`), so
        // the caller sees it alongside the others.
        sendProblem(req, res, {
          status: 400,
          code: ErrorCodes.GW_VALIDATION,
          detail: `The API definition has ${result.problems.length} problem(s); nothing was changed.`,
          errors: result.problems,
        });
        return;
      }
      const expected = await expectedRevision(req, res, store, name);
      if (expected === undefined) return;
      if (dryRun) return answerDryRun(req, res, store, result.value, expected.revision);
      const context = auditContext(res);
      const actor = context.actor;
      const written = await store.putApi(result.value, { ...context, ...(expected.revision === undefined ? {} : { ifMatchRevision: expected.revision }) });
      logger.info(
        { requestId: getRequestId(res), api: name, revision: written.api.revision, configVersion: written.configVersion, created: written.created, actor },
        'API written',
      );
      res.status(written.created ? 201 : 200);
      if (written.created) res.setHeader('Location', `/v1/apis/${name}`);
      res.setHeader('ETag', revisionEtag(written.api.revision));
      res.setHeader(CONFIG_VERSION_HEADER, String(written.configVersion));
      res.json({ ...toApiResource(written.api), configVersion: written.configVersion });
      },
    ],
    delete: [
      'deployer',
      DOCS.delete,
      async (req, res) => {
        const name = paramName(req);
        if (!isValidApiName(name)) {
          sendApiNotFound(req, res, name);
          return;
        }
        const expected = await expectedRevision(req, res, store, name);
        if (expected === undefined) return;
        const context = auditContext(res);
        const actor = context.actor;
        const deleted = await store.deleteApi(name, { ...context, ...(expected.revision === undefined ? {} : { ifMatchRevision: expected.revision }) });
        logger.info({ requestId: getRequestId(res), api: name, revision: deleted.revision, configVersion: deleted.configVersion, actor }, 'API deleted');
        res.setHeader(CONFIG_VERSION_HEADER, String(deleted.configVersion));
        res.json({ name, revision: deleted.revision, configVersion: deleted.configVersion });
      },
    ],
  });

  return router;
}
