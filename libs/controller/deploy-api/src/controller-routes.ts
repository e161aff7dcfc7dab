import type { FieldProblem } from '@gw/api-schema';
import type { ControllersReport } from '@gw/fleet-status';
import express, { type Router } from 'express';
import { badQuery, checkParams, type Query } from './query-params.js';
import { declareRoute } from './route-access.js';

export interface ControllerRoutesOptions {
  /** The replicas' heartbeat rows, judged live or stale (ControllerHeartbeat.report). */
  controllers: () => Promise<ControllersReport>;
}

/** `GET /v1/controllers`: every controller replica's heartbeat, so a dead replica is visible too. */
export function createControllerRouter(options: ControllerRoutesOptions): Router {
  const router = express.Router({ caseSensitive: true, strict: true });
  declareRoute(router, '/v1/controllers', {
    get: [
      'viewer',
      async (req, res) => {
        const problems: FieldProblem[] = [];
        checkParams(req.query as Query, [], problems);
        if (problems.length > 0) return badQuery(req, res, problems);
        res.setHeader('Cache-Control', 'no-store').json(await options.controllers());
      },
    ],
  });
  return router;
}
