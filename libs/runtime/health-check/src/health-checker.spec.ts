// Active checks over real sockets on 127.0.0.1 against small HTTP servers whose answer
// the test switches. Every wait is on a condition with a bounded timeout.
import { createServer, type Server } from 'node:http';
import type { UpstreamDefinition } from '@gw/api-schema';
import { plainUpstream } from '@gw/api-schema/testing';
import { Upstream, systemClock, type HealthTransition, type UpstreamContext } from '@gw/upstreams';
import { afterEach, describe, expect, it } from 'vitest';
import { closeServer, listenLocal, waitFor } from '@gw/test-kit';
import { HealthChecker, type CheckRecord } from './health-checker.js';
import { probe, probeTargetOf } from './probe.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

interface Target {
  url: string;
  port: number;
  /** What /health answers now; `hang` never answers. */
  mode: 200 | 500 | 'hang';
  checks: number;
  server: Server;
}

async function startTarget(mode: Target['mode'] = 200): Promise<Target> {
  const t = { url: '', port: 0, mode, checks: 0 } as Target;
  t.server = createServer((req, res) => {
    if (req.url !== '/health') {
      res.writeHead(404).end();
      return;
    }
    t.checks++;
    if (t.mode === 'hang') return;
    res.writeHead(t.mode, { 'content-type': 'text/plain' }).end(String(t.mode));
  });
  t.port = await listenLocal(t.server);
  t.url = `http://127.0.0.1:${t.port}`;
  cleanups.push(() => closeServer(t.server));
  return t;
}

function upstreamOptions(urls: string[], healthCheck: UpstreamDefinition['healthCheck']): UpstreamDefinition {
  return plainUpstream(urls, { healthCheck });
}

/** Each API's upstream handle across configs, as the runtime's config builds them (`Upstream.follow`). */
class Handles {
  readonly #byName = new Map<string, Upstream>();
  constructor(private readonly context: UpstreamContext) {}

