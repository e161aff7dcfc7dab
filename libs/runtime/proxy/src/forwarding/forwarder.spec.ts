// The forwarding flow's resilience over real sockets on 127.0.0.1: retries, the request
// body rule, timeouts, the circuit breaker, the retry budget, outlier ejection and
// balancing, each against small upstream servers that record what reaches them. Every
// wait is on a condition with a bounded timeout.
import { once } from 'node:events';
import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { UpstreamDefinition } from '@gw/api-schema';
import { plainApi, plainUpstream, type TestTarget } from '@gw/api-schema/testing';
import { stateWith, testServices } from '@gw/runtime-config/testing';
import { systemClock, type HealthTransition, type Upstream as UpstreamHandle } from '@gw/upstreams';
import type { Logger } from '@gw/logging';
import { recordingLogger } from '@gw/logging/testing';
import { closeServer, freePort, listenLocal, waitFor } from '@gw/test-kit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProxyHandler } from '../proxy-handler.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  while (cleanups.length > 0) await cleanups.pop()!();
});

const listen = listenLocal;



interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Upstream {
  url: string;
  requests: Recorded[];
  /** Requests being handled now, and the most at once. */
  inFlight: number;
  maxInFlight: number;
  server: Server;
}

type Responder = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** Reads the whole body, records the request, then answers `{upstream: name}` unless `respond` says otherwise. */
async function startUpstream(name: string, respond?: Responder): Promise<Upstream> {
  const up = { url: '', requests: [], inFlight: 0, maxInFlight: 0 } as unknown as Upstream;
  up.server = createServer((req, res) => {
    up.inFlight++;
    up.maxInFlight = Math.max(up.maxInFlight, up.inFlight);
    res.on('close', () => up.inFlight--);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      up.requests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (respond) return respond(req, res, body);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ upstream: name }));
    });
  });
  up.url = `http://127.0.0.1:${await listen(up.server)}`;
  cleanups.push(() => closeServer(up.server));
  return up;
}


interface Gateway {
  port: number;
  /** The API's upstream handle in the config in use. */
  upstreams: { get(name: string): UpstreamHandle | undefined };
  transitions: HealthTransition[];
  events: string[];
  /** Writes the aggregated failure lines now. */
  flush(): void;
}

async function startGateway(upstream: UpstreamDefinition, options: { zone?: string; logger?: Logger } = {}): Promise<Gateway> {
  const transitions: HealthTransition[] = [];
  const events: string[] = [];
  const services = testServices({ upstreams: { localZone: options.zone, clock: systemClock, random: Math.random, onTransition: (t) => transitions.push(t) } });
  const state = stateWith([plainApi('api', '/api', [], { upstream })], services);
  const upstreams = { get: (name: string) => state.getConfig()?.apis.get(name)?.upstream };
  const handler = createProxyHandler({
    getConfig: state.getConfig,
    logger: options.logger,
    events: {
      retry: (api, reason) => events.push(`retry:${reason}`),
      retryBudgetExhausted: () => events.push('budget-exhausted'),
      circuitRejected: (api, reason) => events.push(`rejected:${reason}`),
      streamIdle: () => events.push('stream-idle'),
    },
  });
  const server = createServer((req, res) => handler.handle(req, res));
  const port = await listen(server);
  cleanups.push(async () => {
    await closeServer(server);
    handler.close();
  });
  return { port, upstreams, transitions, events, flush: () => handler.flushLogs() };
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  ms: number;
}

async function send(port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  const started = performance.now();
  const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false });
  req.end(options.body);
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return { status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString(), ms: performance.now() - started };
}

const RETRIES: UpstreamDefinition['retries'] = {
  attempts: 2,
  on: ['502', '503', '504', 'connect-failure', 'reset'],
  backoffBaseMs: 1,
  backoffMaxMs: 5,
  budgetPercent: 20,
  minRetryConcurrency: 100,
};

function upstreamOf(targets: TestTarget[], overrides: Partial<UpstreamDefinition> = {}): UpstreamDefinition {
  return plainUpstream(targets, { retries: RETRIES, ...overrides });
}

/** The test upstream's timeouts with some changed. */
function timeoutsOf(over: Partial<UpstreamDefinition['timeouts']>): UpstreamDefinition['timeouts'] {
  return { ...plainUpstream([]).timeouts, ...over };
}

const json = (r: Reply) => JSON.parse(r.body) as Record<string, unknown>;

