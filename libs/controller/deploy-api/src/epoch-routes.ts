import { ErrorCodes } from '@gw/errors';
import type { FleetStatusService } from '@gw/fleet-status';
import { silentLogger, type Logger } from '@gw/logging';
import express, { type Router } from 'express';
import { z } from 'zod';
import { CONFIG_VERSION_HEADER, parseIfMatch } from './api-routes.js';
import { auditContext } from './bearer-auth.js';
import type { OperationDoc } from './operation-doc.js';
import { sendProblem } from './problem-details.js';
import { getRequestId } from './request-id.js';
import { declareRoute } from './route-access.js';

export type EpochBumper = Pick<FleetStatusService, 'bumpEpoch'>;

export interface EpochRoutesOptions {
  fleet: EpochBumper;
  logger?: Logger;
}

export const EPOCH_HEADER = 'X-Config-Epoch';

const EPOCH_DOC: OperationDoc = {
  operationId: 'bumpConfigEpoch',
  summary: 'Bump the config epoch (deliberate restore or rollback of the fleet)',
  description: 'Runtimes then accept the database’s content even where it is older than what they run. No body.',
  tags: ['fleet'],
  parameters: [{ name: 'If-Match', in: 'header', description: 'Only if the epoch is still this one (`"3"`).', schema: z.string() }],
  responses: {
    200: {
      description: 'Bumped.',
      headers: { 'X-Config-Version': 'The new config version.', 'X-Config-Epoch': 'The new epoch.', ETag: 'The new epoch, `"4"`.' },
      schema: z.object({ epoch: z.int(), configVersion: z.int() }),
    },
  },
  problems: { 412: 'If-Match is not the current epoch (GW_PRECONDITION_FAILED).' },
};

/**
 * `POST /v1/config/epoch`: a deliberate restore or rollback of the fleet. Bumps the epoch
 * and the config version in one audited transaction; runtimes then accept the database's
 * content even where it is older than what they run (promise 10). No body. `If-Match:
 * "<epoch>"` bumps only if the epoch is still that one (412 otherwise), so two operators
 * restoring at once do not both bump.
 */
export function createEpochRouter(options: EpochRoutesOptions): Router {
  const logger = options.logger ?? silentLogger;
  const router = express.Router({ caseSensitive: true, strict: true });
  declareRoute(router, '/v1/config/epoch', {
    post: [
      'admin',
      EPOCH_DOC,
      async (req, res) => {
        const ifMatch = parseIfMatch(req.headers['if-match']);
        if (ifMatch.kind === 'unmatchable') {
          sendProblem(req, res, { status: 412, code: ErrorCodes.GW_PRECONDITION_FAILED, detail: 'If-Match must name the current epoch, e.g. "3".' });
          return;
        }
        const context = auditContext(res);
        const result = await options.fleet.bumpEpoch(context, ifMatch.kind === 'revision' ? ifMatch.revision : undefined);
        logger.warn({ requestId: getRequestId(res), actor: context.actor, epoch: result.epoch, configVersion: result.configVersion }, 'config epoch bumped: runtimes will accept the database content even if older');
        res.setHeader(CONFIG_VERSION_HEADER, String(result.configVersion));
        res.setHeader(EPOCH_HEADER, String(result.epoch));
        res.setHeader('ETag', `"${result.epoch}"`);
        res.setHeader('Cache-Control', 'no-store');
        res.json(result);
      },
    ],
  });
  return router;
}