  /** The handles of a new config of these APIs. */
  sync(apis: { name: string; options: UpstreamDefinition }[]): Upstream[] {
    const next = apis.map(({ name, options }) => Upstream.follow(name, options, this.#byName.get(name), this.context));
    this.#byName.clear();
    for (const up of next) this.#byName.set(up.name, up);
    return next;
  }

  get(name: string): Upstream | undefined {
    return this.#byName.get(name);
  }
}

const FAST = { path: '/health', intervalMs: 50, timeoutMs: 200, healthyThreshold: 2, unhealthyThreshold: 2 };

function setup() {
  const transitions: HealthTransition[] = [];
  const checks: CheckRecord[] = [];
  const registry = new Handles({ localZone: undefined, clock: systemClock, random: Math.random, onTransition: (t) => transitions.push(t) });
  const checker = new HealthChecker({ onCheck: (c) => checks.push(c), firstCheckSpreadMs: 10 });
  cleanups.push(() => checker.stop());
  return { registry, checker, transitions, checks };
}

describe('probe', () => {
  it('passes on 2xx, fails on 5xx, on refused connections and on silence past the timeout', async () => {
    const ok = await startTarget(200);
    const bad = await startTarget(500);
    const silent = await startTarget('hang');
    expect(await probe(probeTargetOf(ok.url, '/health'), 1_000, 'test')).toMatchObject({ passed: true, status: 200 });
    expect(await probe(probeTargetOf(bad.url, '/health'), 1_000, 'test')).toMatchObject({ passed: false, status: 500 });
    const hung = await probe(probeTargetOf(silent.url, '/health'), 150, 'test');
    expect(hung).toMatchObject({ passed: false, error: 'timeout' });
    await closeServer(ok.server);
    expect(await probe(probeTargetOf(ok.url, '/health'), 1_000, 'test')).toMatchObject({ passed: false, error: 'ECONNREFUSED' });
  });
});

describe('HealthChecker', () => {
  it('marks a failing target unhealthy after the threshold and healthy again when it recovers', async () => {
    const { registry, checker, transitions } = setup();
    const a = await startTarget(200);
    const b = await startTarget(200);
    checker.update(registry.sync([{ name: 'orders', options: upstreamOptions([a.url, b.url], FAST) }]));
    expect(checker.size).toBe(2);
    await waitFor('checks of both targets', () => a.checks >= 2 && b.checks >= 2);
    const up = registry.get('orders')!;
    expect([...up.health.candidates()]).toEqual([1, 1]);
    b.mode = 500;
    await waitFor('b unhealthy', () => up.health.candidates()[1] === 0);
    expect(transitions).toEqual([{ upstream: 'orders', target: b.url, zone: null, event: 'unhealthy', reason: 'active-check' }]);
    b.mode = 'hang';
    const before = b.checks;
    await waitFor('a hanging check times out and the next one starts', () => b.checks >= before + 2);
    b.mode = 200;
    await waitFor('b healthy again', () => up.health.candidates()[1] === 1);
    expect(transitions.map((t) => t.event)).toEqual(['unhealthy', 'healthy']);
  });

  it('counts a stopped target as failing, and checks nothing without a health check', async () => {
    const { registry, checker, checks } = setup();
    const a = await startTarget(200);
    const b = await startTarget(200);
    checker.update(registry.sync([
      { name: 'orders', options: upstreamOptions([a.url, b.url], FAST) },
      { name: 'quiet', options: upstreamOptions([a.url], null) },
    ]));
    expect(checker.size).toBe(2);
    await closeServer(b.server);
    await waitFor('b unhealthy', () => registry.get('orders')!.health.candidates()[1] === 0);
    expect(checks.some((c) => c.target === b.url && c.result.error === 'ECONNREFUSED')).toBe(true);
    expect(checks.every((c) => c.upstream === 'orders')).toBe(true);
  });

  it('keeps probers of surviving targets across updates and stops those of removed ones', async () => {
    const { registry, checker } = setup();
    const a = await startTarget(200);
    const b = await startTarget(200);
    // A metronome: a second checker at the same interval shows that intervals went by.
    const clock = await startTarget(200);
    const metronome = setup();
    metronome.checker.update(metronome.registry.sync([{ name: 'clock', options: upstreamOptions([clock.url], FAST) }]));
    const intervalsPass = async (n: number) => {
      const from = clock.checks;
      await waitFor(`${n} intervals`, () => clock.checks >= from + n);
    };
    checker.update(registry.sync([{ name: 'orders', options: upstreamOptions([a.url, b.url], FAST) }]));
    await waitFor('first checks', () => a.checks >= 1 && b.checks >= 1);
    // A new table without b: a keeps its prober, b's stops.
    checker.update(registry.sync([{ name: 'orders', options: upstreamOptions([a.url], FAST) }]));
    expect(checker.size).toBe(1);
    const bChecks = b.checks;
    const aChecks = a.checks;
    await intervalsPass(4);
    expect(a.checks).toBeGreaterThanOrEqual(aChecks + 2);
    // A check of b that was in flight may still land; nothing after it.
    expect(b.checks - bChecks).toBeLessThanOrEqual(1);
    checker.stop();
    expect(checker.size).toBe(0);
    const stoppedAt = a.checks;
    await intervalsPass(4);
    expect(a.checks - stoppedAt).toBeLessThanOrEqual(1);
  });

  it('restarts probing when a target’s check settings change', async () => {
    const { registry, checker } = setup();
    const a = await startTarget(200);
    checker.update(registry.sync([{ name: 'orders', options: upstreamOptions([a.url], FAST) }]));
    await waitFor('checked', () => a.checks >= 1);
    checker.update(registry.sync([{ name: 'orders', options: upstreamOptions([a.url], { ...FAST, path: '/other' }) }]));
    expect(checker.size).toBe(1);
    const before = a.checks;
    // /other answers 404 (and does not count as a /health check): the target turns unhealthy.
    await waitFor('unhealthy by the new path', () => registry.get('orders')!.health.healthyCount === 0);
    expect(a.checks - before).toBeLessThanOrEqual(1);
  });
});
