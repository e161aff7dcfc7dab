// `npm run demo:failover`: starts the local topology, deploys an API, runs steady traffic
// and then kills a controller replica, a runtime and an upstream target in turn, bringing
// each back, and prints per step the success rate and the config version in each zone.
import { httpJson, waitUntil } from './http-json.js';
import { startDemo } from './demo-start.js';
import { helloApi } from './sample-api.js';
import { runUntilSignal } from './signals.js';
import type { Topology } from './topology.js';
import { Traffic, type TrafficStats } from './traffic.js';

const DEFAULTS = { runtimesPerZone: 2, portBase: 7500 };
const WINDOW_MS = 3_000;
const CONVERGE_TIMEOUT_MS = 30_000;

interface RuntimeView {
  name: string;
  zone: string;
  version: number | null;
  controllerId: string | null;
  source: string | null;
  up: boolean;
}

async function main(): Promise<void> {
  const started = await startDemo('npm run demo:failover --', DEFAULTS);
  if (started === undefined) return;
  const { options, topology, say } = started;
  const stateFile = options.stateFile;
  await runUntilSignal(topology, say, () => walkthrough(topology, stateFile), { stayUp: false });
}

async function walkthrough(t: Topology, stateFile: string | undefined): Promise<void> {
  await t.bringUp();
  if (stateFile) t.writeState(stateFile);
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const auth = { authorization: `Bearer ${t.adminToken}` };

  const deploy = async (controller: string, body: unknown, name: string): Promise<number> => {
    const c = t.controllers.find((x) => x.name === controller)!;
    const res = await httpJson('PUT', `${c.http}/v1/apis/${name}`, { headers: auth, body, timeoutMs: 10_000 });
    if (res.status !== 200 && res.status !== 201) throw new Error(`deploy through ${controller} answered ${res.status}: ${res.body}`);
    return (res.json as { configVersion: number }).configVersion;
  };
  const views = (): Promise<RuntimeView[]> =>
    Promise.all(
      t.runtimes.map(async (r) => {
        try {
          const res = await httpJson('GET', `${r.admin}/config`, { timeoutMs: 1_000 });
          const j = res.json as { version: number | null; source: string | null; controller?: { controllerId: string | null; connected: boolean } };
          return { name: r.name, zone: r.zone, version: j.version, source: j.source, controllerId: j.controller?.connected ? (j.controller.controllerId ?? null) : null, up: true };
        } catch {
          return { name: r.name, zone: r.zone, version: null, source: null, controllerId: null, up: false };
        }
      }),
    );
  const converge = async (version: number) => {
    const started = Date.now();
    await waitUntil(`every running runtime at version ${version}`, async () => (await views()).every((v) => !v.up || (v.version ?? -1) >= version), CONVERGE_TIMEOUT_MS);
    return Date.now() - started;
  };
  const measure = async (label: string): Promise<TrafficStats> => {
    traffic.window();
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const stats = traffic.window();
    out(`  ${label}`);
    out(`    traffic   ${formatTraffic(stats)}`);
    out(`    by zone   ${formatZones(stats)}`);
    out(`    config    ${formatViews(await views())}`);
    summary.push({ label, stats });
    return stats;
  };
  const summary: { label: string; stats: TrafficStats }[] = [];

  const api = helloApi(t.upstreams);
  let version = await deploy(t.controllers[0]!.name, api, api.name);
  await converge(version);
  out();
  out(`Deployed ${api.name} (config version ${version}) through ${t.controllers[0]!.name}; traffic: ~100 requests/s over ${t.runtimes.length} runtime(s),`);
  out(`sent only to runtimes whose /health/ready passes, a failed connection redispatched once (like the load balancer).`);
  out();
  const traffic = new Traffic({ runtimes: t.runtimes, path: `/${api.name}/demo` });
  await traffic.start();
  try {
    out('Step 0: steady state');
    await measure(`${WINDOW_MS / 1000} s of traffic`);

    // 1. A controller replica dies. Its runtimes move to another replica; deploys carry on.
    const victimCtl = t.controllers[0]!;
    const survivor = t.controllers.find((c) => c !== victimCtl);
    out();
    out(`Step 1: controller loss: kill -9 ${victimCtl.name} (pid ${t.supervisor.get(victimCtl.name)?.pid})`);
    const killedAt = Date.now();
    await t.supervisor.kill9(victimCtl.name);
    if (survivor) {
      await waitUntil(
        `every runtime connected to a controller other than ${victimCtl.name}`,
        async () => (await views()).every((v) => v.up && v.controllerId !== null && v.controllerId !== victimCtl.name),
        CONVERGE_TIMEOUT_MS,
      );
      out(`  every runtime was connected to a surviving replica ${Date.now() - killedAt} ms after the kill`);
      version = await deploy(survivor.name, helloApi(t.upstreams, 'hello-during-outage'), 'hello-during-outage');
      const ms = await converge(version);
      out(`  deployed config version ${version} through ${survivor.name}: every runtime applied it within ${ms} ms`);
    } else {
      out('  (only one controller: runtimes keep serving their last config until it is back)');
    }
    await measure(`${WINDOW_MS / 1000} s of traffic with ${victimCtl.name} down`);
    await t.startAndWait(victimCtl.name);
    await measure(`${victimCtl.name} back (pid ${t.supervisor.get(victimCtl.name)?.pid})`);

    // 2. A runtime dies. The load balancer stops sending to it; it comes back with config.
    const victimRt = t.runtimes[0]!;
    out();
    out(`Step 2: runtime loss: kill -9 ${victimRt.name} in zone ${victimRt.zone} (pid ${t.supervisor.get(victimRt.name)?.pid})`);
    await t.supervisor.kill9(victimRt.name);
    await measure(`${WINDOW_MS / 1000} s of traffic with ${victimRt.name} down`);
    const back = Date.now();
    await t.startAndWait(victimRt.name);
    const view = (await views()).find((v) => v.name === victimRt.name);
    out(`  ${victimRt.name} restarted and ready in ${Date.now() - back} ms (config version ${view?.version}, source ${view?.source})`);
    await measure(`${victimRt.name} back (pid ${t.supervisor.get(victimRt.name)?.pid})`);

    // 3. An upstream target dies: what clients see depends on the API's retry and health settings.
    const victimUp = t.upstreams[Math.min(1, t.upstreams.length - 1)]!;
    out();
    out(`Step 3: upstream loss: kill -9 ${victimUp.name} (pid ${t.supervisor.get(victimUp.name)?.pid}), one of ${t.upstreams.length} target(s) of ${api.name}`);
    await t.supervisor.kill9(victimUp.name);
    await measure(`${WINDOW_MS / 1000} s of traffic with ${victimUp.name} down`);
    await t.startAndWait(victimUp.name);
    await measure(`${victimUp.name} back (pid ${t.supervisor.get(victimUp.name)?.pid})`);
  } finally {
    await traffic.stop();
  }

  out();
  out('Summary');
  for (const { label, stats } of summary) out(`  ${pct(stats).padStart(7)}  ${String(stats.requests).padStart(5)} requests  ${label}`);
  out();
}

