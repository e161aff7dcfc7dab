// The running compose stack as the scenarios see it: containers found by their compose
// labels (docker-compose v1 and v2 both set them), killed, stopped and started with the
// docker CLI, and HAProxy's view of the runtimes from its stats page (published port 8404).
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const DOCKER = process.env.DOCKER || (fs.existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker');
export const PROJECT = process.env.COMPOSE_PROJECT_NAME || 'gateway';

export async function docker(...args) {
  const { stdout } = await run(DOCKER, args, { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** The container id of a compose service (running or not). */
export async function containerOf(service) {
  const id = (await docker('ps', '-aq', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--filter', `label=com.docker.compose.service=${service}`)).split('\n')[0];
  if (!id) throw new Error(`no container for service ${service} in project ${PROJECT} (is the stack up? npm run compose:up)`);
  return id;
}

export async function inspect(service) {
  return JSON.parse(await docker('inspect', await containerOf(service)))[0];
}

/**
 * A crash: SIGKILL to the container's main process from the host, so the restart policy
 * (unless-stopped) brings it back as it would after an OOM kill. `docker kill` would count
 * as a manual stop and leave it down. Where the process is not visible (a remote daemon)
 * it falls back to docker kill + docker start.
 */
export async function crash(service) {
  const info = await inspect(service);
  try {
    process.kill(info.State.Pid, 'SIGKILL');
    return 'SIGKILL (restart policy)';
  } catch {
    await docker('kill', info.Id);
    await docker('start', info.Id);
    return 'docker kill + docker start';
  }
}

export const stop = async (...services) => docker('stop', '-t', '30', ...(await Promise.all(services.map(containerOf))));
export const start = async (...services) => docker('start', ...(await Promise.all(services.map(containerOf))));

/** Restarts by the restart policy so far, per service (a crash the scenario did not cause shows here). */
export async function restartCounts() {
  const ids = (await docker('ps', '-aq', '--filter', `label=com.docker.compose.project=${PROJECT}`)).split('\n').filter(Boolean);
  const out = {};
  for (const line of (await docker('inspect', '-f', '{{index .Config.Labels "com.docker.compose.service"}} {{.RestartCount}}', ...ids)).split('\n')) {
    const [service, n] = line.split(' ');
    out[service] = Number(n);
  }
  return out;
}

/** The container's address on the compose network, by service. */
export async function addresses(services) {
  const out = new Map();
  for (const s of services) {
    const info = await inspect(s);
    for (const n of Object.values(info.NetworkSettings.Networks ?? {})) if (n.IPAddress) out.set(n.IPAddress, s);
  }
  return out;
}

/** The compose network's gateway: the host's address as containers see it. */
export async function hostAddressForContainers() {
  const info = JSON.parse(await docker('network', 'inspect', `${PROJECT}_default`))[0];
  const gw = info?.IPAM?.Config?.[0]?.Gateway;
  if (!gw) throw new Error(`network ${PROJECT}_default has no gateway address`);
  return gw;
}

/** HAProxy's status per runtime server (UP, DOWN, MAINT, "UP 1/2", …). */
export async function lbServers() {
  const res = await fetch('http://127.0.0.1:8404/stats;csv', { signal: AbortSignal.timeout(2_000) });
  const lines = (await res.text()).split('\n');
  const out = {};
  for (const l of lines) {
    const f = l.split(',');
    if (f[0] === 'runtimes' && f[1]?.startsWith('runtime-')) out[f[1]] = f[17];
  }
  return out;
}

/**
 * Runs a poller inside a runtime container against its admin port (not published): it
 * checks `path` every 100 ms and reports the time at which `predicate` (JS source, given
 * the body as `b`, parsed when JSON) first held. `ready` resolves once it polls (start it
 * before the failure), `at` to that time (ms since epoch; same clock: same host).
 */
export function watchInRuntime(service, path, predicate, timeoutMs) {
  const script = `
    const until = Date.now() + ${timeoutMs};
    const test = (b) => (${predicate});
    console.log('ready');
    (async () => {
      for (;;) {
        try {
          const t = await (await fetch('http://127.0.0.1:9901${path}', { signal: AbortSignal.timeout(1000) })).text();
          let b = t; try { b = JSON.parse(t); } catch {}
          if (test(b)) { console.log('at ' + Date.now()); return; }
        } catch {}
        if (Date.now() > until) { console.error('timed out'); process.exit(1); }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();`;
  const ready = deferred();
  const at = deferred();
  let child;
  containerOf(service).then((id) => {
    child = spawn(DOCKER, ['exec', id, 'node', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('ready')) ready.resolve();
      const m = /at (\d+)/.exec(out);
      if (m) at.resolve(Number(m[1]));
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      const e = new Error(`watching ${service} ${path} for ${predicate}: ended with ${code} ${err.trim()}`);
      ready.reject(e);
      at.reject(e);
    });
  }, (e) => {
    ready.reject(e);
    at.reject(e);
  });
  return { ready: ready.promise, at: at.promise, stop: () => child?.kill() };
}

function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((a, b) => {
    resolve = a;
    reject = b;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}
