import { gatewayWording, problemsFromIssues, type FieldProblem } from '@gw/api-schema';
import { ErrorCodes } from '@gw/errors';
import { silentLogger, type Logger } from '@gw/logging';
import type { TokenRole, TokenStore } from '@gw/store';
import express, { type Request, type Router } from 'express';
import { z } from 'zod';
import { parseIsoDateTime } from './iso-date-time.js';
import { generateTokenSecret, hashTokenSecret, isTokenName, RESERVED_TOKEN_NAMES, TOKEN_NAME_PATTERN } from './admin-token.js';
import { auditContext } from './bearer-auth.js';
import { jsonBody } from './json-body.js';
import type { OperationDoc } from './operation-doc.js';
import { TokenRoleSchema } from './openapi-schemas.js';
import { sendProblem } from './problem-details.js';
import { getRequestId } from './request-id.js';
import { declareRoute } from './route-access.js';

export interface TokenRoutesOptions {
  tokens: Pick<TokenStore, 'createToken' | 'listTokens' | 'revokeToken'>;
  logger?: Logger;
}

/** A token request is tiny; anything bigger is not one. */
const TOKEN_BODY_MAX_BYTES = 4 * 1024;
export interface TokenRequest {
  name: string;
  role: TokenRole;
  expiresAt?: Date;
}

/**
 * The token request: the OpenAPI document shows it and validateTokenRequest validates with
 * it; `expiresAt` must also parse and lie in the future (checked by hand: it depends on now).
 */
const TokenRequestSchema = z.strictObject({
  name: z
    .string()
    .regex(TOKEN_NAME_PATTERN, { error: 'must be 1 to 63 lower-case letters, digits or inner hyphens' })
    .refine((name) => !RESERVED_TOKEN_NAMES.includes(name), { error: `is reserved (${RESERVED_TOKEN_NAMES.join(', ')} are actor names of the bootstrap token and of disabled auth)` })
    .describe(`The token's name (the audit actor); not ${RESERVED_TOKEN_NAMES.join(' or ')}.`),
  role: TokenRoleSchema,
  expiresAt: z.string().optional().describe('ISO 8601 date-time with an offset, in the future; absent: never expires.'),
});
/** Validates `{ name, role, expiresAt? }`, every problem at its field path. */
export function validateTokenRequest(body: unknown, now: number = Date.now()): { ok: true; value: TokenRequest } | { ok: false; problems: FieldProblem[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, problems: [{ path: '', message: 'must be a JSON object' }] };
  const parsed = TokenRequestSchema.safeParse(body, { error: gatewayWording, reportInput: true });
  const problems: FieldProblem[] = parsed.success ? [] : problemsFromIssues(parsed.error.issues);
  const expiresAt = (body as Record<string, unknown>)['expiresAt'];
  let expires: Date | undefined;
  if (typeof expiresAt === 'string') {
    expires = parseIsoDateTime(expiresAt);
    if (expires === undefined) problems.push({ path: 'expiresAt', message: 'must be an ISO 8601 date-time with an offset, e.g. 2030-01-01T00:00:00Z' });
    else if (expires.getTime() <= now) problems.push({ path: 'expiresAt', message: 'must be in the future' });
  }
  if (!parsed.success || problems.length > 0) return { ok: false, problems };
  const { name, role } = parsed.data;
  return { ok: true, value: { name, role, ...(expires === undefined ? {} : { expiresAt: expires }) } };
}

const TokenRecordSchema = z.object({
  name: z.string(),
  role: TokenRoleSchema,
  createdAt: z.string(),
  createdBy: z.string(),
  expiresAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});

