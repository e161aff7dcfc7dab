import type { FieldProblem } from '@gw/api-schema';
import { ErrorCodes } from '@gw/errors';
import type { FleetStatusService } from '@gw/fleet-status';
import { silentLogger, type Logger } from '@gw/logging';
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { CONFIG_VERSION_HEADER } from './api-routes.js';
import type { OperationDoc } from './operation-doc.js';
import { ConfigRefSchema, DesiredConfigSchema } from './openapi-schemas.js';
import { sendProblem } from './problem-details.js';
import { badQuery, checkParams, intParam, type Query } from './query-params.js';
import { declareRoute } from './route-access.js';
import { getRequestId } from './request-id.js';

export type FleetStatusSource = Pick<FleetStatusService, 'runtimes' | 'status' | 'waitForVersion'>;

export interface FleetRoutesOptions {
  fleet: FleetStatusSource;
  logger?: Logger;
  /** How long `waitForVersion` waits without `timeoutMs` (default 30 s). */
  defaultWaitMs?: number;
  /** The longest `timeoutMs` accepted (default 120 s). */
  maxWaitMs?: number;
}

export const WAIT_DEFAULT_MS = 30_000;
export const WAIT_MAX_MS = 120_000;
const ZONE_MAX = 128;

function noStore(res: Response): Response {
  return res.setHeader('Cache-Control', 'no-store');
}

const NackSchema = z.object({ version: z.int(), epoch: z.int(), code: z.string(), message: z.string(), at: z.string() });
const CountsSchema = z.object({ total: z.int(), connected: z.int(), inSync: z.int(), outOfSync: z.int(), nacked: z.int(), stale: z.int(), disconnected: z.int() });
const RuntimeSchema = z.object({
  runtimeId: z.string(),
  zone: z.string(),
  controllerId: z.string(),
  state: z.enum(['connected', 'stale', 'disconnected']),
  connected: z.boolean(),
  stale: z.boolean(),
  applied: ConfigRefSchema,
  inSync: z.boolean(),
  lastNack: NackSchema.nullable(),
  nackPending: z.boolean(),
  connectedAt: z.string(),
  lastSeenAt: z.string(),
  disconnectedAt: z.string().nullable(),
  buildVersion: z.string(),
  identity: z.string().nullable(),
  certificateNotAfter: z.string().nullable(),
});
const Where = { runtimeId: z.string(), zone: z.string(), controllerId: z.string() };
const FleetStatusSchema = z.object({
  controller: z.object({ id: z.string(), zone: z.string(), snapshot: ConfigRefSchema.nullable() }),
  config: DesiredConfigSchema,
  runtimes: CountsSchema,
  zones: z.record(z.string(), CountsSchema),
  stale: z.array(z.object({ ...Where, lastSeenAt: z.string() })),
  nacks: z.array(z.object({ ...Where, ...NackSchema.shape })),
  warnings: z.array(z.string()),
  checkedAt: z.string(),
});
const VERSION_DOC = { [CONFIG_VERSION_HEADER]: 'The desired config version.' };

const DOCS = {
  runtimes: {
    operationId: 'listRuntimes',
    summary: 'List the runtimes',
    description: 'Every runtime the fleet recorded, with what it runs and whether it is in sync.',
    tags: ['fleet'],
    parameters: [{ name: 'zone', in: 'query', description: `Only runtimes of this zone (1 to ${ZONE_MAX} characters).`, schema: z.string().min(1).max(ZONE_MAX) }],
    responses: { 200: { description: 'The runtimes.', headers: VERSION_DOC, schema: z.object({ config: DesiredConfigSchema, runtimes: z.array(RuntimeSchema), checkedAt: z.string() }) } },
    problems: { 400: 'A bad query (GW_BAD_REQUEST).' },
  },
  status: {
    operationId: 'getFleetStatus',
    summary: 'The fleet status; optionally wait for a config version',
    description: 'With `waitForVersion`, answers once every connected runtime runs at least that version, or 504 with the laggards after `timeoutMs`.',
    tags: ['fleet'],
    parameters: [
      { name: 'waitForVersion', in: 'query', description: 'Wait until every connected runtime runs this config version.', schema: z.int().min(0) },
      { name: 'timeoutMs', in: 'query', description: `How long to wait (with waitForVersion; default ${WAIT_DEFAULT_MS}, at most ${WAIT_MAX_MS}).`, schema: z.int().min(0).max(WAIT_MAX_MS) },
    ],
    responses: {
      200: {
        description: 'The status (with `wait` when waitForVersion was given and reached).',
        headers: VERSION_DOC,
        schema: FleetStatusSchema.extend({ wait: z.object({ version: z.int(), reached: z.literal(true), waitedMs: z.int() }).optional() }),
      },
    },
    problems: {
      400: 'A bad query (GW_BAD_REQUEST).',
      504: 'Runtimes did not reach the version in time (GW_WAIT_TIMEOUT); extension members `laggards`, `config`, `runtimes`, `waitForVersion`, `timeoutMs`.',
    },
  },
} satisfies Record<string, OperationDoc>;

