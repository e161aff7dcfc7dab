import { silentLogger, type Logger } from '@gw/logging';
import express, { type Response, type Router } from 'express';
import { z } from 'zod';
import type { OperationDoc } from './operation-doc.js';

import { getRequestId } from './request-id.js';
import { declareRoute } from './route-access.js';

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, unknown>;
}

export type ReadinessCheck = () => ReadinessReport | Promise<ReadinessReport>;

export interface HealthRoutesOptions {
  readiness: ReadinessCheck;
  /** A readiness check slower than this counts as not ready (default 3000 ms), so probes never hang. */
  readinessTimeoutMs?: number;
  logger?: Logger;
}

function noStore(res: Response): Response {
  return res.setHeader('Cache-Control', 'no-store');
}

const READY_SCHEMA = z.object({ status: z.enum(['ready', 'not_ready']), checks: z.record(z.string(), z.unknown()), error: z.string().optional() });
const DOCS = {
  live: {
    operationId: 'getLiveness',
    summary: 'Liveness probe',
    description: 'The process answers; nothing else is checked.',
    tags: ['health'],
    responses: { 200: { description: 'Alive.', schema: z.object({ status: z.literal('ok') }) } },
  },
  ready: {
    operationId: 'getReadiness',
    summary: 'Readiness probe',
    description: 'Ready to serve: the database answers and a snapshot is compiled; each check is in `checks`.',
    tags: ['health'],
    responses: { 200: { description: 'Ready.', schema: READY_SCHEMA }, 503: { description: 'Not ready (or the check timed out).', schema: READY_SCHEMA } },
  },
} satisfies Record<string, OperationDoc>;

/** `/health/live` and `/health/ready`: never authenticated, so orchestrators can always probe. */
export function createHealthRouter(options: HealthRoutesOptions): Router {
  const logger = options.logger ?? silentLogger;
  const timeoutMs = options.readinessTimeoutMs ?? 3000;
  const router = express.Router({ caseSensitive: true, strict: true });

  declareRoute(router, '/health/live', {
    get: [
      'public',
      DOCS.live,
      (_req, res) => {
        noStore(res).json({ status: 'ok' });
      },
    ],
  });

  declareRoute(router, '/health/ready', {
    get: [
      'public',
      DOCS.ready,
      async (_req, res) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`readiness check timed out after ${timeoutMs} ms`)), timeoutMs);
          });
          const report = await Promise.race([Promise.resolve().then(options.readiness), timeout]);
          noStore(res)
            .status(report.ready ? 200 : 503)
            .json({ status: report.ready ? 'ready' : 'not_ready', checks: report.checks });
        } catch (err) {
          logger.warn({ requestId: getRequestId(res), err }, 'readiness check failed');
          noStore(res).status(503).json({ status: 'not_ready', checks: {}, error: 'readiness check failed' });
        } finally {
          clearTimeout(timer);
        }
      },
    ],
  });

  return router;
}