describe('forwarding: retries', () => {
  it('retries a GET refused by a dead target on another target; the client sees 200', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const live = await startUpstream('live');
    const gw = await startGateway(upstreamOf([dead, live.url]));
    for (let i = 0; i < 6; i++) {
      const r = await send(gw.port, `/api/x${i}`);
      expect(r.status).toBe(200);
      expect(json(r)).toEqual({ upstream: 'live' });
    }
    expect(live.requests.map((r) => r.url)).toEqual(['/x0', '/x1', '/x2', '/x3', '/x4', '/x5']);
    expect(gw.events.filter((e) => e === 'retry:connect-failure').length).toBeGreaterThanOrEqual(3);
  });

  it('retries a GET answered 503 on another target and never shows the 503', async () => {
    const sick = await startUpstream('sick', (_req, res) => res.writeHead(503, { 'x-sick': '1' }).end('busy'));
    const live = await startUpstream('live');
    const gw = await startGateway(upstreamOf([sick.url, live.url]));
    for (let i = 0; i < 4; i++) {
      const r = await send(gw.port, '/api/a');
      expect(r.status).toBe(200);
      expect(r.headers['x-sick']).toBeUndefined();
    }
    expect(sick.requests.length).toBe(2);
    expect(live.requests.length).toBe(4);
  });

  it('passes the last 5xx through when every try fails, after attempts + 1 tries', async () => {
    const a = await startUpstream('a', (_req, res) => res.writeHead(503).end('a busy'));
    const b = await startUpstream('b', (_req, res) => res.writeHead(503).end('b busy'));
    const gw = await startGateway(upstreamOf([a.url, b.url]));
    const r = await send(gw.port, '/api/x');
    expect(r.status).toBe(503);
    expect(r.body).toMatch(/busy/);
    // Three tries over two targets: each target once before any repeats.
    expect(a.requests.length + b.requests.length).toBe(3);
    expect(Math.min(a.requests.length, b.requests.length)).toBe(1);
  });

  it('waits a full-jitter backoff before each retry: under backoffBaseMs doubling, capped at backoffMaxMs', async () => {
    // The top of every window: the delays are then exactly the ceilings less 1 ms.
    vi.spyOn(Math, 'random').mockReturnValue(0.999_999);
    const retries: Record<string, unknown>[] = [];
    const logger: Logger = {
      debug: (fields, msg) => void (msg === 'retrying upstream request' && retries.push(fields)),
      info() {},
      warn() {},
      error() {},
      child: () => logger,
    };
    const sick = await startUpstream('sick', (_req, res) => res.writeHead(503).end('busy'));
    const gw = await startGateway(upstreamOf([sick.url], { retries: { ...RETRIES, attempts: 3, backoffBaseMs: 40, backoffMaxMs: 60 } }), { logger });
    const r = await send(gw.port, '/api/x');
    expect(r.status).toBe(503);
    expect(sick.requests.length).toBe(4);
    expect(retries.map((f) => [f['tries'], f['backoffMs']])).toEqual([
      [1, 39],
      [2, 59],
      [3, 59],
    ]);
    // The timers really ran: three backoffs of 39 + 59 + 59 ms (less a little timer slack).
    expect(r.ms).toBeGreaterThanOrEqual(150);
  });

  it('never repeats a POST without an Idempotency-Key: the upstream sees exactly one', async () => {
    const sick = await startUpstream('sick', (_req, res) => res.writeHead(503).end('busy'));
    const other = await startUpstream('other', (_req, res) => res.writeHead(503).end('busy'));
    const gw = await startGateway(upstreamOf([sick.url, other.url]));
    const r = await send(gw.port, '/api/orders', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"n":1}' });
    expect(r.status).toBe(503);
    expect(sick.requests.length + other.requests.length).toBe(1);
    // Not even after a refused connection, which provably sent nothing.
    const otherBefore = other.requests.length;
    const dead = `http://127.0.0.1:${await freePort()}`;
    const gw2 = await startGateway(upstreamOf([dead, other.url], { loadBalancing: { algorithm: 'round-robin', hashOn: null, zoneAware: false, minZoneHealthyPercent: 0 } }));
    const r2 = await send(gw2.port, '/api/orders', { method: 'POST', body: '{"n":2}' });
    expect(r2.status).toBe(502);
    expect(json(r2)).toMatchObject({ code: 'GW_UPSTREAM_UNREACHABLE' });
    expect(other.requests.length).toBe(otherBefore);
  });

  it('retries a POST with an Idempotency-Key and a body after a refused connection, body intact', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const live = await startUpstream('live');
    const gw = await startGateway(upstreamOf([dead, live.url]));
    const body = JSON.stringify({ item: 'x'.repeat(100_000) });
    for (let i = 0; i < 3; i++) {
      const r = await send(gw.port, '/api/orders', { method: 'POST', headers: { 'idempotency-key': `k-${i}`, 'content-type': 'application/json' }, body });
      expect(r.status).toBe(200);
    }
    expect(live.requests.map((r) => r.body === body && r.headers['idempotency-key'])).toEqual(['k-0', 'k-1', 'k-2']);
    expect(gw.events).toContain('retry:connect-failure');
  });

  it('does not retry a request whose body reached an upstream, even with an Idempotency-Key, streamed or buffered', async () => {
    const sick = await startUpstream('sick', (_req, res) => res.writeHead(503).end('busy'));
    const live = await startUpstream('live');
    const gw = await startGateway(upstreamOf([sick.url, live.url]));
    const replies: number[] = [];
    for (let i = 0; i < 4; i++) {
      replies.push((await send(gw.port, '/api/orders', { method: 'PUT', headers: { 'idempotency-key': `k-${i}` }, body: `{"i":${i}}` })).status);
    }
    // Round robin alternates: the two that met the sick target get its 503, unretried.
    expect(replies.sort()).toEqual([200, 200, 503, 503]);
    expect(sick.requests.length).toBe(2);
    expect(live.requests.length).toBe(2);
  });

  it('does not retry conditions retries.on leaves out, nor at all with attempts 0', async () => {
    const sick = await startUpstream('sick', (_req, res) => res.writeHead(500).end('oops'));
    const live = await startUpstream('live');
    const gw = await startGateway(upstreamOf([sick.url, live.url]));
    const statuses = [(await send(gw.port, '/api/1')).status, (await send(gw.port, '/api/2')).status];
    expect(statuses.sort()).toEqual([200, 500]);
    const dead = `http://127.0.0.1:${await freePort()}`;
    const gw2 = await startGateway(upstreamOf([dead, live.url], { retries: { ...RETRIES, attempts: 0 } }));
    const statuses2 = [(await send(gw2.port, '/api/1')).status, (await send(gw2.port, '/api/2')).status];
    expect(statuses2.sort()).toEqual([200, 502]);
  });

  it('never retries once the response has started: a body cut mid-way cuts the client', async () => {
    const cut = await startUpstream('cut', (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const gw = await startGateway(upstreamOf([cut.url]));
    const req = request({ host: '127.0.0.1', port: gw.port, path: '/api/x', agent: false });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    expect(res.statusCode).toBe(200);
    const failed = await new Promise<boolean>((resolve) => {
      res.on('error', () => resolve(true));
      res.on('aborted', () => resolve(true));
      res.on('end', () => resolve(false));
      res.resume();
    });
    expect(failed).toBe(true);
    expect(cut.requests.length).toBe(1);
  });
});

