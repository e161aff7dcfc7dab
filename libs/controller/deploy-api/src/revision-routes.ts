import { gatewayWording, isValidApiName, maskDefinitionSecrets, pointerFormat, problemsFromIssues, validateApiDefinition, type FieldProblem } from '@gw/api-schema';
import { ErrorCodes } from '@gw/errors';
import { silentLogger, type Logger } from '@gw/logging';
import type { ApiRevision, ApiStore, RevisionSummary } from '@gw/store';
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { ApiWrittenSchema, CONFIG_VERSION_HEADER, expectedRevision, revisionEtag, toApiResource } from './api-routes.js';
import { cursorParam, encodePageCursor, pageOf } from './page-cursor.js';
import { auditContext } from './bearer-auth.js';
import { jsonBody } from './json-body.js';
import type { OperationDoc } from './operation-doc.js';
import { ApiDefinitionSchema } from './openapi-schemas.js';
import { sendProblem } from './problem-details.js';
import { badQuery, checkParams, intParam, type Query } from './query-params.js';
import { getRequestId } from './request-id.js';
import { declareRoute } from './route-access.js';

export interface RevisionRoutesOptions {
  store: ApiStore;
  logger?: Logger;
}

export const REVISIONS_LIMIT_DEFAULT = 50;
export const REVISIONS_LIMIT_MAX = 1000;
/** A rollback body is one small object. */
const ROLLBACK_BODY_MAX_BYTES = 1024;

/** One entry of the history list: who changed the API, when, and which config version carried it. */
function summary(r: RevisionSummary) {
  return { revision: r.revision, configVersion: r.configVersion, actor: r.actor, createdAt: r.createdAt, deleted: r.deleted };
}

/** One revision with its definition, secrets masked as on GET /v1/apis/{name}; `api` is null for a delete. */
function revisionResource(r: ApiRevision) {
  return { name: r.name, ...summary({ ...r, deleted: r.definition === null }), api: r.definition === null ? null : maskDefinitionSecrets(r.definition) };
}

function paramOf(req: Request, name: string): string {
  const value: unknown = req.params[name];
  return typeof value === 'string' ? value : '';
}

/** A revision path segment: 1 to 15 digits, at least 1 (anything else names no revision). */
function revisionParam(raw: string): number | undefined {
  return /^\d{1,15}$/.test(raw) && Number(raw) >= 1 ? Number(raw) : undefined;
}

function sendRevisionNotFound(req: Request, res: Response, name: string, revision: string): void {
  sendProblem(req, res, { status: 404, code: ErrorCodes.GW_NOT_FOUND, detail: `API ${JSON.stringify(name)} has no revision ${JSON.stringify(revision)}.` });
}

/** The rollback body: the document shows it and rollbackRevision validates with it. */
const RollbackRequestSchema = z.strictObject({ revision: z.int().min(1).describe('The revision whose definition becomes the API’s new revision.') });

/** The rollback body: exactly `{"revision": N}`; problems at JSON Pointers (`/revision`). */
function rollbackRevision(body: unknown, problems: FieldProblem[]): number | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    problems.push({ path: '', message: 'must be an object like {"revision": 3}' });
    return undefined;
  }
  const parsed = RollbackRequestSchema.safeParse(body, { error: gatewayWording, reportInput: true });
  if (parsed.success) return parsed.data.revision;
  problems.push(...problemsFromIssues(parsed.error.issues, [], pointerFormat('')));
  return undefined;
}

const NAME_PARAM = { name: 'name', in: 'path', description: 'The API name.', schema: z.string() } as const;
const RevisionSummarySchema = z.object({ revision: z.int(), configVersion: z.int(), actor: z.string(), createdAt: z.string(), deleted: z.boolean() });

