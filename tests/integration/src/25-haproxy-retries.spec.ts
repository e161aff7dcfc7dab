// The shipped HAProxy retry policy (deploy/haproxy/haproxy.cfg, read from the file) in front
// of three real runtimes: a runtime SIGKILLed while its request is at the upstream makes
// HAProxy see an empty response. A POST then reaches the upstream at most once (the client
// gets a 502); a GET is retried on another runtime and the client gets its 200.
import { createTempDatabase, type TempDatabase } from '@gw/store/testing';
import { waitFor } from '@gw/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  putApi,
  simpleApi,
  startControllerProcess,
  startRuntimeProcess,
  waitControllerReady,
  waitRuntimeVersion,
  withOutput,
  type ControllerProcess,
  type RuntimeProcess,
} from './support/gateway-processes.js';
import { haproxyBinary, shippedRetryPolicy, startHaproxy, type Haproxy } from './support/haproxy.js';
import { http, type HttpResult } from './support/http.js';
import { stopAll } from './support/processes.js';
import { startScriptedUpstream, type ScriptedRequest, type ScriptedUpstream } from './support/scripted-upstream.js';

const haproxy = haproxyBinary();

let db: TempDatabase;
let ctl: ControllerProcess;
let up: ScriptedUpstream;
let lb: Haproxy | undefined;
const runtimes: RuntimeProcess[] = [];
/** Requests the upstream keeps unanswered (the first of each method), so their runtime dies mid-request. */
const held: ScriptedRequest[] = [];

beforeAll(async () => {
  // CI installs it (.ci/run); without it the spec fails rather than passing unseen, like the promtool and browser specs.
  if (haproxy === undefined) throw new Error('25-haproxy-retries needs haproxy: apt-get install -y haproxy');
  db = await createTempDatabase();
  // The first request of each method is held; any later one is answered at once.
  up = await startScriptedUpstream('U', (r) => {
    if (!held.some((h) => h.method === r.method)) {
      held.push(r);
      return;
    }
    const body = JSON.stringify({ method: r.method, body: r.body });
    r.res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
  ctl = await startControllerProcess({ id: 'ctl-lb-retries', databaseUrl: db.url });
  await waitControllerReady(ctl);
  const res = await putApi(ctl, 'api', simpleApi('api', up.url));
  expect(res.status, res.body).toBe(201);
  for (const id of ['rt-1', 'rt-2', 'rt-3']) runtimes.push(await startRuntimeProcess({ id, controllers: ctl.grpc }));
  for (const r of runtimes) await waitRuntimeVersion(r, res.json().configVersion);
  const extra = shippedRetryPolicy();
  // The policy under test is really there (a renamed keyword must not make this vacuous).
  expect(extra.defaults.some((l) => l.startsWith('retry-on') && l.includes('empty-response'))).toBe(true);
  expect(extra.defaults.some((l) => l.startsWith('option redispatch'))).toBe(true);
  lb = await startHaproxy({
    servers: runtimes.map((r) => ({ name: r.id, port: r.proxyPort, checkPort: r.adminPort })),
    interMs: 100,
    fall: 2,
    rise: 2,
    extra,
  });
  await waitFor('HAProxy to see every runtime UP', async () => Object.values(await lb!.stats()).every((s) => s.status === 'UP'));
});

afterAll(async () => {
  await lb?.stop();
  await stopAll();
  await up?.close();
  await db?.drop();
});

/**
 * Sends `method` through HAProxy; once the upstream holds it, SIGKILLs the runtime that
 * forwarded it (the one whose HAProxy session count moved) and returns the client's answer.
 */
async function killRuntimeMidRequest(method: 'POST' | 'GET'): Promise<{ res: HttpResult; killed: RuntimeProcess }> {
  const live = runtimes.filter((r) => r.proc.child.exitCode === null && r.proc.child.signalCode === null);
  await waitFor('HAProxy to see the live runtimes UP', async () => {
    const stats = await lb!.stats();
    return live.every((r) => stats[r.id]?.status === 'UP');
  });
  const before = await lb!.stats();
  const answer = http(method, `${lb!.url}/api/orders`, {
    headers: { 'content-type': 'application/json' },
    ...(method === 'POST' ? { body: '{"order":1}' } : {}),
    timeoutMs: 20_000,
  });
  await waitFor(`the upstream to hold the ${method}`, () => held.some((h) => h.method === method), { timeoutMs: 10_000 });
  const after = await lb!.stats();
  const forwarders = live.filter((r) => after[r.id]!.sessions > before[r.id]!.sessions);
  expect(forwarders.map((r) => r.id), 'exactly one runtime took the request').toHaveLength(1);
  const killed = forwarders[0]!;
  killed.proc.child.kill('SIGKILL');
  const res = await withOutput(killed.proc, answer);
  // Seen dead before the next step picks the live runtimes.
  await killed.proc.exited;
  return { res, killed };
}

describe('HAProxy retries only idempotent requests (shipped haproxy.cfg)', () => {
  it('a POST whose runtime dies mid-request reaches the upstream once; the client gets 502, not a second execution', async () => {
    const { res } = await killRuntimeMidRequest('POST');
    const posts = up.requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.body)).toEqual(['{"order":1}']);
    expect(res.status, res.body).toBe(502);
    // Nothing arrives late either: HAProxy answered, so it has given up on the request.
    expect(up.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('a GET whose runtime dies mid-request is retried on another runtime: the client gets 200', async () => {
    const { res } = await killRuntimeMidRequest('GET');
    expect(res.status, res.body).toBe(200);
    expect(up.requests.filter((r) => r.method === 'GET')).toHaveLength(2);
  });
});