describe('forwarding: timeouts', () => {
  it('answers 504 after requestMs per try and tries attempts + 1 times when timeouts are retried', async () => {
    const slow = await startUpstream('slow', () => undefined);
    const gw = await startGateway(
      upstreamOf([slow.url], { timeouts: timeoutsOf({ connectMs: 1_000, requestMs: 150, totalMs: 5_000 }), retries: { ...RETRIES, on: ['timeout'] } }),
    );
    const r = await send(gw.port, '/api/x');
    expect(r.status).toBe(504);
    expect(json(r)).toMatchObject({ code: 'GW_UPSTREAM_TIMEOUT' });
    await waitFor('three tries', () => slow.requests.length === 3);
    expect(r.ms).toBeGreaterThanOrEqual(3 * 150 - 20);
    expect(gw.events.filter((e) => e === 'retry:timeout')).toHaveLength(2);
  });

  it('stops at totalMs, whatever attempts allows', async () => {
    const slow = await startUpstream('slow', () => undefined);
    const gw = await startGateway(
      upstreamOf([slow.url], { timeouts: timeoutsOf({ connectMs: 1_000, requestMs: 200, totalMs: 300 }), retries: { ...RETRIES, attempts: 5, on: ['timeout'] } }),
    );
    const r = await send(gw.port, '/api/x');
    expect(r.status).toBe(504);
    // The second try gets only what is left of the total: two tries, never six.
    expect(slow.requests.length).toBeLessThanOrEqual(2);
    expect(r.ms).toBeLessThan(1_500);
    expect(r.ms).toBeGreaterThanOrEqual(290);
  });

  it('does not retry a timeout unless retries.on names it', async () => {
    const slow = await startUpstream('slow', () => undefined);
    const gw = await startGateway(upstreamOf([slow.url], { timeouts: timeoutsOf({ connectMs: 1_000, requestMs: 100, totalMs: 5_000 }) }));
    expect((await send(gw.port, '/api/x')).status).toBe(504);
    expect(slow.requests.length).toBe(1);
  });
});