const DOCS = {
  list: {
    operationId: 'listApiRevisions',
    summary: 'List the revisions of one API',
    description: 'Newest first, paged: send `next` back as `cursor` for the following page.',
    tags: ['revisions'],
    parameters: [
      NAME_PARAM,
      { name: 'limit', in: 'query', description: `At most this many (1 to ${REVISIONS_LIMIT_MAX}, default ${REVISIONS_LIMIT_DEFAULT}).`, schema: z.int().min(1).max(REVISIONS_LIMIT_MAX) },
      { name: 'cursor', in: 'query', description: 'The `next` of the previous page.', schema: z.string() },
    ],
    responses: { 200: { description: 'One page of revisions.', schema: z.object({ name: z.string(), items: z.array(RevisionSummarySchema), next: z.string().nullable() }) } },
    problems: { 400: 'A bad query (GW_BAD_REQUEST).', 404: 'No API of that name was ever written (GW_API_NOT_FOUND).' },
  },
  get: {
    operationId: 'getApiRevision',
    summary: 'Read one revision of one API',
    description: '`api` is null for the revision that deleted the API; secrets read `"[REDACTED]"`.',
    tags: ['revisions'],
    parameters: [NAME_PARAM, { name: 'revision', in: 'path', description: 'The revision number (from 1).', schema: z.string() }],
    responses: { 200: { description: 'The revision.', schema: RevisionSummarySchema.extend({ name: z.string(), api: ApiDefinitionSchema.nullable() }) } },
    problems: { 404: 'No such revision (GW_NOT_FOUND).' },
  },
  rollback: {
    operationId: 'rollbackApi',
    summary: 'Roll one API back to an earlier revision',
    description: 'Writes the definition of that revision as a new revision (re-validated against today’s rules); it also recreates a deleted API.',
    tags: ['revisions'],
    parameters: [NAME_PARAM, { name: 'If-Match', in: 'header', description: 'Only if the API is at this revision; `*`: only if it exists.', schema: z.string() }],
    requestBody: { description: '`{"revision": 3}`', schema: RollbackRequestSchema },
    responses: {
      200: { description: 'Rolled back (`changed: false` when it already had that definition).', headers: { [CONFIG_VERSION_HEADER]: 'The config version.', ETag: 'The new revision.' }, schema: ApiWrittenSchema.extend({ rolledBackTo: z.int(), changed: z.boolean() }) },
      201: { description: 'Recreated a deleted API.', headers: { [CONFIG_VERSION_HEADER]: 'The config version.', ETag: 'The new revision.', Location: '`/v1/apis/{name}`' }, schema: ApiWrittenSchema.extend({ rolledBackTo: z.int(), changed: z.boolean() }) },
    },
    problems: {
      400: 'The body is not `{"revision": N}` (GW_BAD_REQUEST); or that revision no longer validates (GW_VALIDATION).',
      404: 'No such revision (GW_NOT_FOUND).',
      409: 'That revision is the deletion (GW_CONFLICT), or its routes now conflict with another API (GW_ROUTE_CONFLICT).',
      412: 'If-Match does not match the current revision (GW_PRECONDITION_FAILED).',
    },
  },
} satisfies Record<string, OperationDoc>;

/**
 * `GET /v1/apis/{name}/revisions` (newest first, paged like the audit log),
 * `GET /v1/apis/{name}/revisions/{revision}` and `POST /v1/apis/{name}/rollback`.
 */
