// The fleet benchmark of issue 16 (docs/benchmarks.md, "Fleet"): two controller replicas
// (real processes, zones a and b) on a temporary database with 1,000 APIs, and a fleet of
// simulated runtimes: a few child processes (bench/lib/fleet-worker.mjs), each hosting many
// clients of the project's real config-client library, each client with its own identity
// and stream. The config stream is plaintext (CONFIG_INSECURE=true): issuing a certificate
// per simulated runtime would dominate the set-up; TLS handshakes are not in these figures.
//
// Per fleet size (100 and 500 by default; --sizes 100,500,1000):
//   1. the fleet connects (admission at the controllers' default rate) and applies;
//   2. controller CPU and RSS per connected runtime (idle fleet, 5 s window);
//   3. deploy → every runtime applied: p50/p99 over 15 single-API deploys (goal at 1,000
//      runtimes: p99 < 1 s), with the controllers' event-loop delay during each fan-out
//      (nodejs_eventloop_lag_* of /metrics, scraped before the deploy and after the fleet applied);
//   4. deploy API write rate with the fleet connected: 8 clients, single-API PUTs through both
//      replicas (goal with 500 runtimes: ≥ 150/s; no request fails while the database is healthy);
//   5. SIGKILL of the replica with more runtimes: time until the whole fleet is connected to the other and in sync.
//
// Usage (after `npm run build`; PostgreSQL on TEST_DATABASE_URL or 127.0.0.1:5432):
//   npm run bench:fleet                       # 100 and 500 runtimes
//   npm run bench:fleet -- --sizes 1000       # the 1,000 case
//   npm run bench:fleet -- --modes delta,full # each size once per config client stream mode (its `mode` option)
//   npm run bench:fleet -- --sizes 100 --deploys 15 --writes 400 --json
//   npm run bench:fleet -- --sizes 1000 --deploys 3 --warmup 0 --deploy-timeout-s 180   # how long a collapse takes to settle
//   npm run bench:fleet -- --per-worker 50 --worker-nice 19   # simulated runtimes at the lowest CPU priority (they share the controllers' machine)
//   npm run bench:fleet -- --sizes 1000 --admit 200           # the controllers' CONFIG_ADMIT_PER_SECOND (resync time vs the storm's cost)
// Results: a table on stdout, bench/results/fleet-<time>.json (git-ignored), logs beside it.
import { setPriority } from 'node:os';
import path from 'node:path';
import { finishBenchRun, runBenchCases, startBenchRun } from './lib/bench-run.mjs';
import {
  ROOT,
  bounded,
  markdownTable,
  metricValue,
  mib,
  parseFlags,
  percentile,
  preflight,
  procStats,
  request,
  round1,
  scrape,
  sleep,
  startController,
  startNode,
  tempDatabase,
  waitControllerReady,
  waitFor,
} from './lib/cluster.mjs';

const flags = parseFlags(process.argv.slice(2), { sizes: '100,500', apis: 1_000, deploys: 15, warmup: 2, writes: 600, writeSeconds: 60, clients: 8, perWorker: 100, workerNice: 0, admit: 0, json: false, profile: false, deployTimeoutS: 60, modes: 'default' });
const SIZES = flags.sizes.split(',').map(Number);
/** The config client's stream mode (its `mode` option): `default` leaves the library's own default. */
const MODES = flags.modes.split(',').map((m) => m.trim()).filter(Boolean);
for (const m of MODES) if (!['default', 'delta', 'full'].includes(m)) throw new Error(`--modes: "${m}" is not default, delta or full`);
const FANOUT_SUM = 'gateway_controller_config_fanout_duration_seconds_sum';
const FANOUT_COUNT = 'gateway_controller_config_fanout_duration_seconds_count';
const GOALS = { deployP99Ms: 1_000, deployP99AtRuntimes: 1_000, writesPerS: 150, writesAtRuntimes: 500 };
const log = (msg) => (flags.json ? process.stderr : process.stdout).write(`${msg}\n`);
const now = () => performance.timeOrigin + performance.now();
const name = (i) => `api-${String(i).padStart(4, '0')}`;
const definition = (i, target = 'http://10.0.0.7:8080') => ({ name: name(i), basePath: `/svc${i}`, upstream: { targets: [{ url: target }] } });