describe('forwarding: a silent upstream (timeouts.streamIdleMs)', () => {
  /** Answers 200 and then one `data:` event every `everyMs`, `count` times. */
  function sse(everyMs: number, count: number): Responder {
    return (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let sent = 0;
      const timer = setInterval(() => {
        res.write(`data: ${++sent}\n\n`);
        if (sent === count) {
          clearInterval(timer);
          res.end();
        }
      }, everyMs);
      res.on('close', () => clearInterval(timer));
    };
  }

  it('never cuts a stream that sends within streamIdleMs, however long it lasts', async () => {
    const up = await startUpstream('sse', sse(60, 12));
    const gw = await startGateway(upstreamOf([up.url], { timeouts: timeoutsOf({ requestMs: 5_000, streamIdleMs: 300 }) }));
    const r = await send(gw.port, '/api/events');
    expect(r.status).toBe(200);
    expect(r.body.match(/^data: /gm)).toHaveLength(12);
    // 12 events 60 ms apart: longer than streamIdleMs in total, never silent that long.
    expect(r.ms).toBeGreaterThan(300);
    expect(gw.events).not.toContain('stream-idle');
  });

  it('cuts the client connection when the body goes silent after the headers, logs it and counts it', async () => {
    const up = await startUpstream('stalls', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
      // …and nothing more, without closing.
    });
    const logger = recordingLogger();
    const outlierDetection = { consecutiveFailures: 5, baseEjectionMs: 30_000, maxEjectionMs: 300_000, maxEjectionPercent: 50 };
    const gw = await startGateway(upstreamOf([up.url], { timeouts: timeoutsOf({ requestMs: 5_000, streamIdleMs: 200 }), outlierDetection }), { logger });
    const started = performance.now();
    const req = request({ host: '127.0.0.1', port: gw.port, path: '/api/events', agent: false });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    expect(res.statusCode).toBe(200);
    let received = '';
    const cut = await new Promise<boolean>((resolve) => {
      res.on('data', (c: Buffer) => (received += c.toString()));
      res.on('aborted', () => resolve(true));
      res.on('error', () => resolve(true));
      res.on('end', () => resolve(false));
    });
    expect(cut).toBe(true);
    expect(received).toBe('data: 1\n\n');
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(gw.events).toContain('stream-idle');
    gw.flush();
    expect(logger.records.find((l) => l.msg === 'upstream failures: stream-idle')).toMatchObject({ level: 'warn', fields: { api: 'api', reason: 'stream-idle', count: 1 } });
    // The upstream's side is closed too: nothing is left holding its connection.
    await waitFor('the upstream connection closed', () => up.inFlight === 0);
    // A stuck response counts against the target, like one cut mid-way.
    expect(gw.upstreams.get('api')!.health.targets[0]!.failures).toBe(1);
  });

  it('with requestMs shorter (the defaults’ shape), the per-try timeout ends at the headers and the silence is measured from the last chunk', async () => {
    // The try's timer (requestMs: 100) fires while the body streams; it must only watch for silence.
    const flowing = await startUpstream('sse', sse(50, 8));
    let stalledAt = 0;
    const stalls = await startUpstream('stalls', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
      setTimeout(() => {
        res.write('data: 2\n\n');
        stalledAt = performance.now();
      }, 150);
    });
    const timeouts = timeoutsOf({ requestMs: 100, streamIdleMs: 250 });
    const gw = await startGateway(upstreamOf([flowing.url], { timeouts }));
    const r = await send(gw.port, '/api/events');
    expect(r.status).toBe(200);
    expect(r.body.match(/^data: /gm)).toHaveLength(8);
    expect(r.ms).toBeGreaterThan(250);
    expect(gw.events).not.toContain('stream-idle');

    const gw2 = await startGateway(upstreamOf([stalls.url], { timeouts }));
    const req = request({ host: '127.0.0.1', port: gw2.port, path: '/api/events', agent: false });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    let received = '';
    await new Promise<void>((resolve) => {
      res.on('data', (c: Buffer) => (received += c.toString()));
      res.on('aborted', () => resolve());
      res.on('error', () => resolve());
      res.on('end', () => resolve());
    });
    expect(received).toBe('data: 1\n\ndata: 2\n\n');
    // Cut a full streamIdleMs after the second chunk, not at requestMs nor streamIdleMs after the head.
    expect(stalledAt).toBeGreaterThan(0);
    expect(performance.now() - stalledAt).toBeGreaterThanOrEqual(240);
    expect(gw2.events).toContain('stream-idle');
  });

  it('before the headers, a silence of streamIdleMs is the per-try timeout: 504, retried when retries.on names timeout', async () => {
    const silent = await startUpstream('silent', () => undefined);
    const gw = await startGateway(
      upstreamOf([silent.url], { timeouts: timeoutsOf({ requestMs: 5_000, streamIdleMs: 150, totalMs: 5_000 }), retries: { ...RETRIES, on: ['timeout'] } }),
    );
    const r = await send(gw.port, '/api/x');
    expect(r.status).toBe(504);
    expect(json(r)).toMatchObject({ code: 'GW_UPSTREAM_TIMEOUT' });
    await waitFor('three tries', () => silent.requests.length === 3);
    // Three tries of 150 ms, far below the 5 s requestMs.
    expect(r.ms).toBeGreaterThanOrEqual(3 * 150 - 20);
    expect(r.ms).toBeLessThan(2_500);
    expect(gw.events.filter((e) => e === 'retry:timeout')).toHaveLength(2);
    expect(gw.events).not.toContain('stream-idle');
  });

  it('does not count a slow client as a silent upstream: backpressure holds the watch', async () => {
    const big = Buffer.alloc(512 * 1024, 'x');
    const up = await startUpstream('big', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(big.length * 8) });
      let i = 0;
      const more = (): void => {
        while (i < 8) {
          i++;
          if (!res.write(big)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    });
    const gw = await startGateway(upstreamOf([up.url], { timeouts: timeoutsOf({ requestMs: 5_000, streamIdleMs: 150 }) }));
    const req = request({ host: '127.0.0.1', port: gw.port, path: '/api/big', agent: false });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    // The client reads nothing for 3 × streamIdleMs: the gateway pauses the upstream, which is not its silence.
    res.pause();
    await new Promise((resolve) => setTimeout(resolve, 450));
    let bytes = 0;
    const complete = await new Promise<boolean>((resolve) => {
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve(true));
      res.on('aborted', () => resolve(false));
      res.on('error', () => resolve(false));
      res.resume();
    });
    expect(complete).toBe(true);
    expect(bytes).toBe(big.length * 8);
    expect(gw.events).not.toContain('stream-idle');
  });
});

