import type { FieldProblem } from '@gw/api-schema';
import { ErrorCodes } from '@gw/errors';
import type { FleetStatusService } from '@gw/fleet-status';
import { silentLogger, type Logger } from '@gw/logging';
import express, { type Request, type Response, type Router } from 'express';
import { CONFIG_VERSION_HEADER } from './api-routes.js';
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