export function createRevisionRouter(options: RevisionRoutesOptions): Router {
  const { store } = options;
  const logger = options.logger ?? silentLogger;
  const router = express.Router({ caseSensitive: true, strict: true });

  declareRoute(router, '/v1/apis/:name/revisions', {
    get: [
      'viewer',
      DOCS.list,
      async (req, res) => {
        const name = paramOf(req, 'name');
        const query = req.query as Query;
        const problems: FieldProblem[] = [];
        checkParams(query, ['limit', 'cursor'], problems);
        const limit = intParam(query, 'limit', 1, REVISIONS_LIMIT_MAX, problems) ?? REVISIONS_LIMIT_DEFAULT;
        const beforeRevision = cursorParam(query, problems);
        if (problems.length > 0) return badQuery(req, res, problems);
        // One more than asked tells whether another page exists.
        const rows = isValidApiName(name) ? await store.listRevisions(name, { limit: limit + 1, ...(beforeRevision === undefined ? {} : { beforeRevision }) }) : [];
        if (rows.length === 0 && beforeRevision === undefined) {
          sendProblem(req, res, { status: 404, code: ErrorCodes.GW_API_NOT_FOUND, detail: `No API named ${JSON.stringify(name)} was ever written.` });
          return;
        }
        const { items, next } = pageOf(rows, limit, (row) => encodePageCursor(row.revision));
        res.json({ name, items: items.map(summary), next });
      },
    ],
  });

  declareRoute(router, '/v1/apis/:name/revisions/:revision', {
    get: [
      'viewer',
      DOCS.get,
      async (req, res) => {
        const name = paramOf(req, 'name');
        const raw = paramOf(req, 'revision');
        const revision = revisionParam(raw);
        const found = revision !== undefined && isValidApiName(name) ? await store.getRevision(name, revision) : undefined;
        if (found === undefined) return sendRevisionNotFound(req, res, name, raw);
        res.json(revisionResource(found));
      },
    ],
  });

  declareRoute(router, '/v1/apis/:name/rollback', {
    post: [
      'deployer',
      DOCS.rollback,
      jsonBody({ limit: ROLLBACK_BODY_MAX_BYTES }),
      async (req, res) => {
        const name = paramOf(req, 'name');
        const problems: FieldProblem[] = [];
        const revision = rollbackRevision(req.body, problems);
        if (revision === undefined) {
          sendProblem(req, res, { status: 400, code: ErrorCodes.GW_BAD_REQUEST, detail: `The rollback request has ${problems.length} problem(s); nothing was changed.`, errors: problems });
          return;
        }
        const found = isValidApiName(name) ? await store.getRevision(name, revision) : undefined;
        if (found === undefined) return sendRevisionNotFound(req, res, name, String(revision));
        if (found.definition === null) {
          sendProblem(req, res, {
            status: 409,
            code: ErrorCodes.GW_CONFLICT,
            detail: `Revision ${revision} of API ${JSON.stringify(name)} is its deletion; roll back to a revision that has a definition, or DELETE the API.`,
          });
          return;
        }
        // An old revision meets today's rules like any write (the schema may have tightened since).
        const result = validateApiDefinition(found.definition, { expectedName: name });
        if (!result.ok) {
          sendProblem(req, res, {
            status: 400,
            code: ErrorCodes.GW_VALIDATION,
            detail: `Revision ${revision} is no longer a valid API definition (${result.problems.length} problem(s)); nothing was changed.`,
            errors: result.problems,
          });
          return;
        }
        const expected = await expectedRevision(req, res, store, name);
        if (expected === undefined) return;
        const context = auditContext(res);
        const written = await store.rollbackApi(result.value, { ...context, ...(expected.revision === undefined ? {} : { ifMatchRevision: expected.revision }) });
        logger.info(
          { requestId: getRequestId(res), api: name, rolledBackTo: revision, revision: written.api.revision, configVersion: written.configVersion, changed: written.changed, actor: context.actor },
          written.changed ? 'API rolled back' : 'API rollback changed nothing',
        );
        res.status(written.created ? 201 : 200);
        if (written.created) res.setHeader('Location', `/v1/apis/${name}`);
        res.setHeader('ETag', revisionEtag(written.api.revision));
        res.setHeader(CONFIG_VERSION_HEADER, String(written.configVersion));
        res.json({ ...toApiResource(written.api), configVersion: written.configVersion, rolledBackTo: revision, changed: written.changed });
      },
    ],
  });

  return router;
}