describe('forwarding: circuit breaker', () => {
  const BREAKER: UpstreamDefinition['circuitBreaker'] = {
    maxConcurrent: 2,
    maxPending: 0,
    failureRatePercent: 50,
    windowMs: 10_000,
    minRequests: 1_000,
    openMs: 60_000,
    halfOpenRequests: 1,
  };

  it('caps the concurrency the upstream sees and refuses the rest at once with 503 GW_CIRCUIT_OPEN', async () => {
    const held: ServerResponse[] = [];
    const up = await startUpstream('up', (_req, res) => held.push(res));
    const gw = await startGateway(upstreamOf([up.url], { circuitBreaker: BREAKER }));
    const replies = Array.from({ length: 6 }, (_, i) => send(gw.port, `/api/${i}`));
    await waitFor('two requests at the upstream', () => held.length === 2);
    const refused: Reply[] = [];
    for (const r of replies) void r.then((x) => x.status === 503 && refused.push(x));
    await waitFor('four refusals', () => refused.length === 4);
    for (const r of refused) {
      expect(json(r)).toMatchObject({ code: 'GW_CIRCUIT_OPEN', message: 'the upstream is at its concurrency limit' });
    }
    expect(up.maxInFlight).toBe(2);
    for (const res of held) res.writeHead(200).end('ok');
    expect((await Promise.all(replies)).filter((r) => r.status === 200)).toHaveLength(2);
    // Slots come back when responses end.
    const next = send(gw.port, '/api/again');
    await waitFor('next at upstream', () => held.length === 3);
    held[2]!.writeHead(200).end('ok');
    expect((await next).status).toBe(200);
    expect(gw.events.filter((e) => e === 'rejected:full')).toHaveLength(4);
  });

  it('gives the slot back at the end of each response on a keep-alive client connection', async () => {
    const up = await startUpstream('up');
    const gw = await startGateway(upstreamOf([up.url], { circuitBreaker: { ...BREAKER, maxConcurrent: 1 } }));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    let sockets = 0;
    for (let i = 0; i < 5; i++) {
      const req = request({ host: '127.0.0.1', port: gw.port, path: `/api/${i}`, agent });
      req.on('socket', (s) => {
        if (!(s as { counted?: boolean }).counted) sockets++;
        (s as { counted?: boolean }).counted = true;
      });
      req.end();
      const [res] = (await once(req, 'response')) as [IncomingMessage];
      res.resume();
      await once(res, 'end');
      expect(res.statusCode).toBe(200);
    }
    expect(sockets).toBe(1);
    await waitFor('the last slot back', () => gw.upstreams.get('api')!.breaker!.active === 0);
  });

  it('lets maxPending requests wait for a slot, in order', async () => {
    const held: ServerResponse[] = [];
    const up = await startUpstream('up', (_req, res) => held.push(res));
    const gw = await startGateway(upstreamOf([up.url], { circuitBreaker: { ...BREAKER, maxConcurrent: 1, maxPending: 1 } }));
    const first = send(gw.port, '/api/1');
    await waitFor('first at upstream', () => held.length === 1);
    const second = send(gw.port, '/api/2');
    await waitFor('second queued', () => gw.upstreams.get('api')!.breaker!.pending === 1);
    const third = await send(gw.port, '/api/3');
    expect(third.status).toBe(503);
    held[0]!.writeHead(200).end('one');
    await waitFor('second at upstream', () => held.length === 2);
    expect(up.maxInFlight).toBe(1);
    held[1]!.writeHead(200).end('two');
    expect([(await first).body, (await second).body]).toEqual(['one', 'two']);
    expect(up.requests.map((r) => r.url)).toEqual(['/1', '/2']);
  });

  it('a request that waits past totalMs gets 503 and never reaches the upstream', async () => {
    // The first response streams (headers sent, body open): it holds the only slot past everyone's total timeout.
    const open: ServerResponse[] = [];
    const up = await startUpstream('up', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('streaming');
      open.push(res);
    });
    const gw = await startGateway(
      upstreamOf([up.url], { circuitBreaker: { ...BREAKER, maxConcurrent: 1, maxPending: 5 }, timeouts: timeoutsOf({ connectMs: 1_000, requestMs: 200, totalMs: 200 }) }),
    );
    const first = send(gw.port, '/api/1');
    await waitFor('first streaming', () => open.length === 1);
    const waiting = await send(gw.port, '/api/2');
    expect(waiting.status).toBe(503);
    expect(json(waiting)).toMatchObject({ code: 'GW_CIRCUIT_OPEN', message: 'the upstream stayed at its concurrency limit for the whole timeout' });
    expect(waiting.ms).toBeGreaterThanOrEqual(190);
    expect(up.requests.map((r) => r.url)).toEqual(['/1']);
    expect(gw.events).toEqual(['rejected:wait-expired']);
    open[0]!.end('-done');
    expect((await first).body).toBe('streaming-done');
  });

  it('opens on the failure rate and then refuses without contacting the upstream; half-open trial closes it', async () => {
    let healthy = false;
    const up = await startUpstream('up', (_req, res) => res.writeHead(healthy ? 200 : 500).end());
    const gw = await startGateway(upstreamOf([up.url], { circuitBreaker: { ...BREAKER, maxConcurrent: 100, minRequests: 4, openMs: 300 } }));
    for (let i = 0; i < 4; i++) expect((await send(gw.port, `/api/${i}`)).status).toBe(500);
    const refused = await send(gw.port, '/api/refused');
    expect(refused.status).toBe(503);
    expect(json(refused)).toMatchObject({ code: 'GW_CIRCUIT_OPEN', message: "the upstream's circuit breaker is open" });
    expect(up.requests.length).toBe(4);
    healthy = true;
    await waitFor('half-open', () => gw.upstreams.get('api')!.breaker!.state === 'half-open', { timeoutMs: 3_000 });
    expect((await send(gw.port, '/api/trial')).status).toBe(200);
    expect(gw.upstreams.get('api')!.breaker!.state).toBe('closed');
    expect((await send(gw.port, '/api/after')).status).toBe(200);
  });

  it("a breaker refusal never counts against a target's health", async () => {
    const held: ServerResponse[] = [];
    const up = await startUpstream('up', (_req, res) => held.push(res));
    const gw = await startGateway(
      upstreamOf([up.url], {
        circuitBreaker: { ...BREAKER, maxConcurrent: 1 },
        outlierDetection: { consecutiveFailures: 1, baseEjectionMs: 60_000, maxEjectionMs: 60_000, maxEjectionPercent: 100 },
      }),
    );
    const first = send(gw.port, '/api/1');
    await waitFor('first at upstream', () => held.length === 1);
    for (let i = 0; i < 5; i++) expect((await send(gw.port, '/api/x')).status).toBe(503);
    held[0]!.writeHead(200).end();
    await first;
    expect(gw.transitions).toEqual([]);
  });
});

