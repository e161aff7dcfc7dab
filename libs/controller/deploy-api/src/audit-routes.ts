import type { FieldProblem } from '@gw/api-schema';
import { isValidApiName } from '@gw/api-schema';
import type { AuditStore } from '@gw/store';
import express, { type Router } from 'express';
import { z } from 'zod';
import { parseIsoDateTime } from './iso-date-time.js';
import type { OperationDoc } from './operation-doc.js';
import { cursorParam, encodePageCursor, pageOf } from './page-cursor.js';
import { badQuery, checkParams, intParam, type Query } from './query-params.js';
import { declareRoute } from './route-access.js';

export interface AuditRoutesOptions {
  audit: AuditStore;
}

export const AUDIT_LIMIT_DEFAULT = 100;
export const AUDIT_LIMIT_MAX = 1000;
const ACTOR_MAX = 128;

const AUDIT_DOC: OperationDoc = {
  operationId: 'queryAudit',
  summary: 'Read the audit log',
  description: 'Newest first, paged: send `next` back as `cursor` with the same filters.',
  tags: ['audit'],
  parameters: [
    { name: 'api', in: 'query', description: 'Only entries about this API.', schema: z.string() },
    { name: 'actor', in: 'query', description: `Only entries by this actor (1 to ${ACTOR_MAX} characters).`, schema: z.string().min(1).max(ACTOR_MAX) },
    { name: 'since', in: 'query', description: 'Only entries at or after this ISO 8601 date-time (with an offset).', schema: z.string() },
    { name: 'limit', in: 'query', description: `At most this many (1 to ${AUDIT_LIMIT_MAX}, default ${AUDIT_LIMIT_DEFAULT}).`, schema: z.int().min(1).max(AUDIT_LIMIT_MAX) },
    { name: 'cursor', in: 'query', description: 'The `next` of the previous page.', schema: z.string() },
  ],
  responses: {
    200: {
      description: 'One page of entries.',
      schema: z.object({
        items: z.array(
          z.object({
            id: z.int(),
            at: z.string(),
            actor: z.string(),
            action: z.string(),
            apiName: z.string().nullable(),
            revision: z.int().nullable(),
            configVersion: z.int(),
            epoch: z.int().nullable(),
            tokenName: z.string().nullable(),
            requestId: z.string().nullable(),
          }),
        ),
        next: z.string().nullable(),
      }),
    },
  },
  problems: { 400: 'A bad query (GW_BAD_REQUEST).' },
};

/**
 * `GET /v1/audit?api=&actor=&since=&limit=&cursor=` (admin): newest first. `next` is the
 * cursor of the following page (send it with the same filters), null on the last one.
 */
export function createAuditRouter(options: AuditRoutesOptions): Router {
  const router = express.Router({ caseSensitive: true, strict: true });
  declareRoute(router, '/v1/audit', {
    get: [
      'admin',
      AUDIT_DOC,
      async (req, res) => {
        const query = req.query as Query;
        const problems: FieldProblem[] = [];
        checkParams(query, ['api', 'actor', 'since', 'limit', 'cursor'], problems);
        const limit = intParam(query, 'limit', 1, AUDIT_LIMIT_MAX, problems) ?? AUDIT_LIMIT_DEFAULT;
        const api = typeof query['api'] === 'string' ? query['api'] : undefined;
        if (api !== undefined && !isValidApiName(api)) problems.push({ path: 'api', message: 'must be a valid API name' });
        const actor = typeof query['actor'] === 'string' ? query['actor'] : undefined;
        if (actor !== undefined && (actor.length === 0 || actor.length > ACTOR_MAX)) problems.push({ path: 'actor', message: `must be 1 to ${ACTOR_MAX} characters` });
        let since: Date | undefined;
        if (typeof query['since'] === 'string') {
          since = parseIsoDateTime(query['since']);
          if (since === undefined) problems.push({ path: 'since', message: 'must be an ISO 8601 date-time with an offset, e.g. 2030-01-01T00:00:00Z' });
        }
        const beforeId = cursorParam(query, problems);
        if (problems.length > 0) return badQuery(req, res, problems);

        // One more than asked tells whether another page exists.
        const rows = await options.audit.queryAudit({
          limit: limit + 1,
          ...(api === undefined ? {} : { api }),
          ...(actor === undefined ? {} : { actor }),
          ...(since === undefined ? {} : { since }),
          ...(beforeId === undefined ? {} : { beforeId }),
        });
        res.setHeader('Cache-Control', 'no-store');
        res.json(pageOf(rows, limit, (row) => encodePageCursor(row.id)));
      },
    ],
  });
  return router;
}
