import {
  API_LIMITS,
  MAX_REPORTED_PROBLEMS,
  diffDefinitions,
  hasMaskedSecrets,
  isJsonObject,
  maskDefinitionSecrets,
  restoreMaskedSecrets,
  toJsonPointer,
  validateApiDefinition,
  type ApiDefinition,
  type DefinitionChange,
  type FieldProblem,
} from '@gw/api-schema';
import { ErrorCodes } from '@gw/errors';
import { silentLogger, type Logger } from '@gw/logging';
import type { ApiStore, ApplyAction } from '@gw/store';
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { CONFIG_VERSION_HEADER, listWithVersion, numericEntityTag } from './api-routes.js';
import { auditContext } from './bearer-auth.js';
import { jsonBody } from './json-body.js';
import type { OperationDoc } from './operation-doc.js';
import { ApiDefinitionSchema, DefinitionChangeSchema } from './openapi-schemas.js';
import { sendProblem } from './problem-details.js';
import { badQuery, booleanParam, checkParams, type Query } from './query-params.js';
import { getRequestId } from './request-id.js';
import { declareRoute, elevatedWhen } from './route-access.js';

export interface ApplyRoutesOptions {
  store: ApiStore;
  logger?: Logger;
}

/** The ETag of the whole config: its version, so `If-Match` on apply can name what an export saw. */
export function configVersionEtag(version: number): string {
  return `"${version}"`;
}

type Checked = { ok: true; definitions: ApiDefinition[]; prune: boolean } | { ok: false; problems: FieldProblem[]; invalidApis: number };

/**
 * The apply body `{"apis": [...], "prune": false}`, every API validated with problems at
 * JSON Pointers into the body (`/apis/3/upstream/targets/0/url`), duplicate names
 * included; at most MAX_REPORTED_PROBLEMS in all. `"[REDACTED]"` secrets are restored
 * from the stored APIs first, as PUT does, so an export applies back unchanged.
 */
async function checkApplyBody(body: unknown, store: ApiStore): Promise<Checked> {
  const problems: FieldProblem[] = [];
  if (!isJsonObject(body)) return { ok: false, problems: [{ path: '', message: 'must be an object like {"apis": [...], "prune": false}' }], invalidApis: 0 };
  for (const key of Object.keys(body)) if (key !== 'apis' && key !== 'prune') problems.push({ path: `/${key}`, message: 'unknown field' });
  const prune = body['prune'] ?? false;
  if (typeof prune !== 'boolean') problems.push({ path: '/prune', message: 'must be a boolean' });
  const apis = body['apis'];
  if (!Array.isArray(apis)) {
    problems.push({ path: '/apis', message: apis === undefined ? 'is required' : 'must be an array' });
    return { ok: false, problems, invalidApis: 0 };
  }
  const stored = apis.some(hasMaskedSecrets) ? new Map((await store.listApis()).map((a) => [a.definition.name, a.definition])) : undefined;
  const definitions: ApiDefinition[] = [];
  const firstIndex = new Map<string, number>();
  let invalidApis = 0;
  apis.forEach((input: unknown, i) => {
    const name = isJsonObject(input) && typeof input['name'] === 'string' ? input['name'] : undefined;
    const restored = stored !== undefined && name !== undefined ? restoreMaskedSecrets(input, stored.get(name)) : input;
    const result = validateApiDefinition(restored, { pointerPrefix: `/apis/${i}` });
    const own: FieldProblem[] = result.ok ? [] : result.problems;
    if (result.ok) {
      const earlier = firstIndex.get(result.value.name);
      if (earlier !== undefined) own.push({ path: `/apis/${i}/name`, message: `duplicates /apis/${earlier}/name (${JSON.stringify(result.value.name)})` });
      else firstIndex.set(result.value.name, i);
      definitions.push(result.value);
    }
    if (own.length > 0) invalidApis++;
    problems.push(...own);
  });
  if (problems.length === 0) return { ok: true, definitions, prune: prune === true };
  const reported = problems.slice(0, MAX_REPORTED_PROBLEMS);
  if (problems.length > MAX_REPORTED_PROBLEMS) reported.push({ path: '', message: `too many problems; only the first ${MAX_REPORTED_PROBLEMS} are reported` });
  return { ok: false, problems: reported, invalidApis };
}