describe('forwarding: retry budget', () => {
  it('caps retries under a storm: with a 0 % budget and a floor of 2 retries in flight, 2 of 20 failing requests are retried', async () => {
    const held: ServerResponse[] = [];
    const a = await startUpstream('a', (_req, res) => held.push(res));
    const b = await startUpstream('b', (_req, res) => held.push(res));
    const gw = await startGateway(upstreamOf([a.url, b.url], { retries: { ...RETRIES, attempts: 3, budgetPercent: 0, minRetryConcurrency: 2 } }));
    const replies = Array.from({ length: 20 }, (_, i) => send(gw.port, `/api/${i}`));
    await waitFor('20 first tries', () => held.length === 20);
    // All fail at once: a storm.
    for (const res of held.splice(0)) res.writeHead(503).end();
    await waitFor('retries arrive', () => held.length >= 2);
    for (const res of held.splice(0)) res.writeHead(200).end();
    const statuses = (await Promise.all(replies)).map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
    expect(statuses.filter((s) => s === 503)).toHaveLength(18);
    expect(a.requests.length + b.requests.length).toBe(22);
    expect(gw.events.filter((e) => e === 'budget-exhausted')).toHaveLength(18);
  });
});

describe('forwarding: retries after failures wait for a budget place', () => {
  const QUIET = { outlierDetection: null, circuitBreaker: null, healthCheck: null } as const;

  it('a burst of resets (a dying target) is retried one at a time under a floor of 1, and every client gets 200', async () => {
    const dying = await startUpstream('dying', (req) => req.socket.destroy());
    const a = await startUpstream('a');
    const gw = await startGateway(upstreamOf([dying.url, a.url], { retries: { ...RETRIES, budgetPercent: 0, minRetryConcurrency: 1, backoffMaxMs: 5_000 }, ...QUIET }));
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => send(gw.port, `/api/${i}`)));
    expect(replies.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 200));
    expect(gw.events.filter((e) => e === 'retry:reset').length).toBeGreaterThan(1);
    expect(gw.events).not.toContain('budget-exhausted');
    const budget = gw.upstreams.get('api')!.retryBudget;
    expect([budget.retries, budget.waiting, budget.active]).toEqual([0, 0, 0]);
  });

  it('a retry after a refused connect takes no budget place: with a 0 % budget, a floor of 1 and every retry held, all refused tries are retried', async () => {
    // Nothing reached the dead target, so its retries add no load anywhere: the budget does
    // not bound them (attempts and totalMs do). With the budget they would wait for the one
    // place, which the held retry never frees, and get 502 (the storm case below).
    const dead = `http://127.0.0.1:${await freePort()}`;
    const held: ServerResponse[] = [];
    const a = await startUpstream('a', (_req, res) => held.push(res));
    const gw = await startGateway(upstreamOf([dead, a.url], { retries: { ...RETRIES, budgetPercent: 0, minRetryConcurrency: 1, backoffMaxMs: 50 }, ...QUIET }));
    const budget = gw.upstreams.get('api')!.retryBudget;
    const n = 20;
    const replies = Array.from({ length: n }, (_, i) => send(gw.port, `/api/${i}`));
    await waitFor('every request at a', () => held.length === n);
    expect([budget.retries, budget.waiting]).toEqual([0, 0]);
    for (const res of held.splice(0)) res.writeHead(200).end();
    expect((await Promise.all(replies)).map((r) => r.status)).toEqual(Array.from({ length: n }, () => 200));
    expect(gw.events.filter((e) => e === 'retry:connect-failure').length).toBeGreaterThan(1);
    expect(gw.events).not.toContain('budget-exhausted');
  });

  it('a storm: retries whose places never free wait at most backoffMaxMs, then the failure is the answer; never more than the floor retry at once', async () => {
    // A target that takes each request and resets it: it did the work, so retries count.
    const dying = await startUpstream('dying', (req) => req.socket.destroy());
    const held: ServerResponse[] = [];
    const a = await startUpstream('a', (_req, res) => held.push(res));
    const gw = await startGateway(upstreamOf([dying.url, a.url], { retries: { ...RETRIES, budgetPercent: 0, minRetryConcurrency: 1, backoffMaxMs: 200 }, ...QUIET }));
    const budget = gw.upstreams.get('api')!.retryBudget;
    const n = 20;
    let answered = 0;
    const replies = Array.from({ length: n }, (_, i) => send(gw.port, `/api/${i}`).finally(() => answered++));
    // Every request either sits at `a` (a first try, or the one retry with a place) or was answered 502.
    await waitFor('the refused requests answered', () => {
      expect(budget.retries).toBeLessThanOrEqual(1);
      return answered > 0 && held.length + answered === n;
    });
    expect(budget.retries).toBe(1);
    expect(budget.waiting).toBe(0);
    for (const res of held.splice(0)) res.writeHead(200).end();
    const statuses = (await Promise.all(replies)).map((r) => r.status);
    const refused = statuses.filter((s) => s === 502).length;
    expect(refused).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 200).length + refused).toBe(n);
    expect(gw.events.filter((e) => e === 'retry:reset')).toHaveLength(1);
    expect(gw.events.filter((e) => e === 'budget-exhausted')).toHaveLength(refused);
    expect(a.requests.length).toBe(n - refused);
  });
});

