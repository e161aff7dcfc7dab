import { request, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Authenticator, corsDecision, setConsumerHeader, type ResolvedCorsPolicy } from '@gw/auth';
import { bodyDigest, IdempotencyGuard, RedisIdempotencyStore, type IdempotencyTicket } from '@gw/idempotency';
import { RateLimiter, rateLimitKey, rateLimitOutcome } from '@gw/rate-limit';
import type { SharedRedis } from '@gw/shared-state';
import { policiesOf } from '@gw/api-schema/testing';
import { closeServer } from '@gw/test-kit';

/** One API of the test gateway: a base path, an upstream, and the policies under test. */
export interface PolicyApi {
  name: string;
  basePath: string;
  upstream: string;
  cors?: ResolvedCorsPolicy;
  auth?: Authenticator;
  rateLimit?: RateLimiter;
  idempotency?: IdempotencyGuard;
}

export interface PolicyGateway {
  url: string;
  close(): Promise<void>;
}

/**
 * A tiny gateway that runs the policy libraries in the order the runtime will:
 * CORS preflight → authentication → consumer header → rate limit → idempotency →
 * forward. It stands in for one runtime; two of them on one Redis are two runtimes.
 */
export async function startPolicyGateway(apis: PolicyApi[]): Promise<PolicyGateway> {
  const server: Server = createServer((req, res) => {
    handle(apis, req, res).catch((err: unknown) => send(res, 500, { code: 'GW_INTERNAL', message: (err as Error).message }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => closeServer(server),
  };
}

/** An idempotency guard on the shared Redis, as every runtime builds it from the policy the schema normalizes. */
export function redisGuard(redis: SharedRedis, policy: { required?: boolean } = {}): IdempotencyGuard {
  return new IdempotencyGuard(policiesOf({ idempotency: policy }).idempotency!, { store: new RedisIdempotencyStore(redis) });
}

async function handle(apis: PolicyApi[], req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const api = apis.find((a) => url === a.basePath || url.startsWith(`${a.basePath}/`) || url.startsWith(`${a.basePath}?`));
  if (!api) return send(res, 404, { code: 'GW_NO_ROUTE', message: 'no API' });
  const responseHeaders: Record<string, string | string[]> = {};

  if (api.cors) {
    const d = corsDecision(api.cors, req.method ?? 'GET', req.headers);
    if (d.kind === 'preflight-allowed') return send(res, 204, undefined, d.headers);
    if (d.kind === 'preflight-rejected') return send(res, 403, { code: 'GW_CORS_REJECTED', message: d.reason }, d.headers);
    if (d.kind === 'actual') Object.assign(responseHeaders, d.headers);
  }

  const headers: Record<string, string | string[] | undefined> = { ...req.headers };
  let target = url;
  let consumer: string | undefined;
  if (api.auth) {
    const r = await api.auth.authenticate({ url, headers });
    if (!r.ok) return send(res, r.status, { code: r.code, message: r.message }, { ...responseHeaders, ...r.headers });
    for (const h of r.removeHeaders) delete headers[h];
    target = r.url;
    consumer = r.consumer;
  }
  setConsumerHeader(headers, 'x-consumer-id', consumer);

  const clientIp = req.socket.remoteAddress ?? '';
  if (api.rateLimit) {
    const decision = await api.rateLimit.decide(rateLimitKey(api.rateLimit.policy.key, { clientIp, headers, consumer }));
    const outcome = rateLimitOutcome([{ policy: api.rateLimit.policy, decision }]);
    Object.assign(responseHeaders, outcome.headers);
    if (outcome.reject) return send(res, outcome.reject.status, { code: outcome.reject.code, message: outcome.reject.message }, responseHeaders);
  }

  const body = await readBody(req);
  let ticket: IdempotencyTicket | undefined;
  if (api.idempotency?.covers(req.method ?? 'GET', req.headers)) {
    const b = await api.idempotency.begin({ api: api.name, method: req.method ?? 'GET', path: target, headers: req.headers, consumer, clientIp, bodySha256: bodyDigest(body) });
    if (b.kind === 'reject') return send(res, b.error.status, { code: b.error.code, message: b.error.message }, { ...responseHeaders, ...b.error.headers });
    if (b.kind === 'replay') {
      res.writeHead(b.response.status, [...Object.entries(responseHeaders).flatMap(([n, v]) => (Array.isArray(v) ? v.map((x) => [n, x]) : [[n, v]])), ...b.response.headers, ['content-length', String(b.response.body.length)]].flat());
      res.end(b.response.body);
      return;
    }
    if (b.kind === 'proceed') ticket = b.ticket;
  }

  const upstreamPath = target.slice(api.basePath.length) || '/';
  delete headers['host'];
  delete headers['connection'];
  let upstream: { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };
  try {
    upstream = await forward(`${api.upstream}${upstreamPath.startsWith('/') ? '' : '/'}${upstreamPath}`, req.method ?? 'GET', headers, body);
  } catch {
    // Nothing reached the upstream: release the key so a retry can run.
    await ticket?.abort();
    return send(res, 502, { code: 'GW_UPSTREAM_UNREACHABLE', message: 'upstream unreachable' }, responseHeaders);
  }
  const out = { ...upstream.headers, ...responseHeaders };
  delete out['content-length'];
  delete out['connection'];
  delete out['transfer-encoding'];
  await ticket?.complete({ status: upstream.status, headers: upstream.headers, body: upstream.body });
  res.writeHead(upstream.status, { ...out, 'content-length': upstream.body.length } as Record<string, string | string[] | number>);
  res.end(upstream.body);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function forward(url: string, method: string, headers: Record<string, string | string[] | undefined>, body: Buffer) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    const clean = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<string, string | string[]>;
    const req = request(url, { method, headers: { ...clean, 'content-length': String(body.length), connection: 'close' }, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('upstream timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

function send(res: ServerResponse, status: number, body: Record<string, unknown> | undefined, headers: Record<string, string | string[]> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }), 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