/**
 * `GET /v1/runtimes` and `GET /v1/status` (with `waitForVersion`): the fleet as PostgreSQL
 * holds it, so every replica answers the same.
 */
export function createFleetRouter(options: FleetRoutesOptions): Router {
  const { fleet } = options;
  const logger = options.logger ?? silentLogger;
  const defaultWaitMs = options.defaultWaitMs ?? WAIT_DEFAULT_MS;
  const maxWaitMs = options.maxWaitMs ?? WAIT_MAX_MS;
  const router = express.Router({ caseSensitive: true, strict: true });

  declareRoute(router, '/v1/runtimes', {
    get: [
      'viewer',
      DOCS.runtimes,
      async (req, res) => {
        const query = req.query as Query;
        const problems: FieldProblem[] = [];
        checkParams(query, ['zone'], problems);
        const zone = typeof query['zone'] === 'string' ? query['zone'] : undefined;
        if (zone !== undefined && (zone.length === 0 || zone.length > ZONE_MAX)) problems.push({ path: 'zone', message: `must be 1 to ${ZONE_MAX} characters` });
        if (problems.length > 0) return badQuery(req, res, problems);
        const report = await fleet.runtimes(zone === undefined ? {} : { zone });
        res.setHeader(CONFIG_VERSION_HEADER, String(report.config.version));
        noStore(res).json(report);
      },
    ],
  });

  declareRoute(router, '/v1/status', {
    get: [
      'viewer',
      DOCS.status,
      async (req, res) => {
        const query = req.query as Query;
        const problems: FieldProblem[] = [];
        checkParams(query, ['waitForVersion', 'timeoutMs'], problems);
        const version = intParam(query, 'waitForVersion', 0, Number.MAX_SAFE_INTEGER, problems);
        const timeoutMs = intParam(query, 'timeoutMs', 0, maxWaitMs, problems);
        if (typeof query['timeoutMs'] === 'string' && typeof query['waitForVersion'] !== 'string') {
          problems.push({ path: 'timeoutMs', message: 'only applies together with waitForVersion' });
        }
        if (problems.length > 0) return badQuery(req, res, problems);

        if (version === undefined) {
          const status = await fleet.status();
          res.setHeader(CONFIG_VERSION_HEADER, String(status.config.version));
          return void noStore(res).json(status);
        }

        const started = Date.now();
        const waitMs = timeoutMs ?? defaultWaitMs;
        // A caller that hangs up stops waiting: no loop keeps reading for nobody.
        const abort = new AbortController();
        res.once('close', () => abort.abort());
        const outcome = await fleet.waitForVersion(version, { timeoutMs: waitMs, signal: abort.signal });
        if (res.writableEnded || res.destroyed) return;
        if (outcome.reached) {
          res.setHeader(CONFIG_VERSION_HEADER, String(outcome.status.config.version));
          return void noStore(res).json({ ...outcome.status, wait: { version, reached: true, waitedMs: Date.now() - started } });
        }
        if (outcome.status === undefined) throw outcome.error; // the database was never reachable: 503 from the error handler
        const { status, laggards } = outcome;
        logger.info({ requestId: getRequestId(res), waitForVersion: version, timeoutMs: waitMs, laggards: laggards.length }, 'wait for version timed out');
        res.setHeader(CONFIG_VERSION_HEADER, String(status.config.version));
        sendProblem(req, res, {
          status: 504,
          code: ErrorCodes.GW_WAIT_TIMEOUT,
          detail:
            `${laggards.length} connected runtime(s) did not run version ${version} within ${waitMs} ms: ` +
            laggards
              .slice(0, 10)
              .map((l) => `${l.runtimeId} (zone ${l.zone}) at ${l.version}${l.lastNack ? `, last NACK ${l.lastNack.code} for ${l.lastNack.version}` : ''}`)
              .join('; ') +
            (laggards.length > 10 ? '; …' : '') +
            '.',
          extensions: { waitForVersion: version, timeoutMs: waitMs, laggards, config: status.config, runtimes: status.runtimes },
        });
      },
    ],
  });

  return router;
}