/** A child process hosting `count` simulated runtimes. */
function startWorker(index, count, addresses, logDir, mode) {
  const proc = startNode(`fleet-${index}`, ['--max-old-space-size=1024', path.join(ROOT, 'bench/lib/fleet-worker.mjs'), `sim${index}`, String(count), addresses, mode], {}, path.join(logDir, `fleet-worker-${index}.log`), { ipc: true });
  // --worker-nice N: the simulated runtimes at a lower CPU priority than the controllers and
  // PostgreSQL, as real runtimes on machines of their own would not take the controllers' CPU.
  if (flags.workerNice) setPriority(proc.pid, flags.workerNice);
  const waiters = new Map();
  let statusWaiter;
  let started;
  const ready = new Promise((resolve) => (started = resolve));
  proc.child.on('message', (msg) => {
    if (msg.type === 'started') started();
    else if (msg.type === 'status') statusWaiter?.(msg);
    else if (msg.type === 'reached') {
      firstApplied.set(msg.id, msg.first);
      waiters.get(msg.id)?.(msg.at);
      waiters.delete(msg.id);
    }
  });
  let seq = 0;
  const firstApplied = new Map();
  let lastId;
  return {
    /** The first apply time among this worker's clients for the last watch `reached` answered. */
    get lastFirstApplied() {
      return firstApplied.get(lastId);
    },
    proc,
    count,
    ready,
    status: () =>
      bounded(`fleet-${index} status`, 10_000, () => {
        const p = new Promise((resolve) => (statusWaiter = resolve));
        proc.child.send({ type: 'status' });
        return p;
      }),
    /** Resolves with the time the last of its clients applied `version` (or newer). */
    reached(version) {
      const id = `${version}-${seq++}`;
      lastId = id;
      const p = new Promise((resolve) => waiters.set(id, resolve));
      proc.child.send({ type: 'watch', version, id });
      return p;
    },
    async stop() {
      if (proc.alive()) proc.child.send({ type: 'stop' });
      await bounded(`fleet-${index} stop`, 10_000, () => proc.exited).catch(() => proc.kill9());
    },
  };
}

async function fleetStatus(workers) {
  const all = await Promise.all(workers.map((w) => w.status()));
  const byController = {};
  for (const s of all) for (const [k, v] of Object.entries(s.byController)) byController[k] = (byController[k] ?? 0) + v;
  const streams = all.reduce((n, s) => n + s.streams, 0);
  const count = all.reduce((n, s) => n + s.count, 0);
  // reconnects: streams opened beyond each client's first (failovers, streams a controller ended or a keepalive timed out).
  const downReasons = {};
  for (const s of all) for (const [k, v] of Object.entries(s.downReasons)) downReasons[k] = (downReasons[k] ?? 0) + v;
  return {
    connected: all.reduce((n, s) => n + s.connected, 0),
    minVersion: Math.min(...all.map((s) => s.minVersion)),
    byController,
    reconnects: streams - count,
    downReasons,
    workerLoopMaxMs: Math.round(Math.max(...all.map((s) => s.loopMaxMs))),
    // CPU seconds of all simulating processes since they started: compared with the controllers'
    // it says which side the machine's two cores were busy with.
    workerCpuS: all.reduce((n, s) => n + (s.cpuS ?? 0), 0),
    clientMode: all[0]?.clientMode,
  };
}

async function controllerVersion(c) {
  return (await request('GET', `${c.http}/health/ready`, { timeoutMs: 5_000 })).json().checks?.snapshot?.version ?? -1;
}

/** The event-loop delay prom-client measured since the previous scrape (monitorEventLoopDelay, 10 ms resolution). */
function eventLoop(text) {
  return { p50Ms: round1((metricValue(text, 'nodejs_eventloop_lag_p50_seconds') ?? NaN) * 1000), p99Ms: round1((metricValue(text, 'nodejs_eventloop_lag_p99_seconds') ?? NaN) * 1000), maxMs: round1((metricValue(text, 'nodejs_eventloop_lag_max_seconds') ?? NaN) * 1000) };
}

