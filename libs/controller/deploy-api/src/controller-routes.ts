import type { FieldProblem } from '@gw/api-schema';
import type { ControllersReport } from '@gw/fleet-status';
import express, { type Router } from 'express';
import { z } from 'zod';
import type { OperationDoc } from './operation-doc.js';
import { ConfigRefSchema } from './openapi-schemas.js';
import { badQuery, checkParams, type Query } from './query-params.js';
import { declareRoute } from './route-access.js';

export interface ControllerRoutesOptions {
  /** The replicas' heartbeat rows, judged live or stale (ControllerHeartbeat.report). */
  controllers: () => Promise<ControllersReport>;
}

const CONTROLLERS_DOC: OperationDoc = {
  operationId: 'listControllers',
  summary: 'List the controller replicas',
  description: 'Every replica’s heartbeat, judged live or stale, so a dead replica shows too.',
  tags: ['fleet'],
  responses: {
    200: {
      description: 'The replicas.',
      schema: z.object({
        controllers: z.array(
          z.object({
            controllerId: z.string(),
            zone: z.string(),
            state: z.enum(['live', 'stale']),
            stale: z.boolean(),
            self: z.boolean().describe('The replica that answered.'),
            startedAt: z.string(),
            lastSeenAt: z.string(),
            snapshot: ConfigRefSchema.nullable(),
            buildVersion: z.string(),
          }),
        ),
        checkedAt: z.string(),
      }),
    },
  },
  problems: { 400: 'Any query parameter (GW_BAD_REQUEST).' },
};

/** `GET /v1/controllers`: every controller replica's heartbeat, so a dead replica is visible too. */
export function createControllerRouter(options: ControllerRoutesOptions): Router {
  const router = express.Router({ caseSensitive: true, strict: true });
  declareRoute(router, '/v1/controllers', {
    get: [
      'viewer',
      CONTROLLERS_DOC,
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