/** `If-Match` on apply: the config version it was prepared against; `*` asks for nothing. */
function ifMatchConfigVersion(req: Request, res: Response): { version: number | undefined } | undefined {
  const header = req.headers['if-match'];
  if (header === undefined || header.trim() === '*') return { version: undefined };
  // Version 0 is a fresh database's, so unlike an API revision it is a valid tag here.
  const version = numericEntityTag(header);
  if (version === undefined) {
    sendProblem(req, res, { status: 412, code: ErrorCodes.GW_PRECONDITION_FAILED, detail: 'If-Match does not match the current config version (expected an entity tag like "7").' });
    return undefined;
  }
  return { version };
}

const VERSION_HEADERS = { [CONFIG_VERSION_HEADER]: 'The config version after the apply (or now, on a dry run).', ETag: 'The config version, `"7"`: send it back as If-Match.' };
const NAMES = z.array(z.string());

/** The apply body; checkApplyBody validates it field by field (problems at JSON Pointers). */
const ApplyRequestSchema = z.object({
  apis: z.array(ApiDefinitionSchema).describe('The whole desired set: every API, each a definition (names unique).'),
  prune: z.boolean().default(false).describe('Delete the stored APIs missing from `apis`.'),
});

const DOCS = {
  apply: {
    operationId: 'applyApis',
    summary: 'Apply a set of APIs declaratively',
    description: 'Creates, updates (and with `prune`, deletes) APIs in one transaction so the stored set equals `apis`. Every API is validated first; nothing is written unless all are valid.',
    tags: ['apply'],
    parameters: [
      { name: 'dryRun', in: 'query', description: '`true`: plan only, write nothing.', schema: z.enum(['true', 'false']) },
      { name: 'If-Match', in: 'header', description: 'Only if the config is still at this version (`"7"`, from an export); `*` asks for nothing.', schema: z.string() },
    ],
    requestBody: { description: '`{"apis": [...], "prune": false}`, the format GET /v1/export answers.', schema: ApplyRequestSchema },
    responses: {
      200: {
        description: 'Applied, or planned with `dryRun=true`.',
        headers: VERSION_HEADERS,
        schema: z.object({
          dryRun: z.boolean(),
          changes: z.object({ create: NAMES, update: NAMES, delete: NAMES, unchanged: NAMES }),
          configVersion: z.int(),
          diff: z.record(z.string(), z.array(DefinitionChangeSchema)).describe('Per changed API, its difference.'),
          revisions: z.record(z.string(), z.int()).optional().describe('The revision of every API written (not on a dry run).'),
        }),
      },
    },
    problems: {
      400: 'Problems in the set, each at a JSON Pointer into the body (GW_VALIDATION); or a bad query (GW_BAD_REQUEST).',
      409: 'Routes of the set conflict with each other (GW_ROUTE_CONFLICT).',
      412: 'If-Match is not the current config version (GW_PRECONDITION_FAILED).',
    },
  },
  export: {
    operationId: 'exportApis',
    summary: 'Export every API in the apply format',
    description: 'Sorted by name; secrets read `"[REDACTED]"` unless `includeSecrets=true` (admin only). Applying it back changes nothing.',
    tags: ['apply'],
    parameters: [{ name: 'includeSecrets', in: 'query', description: '`true`: secrets in clear (needs the admin role).', schema: z.enum(['true', 'false']) }],
    responses: { 200: { description: 'The stored set.', headers: VERSION_HEADERS, schema: z.object({ apis: z.array(ApiDefinitionSchema) }) } },
    problems: { 400: 'A bad query (GW_BAD_REQUEST).' },
  },
} satisfies Record<string, OperationDoc>;

