// One process of simulated runtimes for bench/fleet.mjs: `count` clients of the project's
// real config-client library (libs/runtime/config-client, built), each with its own
// identity (RUNTIME_ID-like node id), zone and gRPC stream (its own channel). A simulated
// runtime "applies" a snapshot by keeping its version, epoch and hash: what is measured is
// the controller side and the stream, not a runtime's routing table.
//
// Talks to the parent over IPC:
//   parent → { type: 'status' }              → { type: 'status', connected, byController, minVersion, count, streams,
//                                                downReasons, loopMaxMs (this process's event-loop delay since the last status),
//                                                cpuS (this process's CPU seconds since it started) }
//   parent → { type: 'watch', version, id }  → { type: 'reached', id, at } once every client runs ≥ version
//                                              (at: the ms time the last one applied it; first: the first one's apply
//                                              time of the newest version each runs, = the first apply of `version`
//                                              when deploys go one at a time)
//   parent → { type: 'stop' }                → stops every client, exits
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { ConfigClient } = await import(path.join(ROOT, 'libs/runtime/config-client/dist/index.js'));

const [prefix, countText, addressesText, mode = 'default'] = process.argv.slice(2);
const count = Number(countText);
const addresses = addressesText.split(',').map((a) => {
  const [zone, address] = a.split('=');
  return { zone, address };
});
const zones = [...new Set(addresses.map((a) => a.zone))];
const now = () => performance.timeOrigin + performance.now();

/**
 * Why streams went down, counted by reason (the client's own "config stream down" warnings):
 * tells a controller that ended streams from keepalive timeouts.
 */
const downReasons = new Map();
const countingLogger = {
  debug() {},
  info() {},
  error() {},
  warn(fields, msg) {
    if (msg.startsWith('config stream down')) {
      const reason = String(fields.reason ?? msg).replace(/\d+/g, 'N').slice(0, 120);
      downReasons.set(reason, (downReasons.get(reason) ?? 0) + 1);
    }
  },
  child() {
    return countingLogger;
  },
};
// This process's own event-loop delay: a worker too busy decoding snapshots would miss its
// clients' keepalive answers and drop streams itself; the bench reports it to tell.
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

/** Pending watches: version → { id, last } (last: when the most recent client reached it). */
const watches = new Map();

const sims = Array.from({ length: count }, (_, i) => {
  const sim = { id: `${prefix}-${String(i).padStart(4, '0')}`, applied: undefined, appliedAt: 0 };
  sim.client = new ConfigClient({
    addresses,
    // Zones alternate, so the fleet spreads over the replicas by zone preference.
    node: { id: sim.id, zone: zones[i % zones.length], buildVersion: 'bench' },
    applied: () => sim.applied,
    logger: countingLogger,
    // The stream mode (delta or full); `default` leaves the library's default.
    ...(mode === 'default' ? {} : { mode }),
    apply: (snapshot) => {
      sim.applied = { version: snapshot.version, epoch: snapshot.epoch, hash: snapshot.hash };
      sim.appliedAt = now();
      checkWatches();
      return { ok: true };
    },
    // Keepalive as the runtime's defaults; backoff as the runtime's defaults.
  });
  return sim;
});

function checkWatches() {
  for (const [version, w] of watches) {
    let last = 0;
    let first = Infinity;
    for (const s of sims) {
      if ((s.applied?.version ?? -1) < version) return;
      last = Math.max(last, s.appliedAt);
      first = Math.min(first, s.appliedAt);
    }
    watches.delete(version);
    process.send({ type: 'reached', id: w.id, version, at: last, first });
  }
}

process.on('message', (msg) => {
  if (msg.type === 'status') {
    const byController = {};
    let connected = 0;
    let minVersion = Infinity;
    let streams = 0;
    for (const s of sims) {
      const st = s.client.status;
      streams += st.connects;
      if (st.connected) {
        connected++;
        byController[st.controllerId] = (byController[st.controllerId] ?? 0) + 1;
      }
      minVersion = Math.min(minVersion, s.applied?.version ?? -1);
    }
    // streams: streams opened since start (a client's first one included): streams - count = reconnects.
    const cpu = process.cpuUsage();
    process.send({ type: 'status', connected, byController, minVersion, count, streams, downReasons: Object.fromEntries(downReasons), loopMaxMs: loop.max / 1e6, clientMode: sims[0]?.client.mode, cpuS: (cpu.user + cpu.system) / 1e6 });
    loop.reset();
  } else if (msg.type === 'watch') {
    watches.set(msg.version, { id: msg.id });
    checkWatches();
  } else if (msg.type === 'stop') {
    Promise.all(sims.map((s) => s.client.stop())).finally(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));

// Start the clients spread over a second, as a fleet that boots does not connect in one tick.
for (let i = 0; i < sims.length; i++) {
  sims[i].client.start();
  if (i % 25 === 24) await new Promise((r) => setTimeout(r, 20));
}
process.send({ type: 'started', count });