function pct(s: TrafficStats): string {
  return s.requests === 0 ? 'n/a' : `${((100 * s.ok) / s.requests).toFixed(2)}%`;
}

function formatTraffic(s: TrafficStats): string {
  const failures = Object.entries(s.failures)
    .map(([k, v]) => `${v}× ${k}`)
    .join(', ');
  return `${s.requests} requests, ${s.ok} ok (${pct(s)}), ${s.requests - s.ok} failed${failures ? ` [${failures}]` : ''}, ${s.redispatched} redispatched`;
}

function formatZones(s: TrafficStats): string {
  return Object.entries(s.byZone)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([zone, z]) => {
      const ups = Object.entries(s.upstreamZones[zone] ?? {})
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([uz, n]) => `${uz}:${n}`)
        .join(' ');
      return `${zone} ${z.ok}/${z.requests} ok${ups ? ` (answered by upstream zones ${ups})` : ''}`;
    })
    .join('   ');
}

function formatViews(views: RuntimeView[]): string {
  const zones = [...new Set(views.map((v) => v.zone))];
  return zones
    .map((zone) => {
      const parts = views
        .filter((v) => v.zone === zone)
        .map((v) => (v.up ? `${v.name} v${v.version ?? '-'}${v.controllerId ? ` via ${v.controllerId}` : ' (no controller)'}` : `${v.name} down`));
      return `${zone}: ${parts.join(', ')}`;
    })
    .join(' | ');
}

main().catch((err) => {
  process.stderr.write(`[demo] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