/**
 * `POST /v1/apply[?dryRun=true]` (deployer) and `GET /v1/export[?includeSecrets=true]`
 * (viewer; admin with secrets). See docs/operations.md, "Declarative apply, dry-run,
 * revisions and rollback".
 */
export function createApplyRouter(options: ApplyRoutesOptions): Router {
  const { store } = options;
  const logger = options.logger ?? silentLogger;
  const router = express.Router({ caseSensitive: true, strict: true });

  declareRoute(router, '/v1/apply', {
    post: [
      'deployer',
      DOCS.apply,
      jsonBody({ limit: API_LIMITS.applyBodyMaxBytes, pathFormat: toJsonPointer }),
      async (req, res) => {
        const queryProblems: FieldProblem[] = [];
        checkParams(req.query as Query, ['dryRun'], queryProblems);
        const dryRun = booleanParam(req.query as Query, 'dryRun', queryProblems);
        if (queryProblems.length > 0) return badQuery(req, res, queryProblems);
        const checked = await checkApplyBody(req.body, store);
        if (!checked.ok) {
          sendProblem(req, res, {
            status: 400,
            code: ErrorCodes.GW_VALIDATION,
            detail:
              checked.invalidApis > 0
                ? `${checked.invalidApis} API(s) of the set have problems; nothing was changed.`
                : `The apply request has ${checked.problems.length} problem(s); nothing was changed.`,
            errors: checked.problems,
          });
          return;
        }
        const ifMatch = ifMatchConfigVersion(req, res);
        if (ifMatch === undefined) return;
        const context = auditContext(res);
        const result = await store.applyApis(checked.definitions, {
          ...context,
          prune: checked.prune,
          dryRun,
          ...(ifMatch.version === undefined ? {} : { ifMatchConfigVersion: ifMatch.version }),
        });
        const changes: Record<ApplyAction, string[]> = { create: [], update: [], delete: [], unchanged: [] };
        const diff: Record<string, DefinitionChange[]> = {};
        const revisions: Record<string, number> = {};
        for (const c of result.changes) {
          changes[c.action].push(c.name);
          if (c.action !== 'unchanged') diff[c.name] = diffDefinitions(c.before, c.after);
          if (c.revision !== undefined) revisions[c.name] = c.revision;
        }
        if (!dryRun) {
          logger.info(
            {
              requestId: getRequestId(res),
              actor: context.actor,
              configVersion: result.configVersion,
              created: changes.create.length,
              updated: changes.update.length,
              deleted: changes.delete.length,
              unchanged: changes.unchanged.length,
            },
            'APIs applied',
          );
        }
        res.setHeader(CONFIG_VERSION_HEADER, String(result.configVersion));
        res.setHeader('ETag', configVersionEtag(result.configVersion));
        res.json({ dryRun, changes, configVersion: result.configVersion, diff, ...(dryRun ? {} : { revisions }) });
      },
    ],
  });

  declareRoute(router, '/v1/export', {
    get: [
      'viewer',
      DOCS.export,
      elevatedWhen('includeSecrets', 'true', 'admin'),
      async (req, res) => {
        const problems: FieldProblem[] = [];
        checkParams(req.query as Query, ['includeSecrets'], problems);
        const includeSecrets = booleanParam(req.query as Query, 'includeSecrets', problems);
        if (problems.length > 0) return badQuery(req, res, problems);
        const { items, configVersion } = await listWithVersion(store);
        // Sorted by name (the store lists in byte order), in the apply format.
        const apis = items.map((a) => (includeSecrets ? a.definition : maskDefinitionSecrets(a.definition)));
        res.setHeader(CONFIG_VERSION_HEADER, String(configVersion));
        res.setHeader('ETag', configVersionEtag(configVersion));
        res.setHeader('Cache-Control', 'no-store');
        res.json({ apis });
      },
    ],
  });

  return router;
}