/** Fills `out` as it goes, so a phase that fails leaves the figures of the phases before it. */
async function runSize(size, mode, logDir, out) {
  const db = await tempDatabase();
  const workers = [];
  const ctl = [];
  try {
    // --profile: a V8 CPU profile of each controller, written when it exits (not the one SIGKILLed).
    // --admit N: the controllers' CONFIG_ADMIT_PER_SECOND (0: their default), to weigh resync time against the storm's cost.
    const env = { CHANGE_FEED_POLL_MS: '1000', ...(flags.admit ? { CONFIG_ADMIT_PER_SECOND: String(flags.admit) } : {}), ...(flags.profile ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${logDir}` } : {}) };
    ctl.push(await startController({ id: 'ctl-1', zone: 'a', databaseUrl: db.url, logDir, env }));
    await waitControllerReady(ctl[0]);
    ctl.push(await startController({ id: 'ctl-2', zone: 'b', databaseUrl: db.url, logDir, env }));
    await waitControllerReady(ctl[1]);
    const applied = await request('POST', `${ctl[0].http}/v1/apply`, { body: { apis: Array.from({ length: flags.apis }, (_, i) => definition(i)) }, timeoutMs: 60_000 });
    if (applied.status !== 200) throw new Error(`apply: ${applied.status} ${applied.body.slice(0, 300)}`);
    let version = applied.json().configVersion;
    for (const c of ctl) await waitFor(`${c.id} at v${version}`, async () => (await controllerVersion(c)) >= version, { timeoutMs: 60_000, intervalMs: 100 });
    await sleep(1_000);
    const before = ctl.map((c) => procStats(c.proc.pid));

    // 1. The fleet connects.
    log(`[${size}] starting ${size} simulated runtimes`);
    const addresses = `a=${ctl[0].grpc},b=${ctl[1].grpc}`;
    let t0 = now();
    for (let i = 0, w = 0; i < size; i += flags.perWorker, w++) workers.push(startWorker(w, Math.min(flags.perWorker, size - i), addresses, logDir, mode));
    await bounded('workers start', 60_000, () => Promise.all(workers.map((w) => w.ready)));
    const startAt = await bounded('fleet in sync', 180_000, async () => Math.max(...(await Promise.all(workers.map((w) => w.reached(version))))));
    let st = await fleetStatus(workers);
    out.clientMode = st.clientMode;
    // A client library without the mode switch streams full state: refuse to report it as delta.
    if (mode !== 'default' && (st.clientMode ?? 'full') !== mode) throw new Error(`the config client runs ${st.clientMode ?? 'without a mode switch'}, not ${mode}: this build cannot select the stream mode`);
    out.connectMs = Math.round(startAt - t0);
    out.byController = st.byController;
    // Cumulative reconnects of the fleet at the end of each phase: a quiet fleet keeps its streams.
    out.reconnects = { connect: st.reconnects };
    out.workerLoopMaxMs = { connect: st.workerLoopMaxMs };
    log(`[${size}]   all ${size} applied v${version} after ${out.connectMs} ms; per replica ${JSON.stringify(st.byController)}`);

    // 2. CPU and RSS with the fleet connected, idle.
    await sleep(2_000);
    const idleFrom = ctl.map((c) => procStats(c.proc.pid));
    const idleMs = 5_000;
    await sleep(idleMs);
    const idleTo = ctl.map((c) => procStats(c.proc.pid));
    out.controllers = ctl.map((c, k) => {
      const n = st.byController[c.id] ?? 0;
      return {
        id: c.id,
        connected: n,
        rssBeforeMiB: mib(before[k].rss),
        rssMiB: mib(idleTo[k].rss),
        rssPerRuntimeKiB: n ? Math.round((idleTo[k].rss - before[k].rss) / n / 1024) : null,
        idleCpuPercent: round1(((idleTo[k].cpuS - idleFrom[k].cpuS) * 100_000) / idleMs),
      };
    });

    // 3. Deploy → every runtime applied, with the event-loop delay of both replicas during the fan-out.
    log(`[${size}] ${flags.warmup} + ${flags.deploys} deploys`);
    const deployMs = [];
    const loop = [];
    const fanOutMs = [];
    const perDeploy = [];
    const cpuFrom = ctl.map((c) => procStats(c.proc.pid));
    const workerCpuFrom = (await fleetStatus(workers)).workerCpuS;
    const fanStarted = now();
    for (let k = 0; k < flags.warmup + flags.deploys; k++) {
      const i = (k * 389) % flags.apis;
      const beforeTexts = await Promise.all(ctl.map((c) => scrape(c))); // opens a fresh event-loop window on both replicas
      t0 = now();
      const res = await request('PUT', `${ctl[k % 2].http}/v1/apis/${name(i)}`, { body: definition(i, `http://10.0.${k % 250}.9:8080`), timeoutMs: 30_000 });
      if (res.status !== 200) throw new Error(`deploy ${k}: ${res.status} ${res.body.slice(0, 300)}`);
      version = res.json().configVersion;
      const at = await bounded(`deploy ${k} applied`, flags.deployTimeoutS * 1000, async () => Math.max(...(await Promise.all(workers.map((w) => w.reached(version))))));
      const texts = await Promise.all(ctl.map((c) => scrape(c)));
      if (k >= flags.warmup) {
        deployMs.push(Math.round(at - t0));
        loop.push(...texts.map(eventLoop));
        // The controllers' own share: each replica's fan-out time (snapshot → every stream served), from its histogram.
        const delta = (j, name, labels) => (metricValue(texts[j], name, labels) ?? 0) - (metricValue(beforeTexts[j], name, labels) ?? 0);
        // Where a slow deploy's time went, per replica: incremental compile and fan-out (ms, summed over the window).
        perDeploy.push({
          ms: Math.round(at - t0),
          // The first simulated runtime's apply: write, change feed, compile and one send and apply.
          firstMs: Math.round(Math.min(...workers.map((w) => w.lastFirstApplied ?? Infinity)) - t0),
          compileMs: ctl.map((_, j) => round1(delta(j, 'gateway_controller_snapshot_compile_duration_seconds_sum', { mode: 'incremental' }) * 1000)),
          fanOutMs: ctl.map((_, j) => round1(delta(j, FANOUT_SUM) * 1000)),
          loopMaxMs: texts.map((t) => eventLoop(t).maxMs),
        });
        for (let j = 0; j < ctl.length; j++) {
          const n = (metricValue(texts[j], FANOUT_COUNT) ?? 0) - (metricValue(beforeTexts[j], FANOUT_COUNT) ?? 0);
          const sum = (metricValue(texts[j], FANOUT_SUM) ?? 0) - (metricValue(beforeTexts[j], FANOUT_SUM) ?? 0);
          if (n > 0) fanOutMs.push(round1((sum * 1000) / n));
        }
      }
      // Both replicas at this version before the next deploy: one fan-out at a time.
      for (const c of ctl) await waitFor(`${c.id} at v${version}`, async () => (await controllerVersion(c)) >= version, { timeoutMs: 30_000, intervalMs: 20 });
    }
    const cpuTo = ctl.map((c) => procStats(c.proc.pid));
    const fanMs = now() - fanStarted;
    st = await fleetStatus(workers);
    out.reconnects.idleAndDeploys = st.reconnects;
    out.workerLoopMaxMs.deploys = st.workerLoopMaxMs;
    out.deploy = {
      count: deployMs.length,
      p50Ms: percentile(deployMs, 50),
      p99Ms: percentile(deployMs, 99),
      maxMs: Math.max(...deployMs),
      samplesMs: deployMs,
      perDeploy,
      eventLoop: {
        p99OfP99Ms: percentile(loop.map((l) => l.p99Ms), 99),
        maxMs: Math.max(...loop.map((l) => l.maxMs)),
        medianOfMaxMs: percentile(loop.map((l) => l.maxMs), 50),
      },
      // Mean fan-out per replica and deploy (absent on a build without the metric).
      firstAppliedP50Ms: percentile(perDeploy.map((d) => d.firstMs), 50),
      fanOut: fanOutMs.length ? { p50Ms: percentile(fanOutMs, 50), p99Ms: percentile(fanOutMs, 99), maxMs: Math.max(...fanOutMs) } : undefined,
      controllerCpuPercent: ctl.map((_, k) => round1(((cpuTo[k].cpuS - cpuFrom[k].cpuS) * 100_000) / fanMs)),
      // All simulating processes together, % of one core (200 = both cores of this machine).
      workersCpuPercent: round1(((st.workerCpuS - workerCpuFrom) * 100_000) / fanMs),
    };
    log(`[${size}]   deploy → all ${size} applied: p50 ${out.deploy.p50Ms} ms, p99 ${out.deploy.p99Ms} ms; event-loop delay max ${out.deploy.eventLoop.maxMs} ms`);

    // 4. Writes with the fleet connected.
    log(`[${size}] up to ${flags.writes} writes (at most ${flags.writeSeconds} s) from ${flags.clients} clients`);
    let next = 0;
    let highest = 0;
    const failures = [];
    await Promise.all(ctl.map((c) => scrape(c)));
    t0 = now();
    let lastAt = t0;
    await bounded('writes', 300_000, () =>
      Promise.all(
        Array.from({ length: flags.clients }, async (_, client) => {
          // Bounded in count and in time: the rate is what was written in the time it took.
          while (next < flags.writes && now() - t0 < flags.writeSeconds * 1000) {
            const k = next++;
            // New APIs and updates of loaded ones, half and half.
            const i = k % 2 === 0 ? flags.apis + k : (k * 7) % flags.apis;
            try {
              const res = await request('PUT', `${ctl[(client + k) % 2].http}/v1/apis/${name(i)}`, { body: definition(i, `http://10.2.${k % 250}.1:8080`), timeoutMs: 30_000 });
              if (res.status !== 200 && res.status !== 201) failures.push(`${res.status} ${res.body.slice(0, 200)}`);
              else highest = Math.max(highest, res.json().configVersion);
            } catch (err) {
              failures.push(err.message);
            }
            lastAt = Math.max(lastAt, now());
          }
        }),
      ),
    );
    const writeLoop = (await Promise.all(ctl.map((c) => scrape(c)))).map(eventLoop);
    const convergedAt = await bounded('fleet converges', 120_000, async () => Math.max(...(await Promise.all(workers.map((w) => w.reached(highest))))));
    out.writes = {
      count: next,
      clients: flags.clients,
      perS: round1((next * 1000) / (lastAt - t0)),
      failures: failures.length,
      failureSamples: failures.slice(0, 5),
      convergeAfterLastWriteMs: Math.max(0, Math.round(convergedAt - lastAt)),
      eventLoopMaxMs: writeLoop.map((l) => l.maxMs),
    };
    version = highest;
    log(`[${size}]   ${next} writes, ${out.writes.perS} writes/s, ${failures.length} failed; fleet converged ${out.writes.convergeAfterLastWriteMs} ms after the last write`);

    // 5. The replica with more runtimes killed: the fleet moves to the other and resyncs.
    for (const c of ctl) await waitFor(`${c.id} at v${version}`, async () => (await controllerVersion(c)) >= version, { timeoutMs: 30_000, intervalMs: 50 });
    st = await fleetStatus(workers);
    out.reconnects.writes = st.reconnects;
    out.workerLoopMaxMs.writes = st.workerLoopMaxMs;
    out.streamDownReasons = st.downReasons;
    const [victim, survivor] = (st.byController['ctl-1'] ?? 0) >= (st.byController['ctl-2'] ?? 0) ? ctl : [ctl[1], ctl[0]];
    const moved = st.byController[victim.id] ?? 0;
    log(`[${size}] SIGKILL ${victim.id} (${moved} runtimes on it)`);
    await scrape(survivor);
    t0 = now();
    await victim.proc.kill9();
    // A deploy during the storm must succeed (the database is healthy).
    const during = await request('PUT', `${survivor.http}/v1/apis/${name(0)}`, { body: definition(0, 'http://10.3.0.1:8080'), timeoutMs: 30_000 }).catch((err) => ({ status: 0, body: err.message }));
    const duringOk = during.status === 200;
    if (duringOk) version = during.json().configVersion;
    const deployDuringMs = Math.round(now() - t0);
    await bounded('resync', 180_000, () =>
      waitFor(
        `the whole fleet on ${survivor.id}`,
        async () => {
          const s = await fleetStatus(workers);
          return s.connected === size && (s.byController[survivor.id] ?? 0) === size;
        },
        { timeoutMs: 180_000, intervalMs: 100 },
      ),
    );
    const reconnectedMs = Math.round(now() - t0);
    const syncedAt = await bounded('resync applied', 60_000, async () => Math.max(...(await Promise.all(workers.map((w) => w.reached(version))))));
    const storm = eventLoop(await scrape(survivor));
    out.resync = {
      killed: victim.id,
      runtimesMoved: moved,
      allReconnectedMs: reconnectedMs,
      // Connected to the survivor and running the newest version (the one deployed during the storm).
      allInSyncMs: Math.max(reconnectedMs, Math.round(syncedAt - t0)),
      deployDuringStorm: { ok: duringOk, status: during.status, answeredMs: deployDuringMs, body: duringOk ? undefined : String(during.body).slice(0, 200) },
      survivorEventLoop: storm,
      survivor: { id: survivor.id, rssMiB: mib(procStats(survivor.proc.pid).rss) },
    };
    log(`[${size}]   every runtime on ${survivor.id} ${reconnectedMs} ms and in sync ${out.resync.allInSyncMs} ms after the kill; a deploy during the storm: ${during.status} in ${deployDuringMs} ms; ${survivor.id} event-loop max ${storm.maxMs} ms`);
    return out;
  } catch (err) {
    // What the fleet looked like when the phase failed: reconnects and why.
    const st = await fleetStatus(workers).catch(() => undefined);
    if (st) out.atFailure = { connected: st.connected, byController: st.byController, reconnects: st.reconnects, downReasons: st.downReasons, workerLoopMaxMs: st.workerLoopMaxMs };
    throw err;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await Promise.all(ctl.map((c) => c.proc.stop('SIGTERM', 5_000)));
    await db.drop().catch((err) => log(`could not drop ${db.name}: ${err.message}`));
  }
}

function report(results) {
  const cols = results.map((r) => `${r.runtimes} runtimes${r.mode === 'default' ? '' : `, ${r.mode}`}`);
  // A size that failed shows the phases it finished; the rest read "—".
  const row = (label, f) =>
    [label, ...results.map((r) => {
      try {
        return String(f(r));
      } catch {
        return '—';
      }
    })];
  const c = (r, id) => r.controllers.find((x) => x.id === id);
  return markdownTable(
    ['', ...cols],
    [
      row('config client stream mode', (r) => r.clientMode ?? 'full (no switch)'),
      row('fleet connect → all applied (ms)', (r) => r.connectMs),
      row('runtimes on ctl-1 / ctl-2', (r) => `${c(r, 'ctl-1').connected} / ${c(r, 'ctl-2').connected}`),
      row('deploy → all applied p50 (ms)', (r) => r.deploy.p50Ms),
      row(`deploy → all applied p99 (ms; goal < ${GOALS.deployP99Ms} at 1,000)`, (r) => r.deploy.p99Ms),
      row('deploy → the first runtime applied, p50 (ms)', (r) => r.deploy.firstAppliedP50Ms),
      row('controller event-loop delay during fan-out: max / p99 of p99 (ms)', (r) => `${r.deploy.eventLoop.maxMs} / ${r.deploy.eventLoop.p99OfP99Ms}`),
      row('controller fan-out, snapshot → every stream served: p50 / p99 / max (ms)', (r) => `${r.deploy.fanOut.p50Ms} / ${r.deploy.fanOut.p99Ms} / ${r.deploy.fanOut.maxMs}`),
      row('controller CPU during deploys ctl-1 / ctl-2 (%)', (r) => r.deploy.controllerCpuPercent.join(' / ')),
      row('simulating processes\' CPU during deploys, all together (% of a core)', (r) => r.deploy.workersCpuPercent),
      row(`writes/s, ${flags.clients} clients (goal ≥ ${GOALS.writesPerS} at 500)`, (r) => r.writes.perS),
      row('failed writes (goal 0)', (r) => r.writes.failures),
      row('fleet converged after the last write (ms)', (r) => r.writes.convergeAfterLastWriteMs),
      row('controller idle CPU with the fleet ctl-1 / ctl-2 (%)', (r) => `${c(r, 'ctl-1').idleCpuPercent} / ${c(r, 'ctl-2').idleCpuPercent}`),
      row('controller RSS ctl-1 / ctl-2 (MiB)', (r) => `${c(r, 'ctl-1').rssMiB} / ${c(r, 'ctl-2').rssMiB}`),
      row('controller RSS per connected runtime ctl-1 / ctl-2 (KiB)', (r) => `${c(r, 'ctl-1').rssPerRuntimeKiB} / ${c(r, 'ctl-2').rssPerRuntimeKiB}`),
      row('fleet reconnects so far: after connect / deploys / writes', (r) => `${r.reconnects.connect} / ${r.reconnects.idleAndDeploys} / ${r.reconnects.writes}`),
      row('simulating processes: event-loop delay max after connect / deploys / writes (ms)', (r) => `${r.workerLoopMaxMs.connect} / ${r.workerLoopMaxMs.deploys} / ${r.workerLoopMaxMs.writes}`),
      row('SIGKILL of the busier replica: runtimes moved', (r) => `${r.resync.runtimesMoved} (${r.resync.killed})`),
      row('… whole fleet reconnected to the survivor / and in sync (ms)', (r) => `${r.resync.allReconnectedMs} / ${r.resync.allInSyncMs}`),
      row('… deploy during the storm (status, ms)', (r) => `${r.resync.deployDuringStorm.status}, ${r.resync.deployDuringStorm.answeredMs}`),
      row('… survivor event-loop delay max during the storm (ms)', (r) => r.resync.survivorEventLoop.maxMs),
    ],
  );
}

function goals(results) {
  const lines = [];
  for (const r of results) {
    const label = `${r.runtimes}${r.mode === 'default' ? '' : ` (${r.mode})`}`;
    if (r.error) {
      lines.push(`${label}: FAILED: ${r.error}${r.atFailure ? ` (then: ${r.atFailure.connected} connected, ${r.atFailure.reconnects} reconnects so far, ${JSON.stringify(r.atFailure.downReasons)})` : ''}`);
      continue;
    }
    if (r.runtimes >= GOALS.deployP99AtRuntimes) lines.push(`${label}: deploy → all applied p99 < 1 s: ${r.deploy.p99Ms < GOALS.deployP99Ms ? 'yes' : '**no**'} (${r.deploy.p99Ms} ms)`);
    if (r.runtimes >= GOALS.writesAtRuntimes) lines.push(`${label}: writes ≥ 150/s: ${r.writes.perS >= GOALS.writesPerS ? 'yes' : '**no**'} (${r.writes.perS}/s)`);
    lines.push(`${label}: no deploy API request failed: ${r.writes.failures === 0 && r.resync.deployDuringStorm.ok ? 'yes' : '**no**'}`);
  }
  return lines.map((l) => `- ${l}`).join('\n');
}

async function main() {
  preflight(['libs/runtime/config-client/dist/index.js']);
  const run = startBenchRun('fleet');
  log(`fleet bench: ${SIZES.join(', ')} runtimes, modes ${MODES.join(', ')}, ${flags.apis} APIs; machine ${JSON.stringify(run.machine)}`);
  const results = await runBenchCases(
    MODES.flatMap((mode) =>
      SIZES.map((size) => {
        const out = { runtimes: size, mode };
        return { label: `${size} runtimes`, limitMs: 12 * 60_000, out, run: () => runSize(size, mode, path.join(run.logDir, `${mode}-${size}`), out) };
      }),
    ),
    log,
  );
  finishBenchRun(run, { flags, goals: GOALS, results }, `${report(results)}\n\nGoals:\n${goals(results)}`);
  if (results.some((r) => r.error)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