const DOCS = {
  list: {
    operationId: 'listTokens',
    summary: 'List the named tokens',
    description: 'Names, roles and dates; never a secret.',
    tags: ['tokens'],
    responses: { 200: { description: 'The tokens.', schema: z.object({ items: z.array(TokenRecordSchema) }) } },
  },
  create: {
    operationId: 'createToken',
    summary: 'Create a named token',
    description: 'The answer holds the secret (`gwt_…`), the only time it is shown.',
    tags: ['tokens'],
    requestBody: { description: '`{"name": "ci", "role": "deployer", "expiresAt": "2030-01-01T00:00:00Z"}`', schema: TokenRequestSchema },
    responses: {
      201: {
        description: 'Created.',
        headers: { Location: '`/v1/tokens/{name}`' },
        schema: z.object({ name: z.string(), role: TokenRoleSchema, token: z.string().describe('The secret.'), createdAt: z.string(), expiresAt: z.string().nullable() }),
      },
    },
    problems: { 400: 'Field problems in `errors` (GW_BAD_REQUEST).', 409: 'A token of that name exists (GW_CONFLICT).' },
  },
  revoke: {
    operationId: 'revokeToken',
    summary: 'Revoke a named token',
    description: 'Every replica refuses it from the next request on.',
    tags: ['tokens'],
    parameters: [{ name: 'name', in: 'path', description: 'The token name.', schema: z.string() }],
    responses: { 204: { description: 'Revoked.' } },
    problems: { 404: 'No token of that name (GW_NOT_FOUND).' },
  },
} satisfies Record<string, OperationDoc>;

function paramName(req: Request): string {
  const name: unknown = req.params['name'];
  return typeof name === 'string' ? name : '';
}

/**
 * `POST /v1/tokens`, `GET /v1/tokens`, `DELETE /v1/tokens/{name}` (admin only). The
 * secret is in the create response and nowhere else: the database keeps its SHA-256.
 */
export function createTokenRouter(options: TokenRoutesOptions): Router {
  const { tokens } = options;
  const logger = options.logger ?? silentLogger;
  const router = express.Router({ caseSensitive: true, strict: true });

  declareRoute(router, '/v1/tokens', {
    get: [
      'admin',
      DOCS.list,
      async (_req, res) => {
        res.setHeader('Cache-Control', 'no-store');
        res.json({ items: await tokens.listTokens() });
      },
    ],
    post: [
      'admin',
      DOCS.create,
      jsonBody({ limit: TOKEN_BODY_MAX_BYTES }),
      async (req, res) => {
        const result = validateTokenRequest(req.body);
        if (!result.ok) {
          sendProblem(req, res, { status: 400, code: ErrorCodes.GW_BAD_REQUEST, detail: `The token request has ${result.problems.length} problem(s).`, errors: result.problems });
          return;
        }
        const secret = generateTokenSecret();
        const context = auditContext(res);
        const created = await tokens.createToken({ ...result.value, tokenHash: hashTokenSecret(secret) }, context);
        logger.info({ requestId: getRequestId(res), actor: context.actor, token: created.name, role: created.role, expiresAt: created.expiresAt }, 'admin token created');
        res.status(201);
        res.setHeader('Location', `/v1/tokens/${created.name}`);
        // The only time the secret is shown: no cache may keep it.
        res.setHeader('Cache-Control', 'no-store');
        res.json({ name: created.name, role: created.role, token: secret, createdAt: created.createdAt, expiresAt: created.expiresAt });
      },
    ],
  });

  declareRoute(router, '/v1/tokens/:name', {
    delete: [
      'admin',
      DOCS.revoke,
      async (req, res) => {
        const name = paramName(req);
        if (!isTokenName(name) || RESERVED_TOKEN_NAMES.includes(name)) {
          const bootstrap = RESERVED_TOKEN_NAMES.includes(name) ? ' The bootstrap token is ADMIN_TOKEN: change it in the environment.' : '';
          sendProblem(req, res, { status: 404, code: ErrorCodes.GW_NOT_FOUND, detail: `No token named ${JSON.stringify(name)}.${bootstrap}` });
          return;
        }
        const context = auditContext(res);
        await tokens.revokeToken(name, context);
        logger.info({ requestId: getRequestId(res), actor: context.actor, token: name }, 'admin token revoked');
        res.status(204).end();
      },
    ],
  });

  return router;
}