describe('forwarding: outlier detection and balancing', () => {
  it('ejects a target after consecutive failures and sends nothing to it while ejected', async () => {
    const sick = await startUpstream('sick', (_req, res) => res.writeHead(502).end());
    const a = await startUpstream('a');
    const b = await startUpstream('b');
    const gw = await startGateway(
      upstreamOf([sick.url, a.url, b.url], {
        outlierDetection: { consecutiveFailures: 2, baseEjectionMs: 60_000, maxEjectionMs: 60_000, maxEjectionPercent: 50 },
      }),
    );
    for (let i = 0; i < 30; i++) expect((await send(gw.port, `/api/${i}`)).status).toBe(200);
    expect(sick.requests.length).toBe(2);
    expect(gw.transitions).toEqual([expect.objectContaining({ target: sick.url, event: 'ejected', reason: 'outlier', ejectionMs: 60_000 })]);
  });

  it('a connect failure counts as a gateway failure and ejects too', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const a = await startUpstream('a');
    const gw = await startGateway(
      upstreamOf([dead, a.url], {
        outlierDetection: { consecutiveFailures: 3, baseEjectionMs: 60_000, maxEjectionMs: 60_000, maxEjectionPercent: 50 },
      }),
    );
    for (let i = 0; i < 20; i++) expect((await send(gw.port, `/api/${i}`)).status).toBe(200);
    expect(gw.transitions.map((t) => `${t.target}:${t.event}`)).toEqual([`${dead}:ejected`]);
    expect(gw.events.filter((e) => e.startsWith('retry:'))).toHaveLength(3);
  });

  it('consistent hashing on a header keeps a key on one target', async () => {
    const ups = [await startUpstream('a'), await startUpstream('b'), await startUpstream('c')];
    const gw = await startGateway(
      upstreamOf(
        ups.map((u) => u.url),
        { loadBalancing: { algorithm: 'consistent-hash', hashOn: { header: 'x-user' }, zoneAware: false, minZoneHealthyPercent: 0 } },
      ),
    );
    const owners = new Map<string, Set<string>>();
    for (let round = 0; round < 3; round++) {
      for (let u = 0; u < 12; u++) {
        const r = await send(gw.port, '/api/x', { headers: { 'x-user': `user-${u}` } });
        const set = owners.get(`user-${u}`) ?? new Set();
        set.add(String(json(r)['upstream']));
        owners.set(`user-${u}`, set);
      }
    }
    for (const set of owners.values()) expect(set.size).toBe(1);
    // 12 users do not all land on one target.
    expect(new Set([...owners.values()].map((s) => [...s][0])).size).toBeGreaterThan(1);
  });

  it('prefers targets in its own zone', async () => {
    const local = await startUpstream('local');
    const remote = await startUpstream('remote');
    const gw = await startGateway(
      upstreamOf([{ url: remote.url, zone: 'b' }, { url: local.url, zone: 'a' }], {
        loadBalancing: { algorithm: 'round-robin', hashOn: null, zoneAware: true, minZoneHealthyPercent: 50 },
      }),
      { zone: 'a' },
    );
    for (let i = 0; i < 6; i++) expect(json(await send(gw.port, '/api/x'))).toEqual({ upstream: 'local' });
    expect(remote.requests.length).toBe(0);
  });

  it('least-request sends new requests away from a target with requests stuck in flight', async () => {
    const held: ServerResponse[] = [];
    const stuck = await startUpstream('stuck', (_req, res) => held.push(res));
    const free = await startUpstream('free');
    const gw = await startGateway(
      upstreamOf([stuck.url, free.url], { loadBalancing: { algorithm: 'least-request', hashOn: null, zoneAware: false, minZoneHealthyPercent: 0 } }),
    );
    const pending: Promise<Reply>[] = [];
    // Until one request is stuck on `stuck`, requests spread.
    while (held.length === 0) {
      const r = send(gw.port, '/api/x');
      pending.push(r);
      await Promise.race([r, waitFor('stuck', () => held.length > 0, { timeoutMs: 1_000 }).catch(() => undefined)]);
      if (pending.length > 50) throw new Error('never reached the stuck target');
    }
    for (let i = 0; i < 10; i++) expect(json(await send(gw.port, '/api/y'))).toEqual({ upstream: 'free' });
    for (const res of held) res.writeHead(200).end('{}');
    await Promise.all(pending);
  });

  it('rewrites Host when hostRewrite is set', async () => {
    const up = await startUpstream('up');
    const gw = await startGateway(upstreamOf([up.url], { hostRewrite: 'internal.example:8443' }));
    await send(gw.port, '/api/x', { headers: { host: 'public.example' } });
    expect(up.requests[0]!.headers.host).toBe('internal.example:8443');
    expect(up.requests[0]!.headers['x-forwarded-host']).toBe('public.example');
  });
});

