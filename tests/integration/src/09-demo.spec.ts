// `npm start` runs `node apps/demo/dist/main.js` after the build: the whole topology as
// local processes on an embedded PostgreSQL (PGlite). This spec runs exactly that, without
// DATABASE_URL, drives it like an operator (deploy through one controller, traffic through
// a runtime in each zone) and checks that Ctrl-C leaves no process behind.
import { type ChildProcess, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@gw/test-kit';
import { http } from './support/http.js';
import { repoRoot } from './support/processes.js';

interface Node {
  name: string;
  zone: string;
  pid: number | null;
}
interface DemoState {
  pid: number;
  workDir: string;
  logsDir: string;
  certsDir: string;
  adminToken: string;
  database: { url: string; embedded: boolean };
  zones: string[];
  controllers: (Node & { http: string; grpc: string })[];
  runtimes: (Node & { proxy: string; admin: string })[];
  upstreams: (Node & { url: string })[];
}

const demoMain = path.join(repoRoot, 'apps', 'demo', 'dist', 'main.js');
let dir: string;
let stateFile: string;
let demo: ChildProcess;
let demoOutput: () => string = () => '';
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
let state: DemoState;

/** The environment of a shell without DATABASE_URL or REDIS_URL (the demo must embed PostgreSQL). */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'DATABASE_URL' && k !== 'REDIS_URL' && !k.startsWith('DEMO_')) env[k] = v;
  return env;
}

function runDemo(args: string[]): { child: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>; output: () => string } {
  const child = spawn(process.execPath, [demoMain, ...args], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited: done, output: () => out };
}

/** Whether a process runs; a zombie (exited, not yet reaped by a non-reaping init) does not count. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..." where S is the state; Z is a zombie.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** On failure, the end of every child's log (they live in the demo's work dir until it exits). */
async function withLogs<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    let logs = '';
    for (const f of fs.existsSync(state.logsDir) ? fs.readdirSync(state.logsDir) : []) {
      const lines = fs.readFileSync(path.join(state.logsDir, f), 'utf8').trimEnd().split('\n').slice(-15);
      logs += `\n--- ${f} ---\n${lines.join('\n')}`;
    }
    throw new Error(`${(err as Error).message}\n--- demo output ---\n${demoOutput().slice(-2000)}${logs}`);
  }
}

function childPids(s: DemoState): number[] {
  return [...s.controllers, ...s.runtimes, ...s.upstreams].map((n) => n.pid).filter((p): p is number => typeof p === 'number');
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-demo-spec-'));
  stateFile = path.join(dir, 'state.json');
  const run = runDemo(['--zones', '3', '--runtimes-per-zone', '1', '--controllers', '2', '--port-base', '0', '--state-file', stateFile]);
  demo = run.child;
  exited = run.exited;
  demoOutput = run.output;
  await waitFor(
    'the demo to print its endpoints',
    () => {
      if (demo.exitCode !== null) throw new Error(`the demo exited early (${demo.exitCode}):\n${demoOutput()}`);
      return demoOutput().includes('Press Ctrl-C to stop everything.') && fs.existsSync(stateFile);
    },
    { timeoutMs: 110_000, intervalMs: 200 },
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n--- demo output ---\n${demoOutput()}`);
  });
  state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as DemoState;
});

afterAll(async () => {
  // Only if a test failed before the SIGINT test: kill what we know, by pid.
  if (demo && demo.exitCode === null && demo.signalCode === null) {
    demo.kill('SIGKILL');
    await exited;
  }
  for (const pid of state ? childPids(state) : []) {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  if (state?.workDir) fs.rmSync(state.workDir, { recursive: true, force: true });
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('npm start: the local HA demo', () => {
  it('prints the endpoints, the admin token and copy-paste commands, and reports its processes', () => {
    expect(state.database.embedded).toBe(true);
    expect(state.database.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    expect(state.zones).toEqual(['a', 'b', 'c']);
    expect(state.controllers.map((c) => c.zone)).toEqual(['a', 'b']);
    expect(state.runtimes.map((r) => `${r.name}/${r.zone}`)).toEqual(['rt-a1/a', 'rt-b1/b', 'rt-c1/c']);
    expect(state.adminToken.length).toBeGreaterThanOrEqual(24);
    expect(demoOutput()).toContain(state.adminToken);
    for (const c of state.controllers) expect(demoOutput()).toContain(c.http);
    for (const r of state.runtimes) {
      expect(demoOutput()).toContain(`curl -sS ${r.proxy}/hello/world`);
      expect(demoOutput()).toContain(r.admin);
    }
    expect(demoOutput()).toContain(`curl -sS -X PUT ${state.controllers[0]!.http}/v1/apis/hello`);
    const pids = childPids(state);
    expect(pids).toHaveLength(2 + 3 + 3);
    for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(true);
  });

  it('creates a CA and a certificate per member at start and hands each process its TLS files', () => {
    const file = (name: string) => path.join(state.certsDir, name);
    const ca = new X509Certificate(fs.readFileSync(file('ca.crt')));
    expect(ca.ca).toBe(true);
    expect(fs.statSync(file('ca.key')).mode & 0o777).toBe(0o600);
    /** The environment a child process was started with (Linux: /proc/<pid>/environ). */
    const environ = (pid: number | null) =>
      Object.fromEntries(
        fs
          .readFileSync(`/proc/${pid}/environ`, 'utf8')
          .split('\0')
          .filter(Boolean)
          .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
      );
    for (const c of state.controllers) {
      const cert = new X509Certificate(fs.readFileSync(file(`controller-${c.name}.crt`)));
      expect(cert.verify(ca.publicKey), c.name).toBe(true);
      // Runtimes dial 127.0.0.1: the certificate must be valid for it.
      expect(cert.checkIP(c.grpc.split(':')[0]!), c.name).toBe(c.grpc.split(':')[0]);
      expect(cert.subjectAltName).toContain(`URI:spiffe://gateway/controller/${c.name}`);
      expect(environ(c.pid)).toMatchObject({
        CONFIG_TLS_CERT_FILE: file(`controller-${c.name}.crt`),
        CONFIG_TLS_KEY_FILE: file(`controller-${c.name}.key`),
        CONFIG_TLS_CLIENT_CA_FILE: file('ca.crt'),
      });
    }
    for (const r of state.runtimes) {
      const cert = new X509Certificate(fs.readFileSync(file(`runtime-${r.name}.crt`)));
      expect(cert.verify(ca.publicKey), r.name).toBe(true);
      expect(cert.subjectAltName).toBe(`URI:spiffe://gateway/runtime/${r.name}`);
      expect(fs.statSync(file(`runtime-${r.name}.key`)).mode & 0o777).toBe(0o600);
      expect(environ(r.pid)).toMatchObject({
        RUNTIME_ID: r.name,
        CONTROLLER_TLS_CA_FILE: file('ca.crt'),
        CONTROLLER_TLS_CERT_FILE: file(`runtime-${r.name}.crt`),
        CONTROLLER_TLS_KEY_FILE: file(`runtime-${r.name}.key`),
      });
    }
    // The banner says where they are and how to look at one.
    expect(demoOutput()).toContain(`certificates ${state.certsDir}`);
    expect(demoOutput()).toContain(`certs show ${file(`runtime-${state.runtimes[0]!.name}.crt`)}`);
  });

  it('the controllers detected that PGlite does not deliver NOTIFY across connections and poll', () => {
    for (const c of state.controllers) {
      const log = fs.readFileSync(path.join(state.logsDir, `${c.name}.log`), 'utf8');
      const chosen = log
        .split('\n')
        .filter((l) => l.includes('change feed mode chosen'))
        .map((l) => JSON.parse(l) as { mode: string; requested: string });
      expect(chosen, `${c.name} log`).toEqual([expect.objectContaining({ mode: 'poll', requested: 'auto' })]);
    }
  });

  it('its printed deploy-and-call block works when pasted: the wait on the configVersion comes before any traffic, which all answers 200', async () => {
    // The block as printed: from `export TOKEN` up to the fleet page link, run by bash as a user would paste it.
    const printed = demoOutput().split('\n');
    const from = printed.findIndex((l) => l.startsWith('  export TOKEN='));
    const to = printed.findIndex((l, i) => i > from && l.startsWith('  # the fleet page'));
    expect(from, 'the banner has the block').toBeGreaterThan(0);
    expect(to).toBeGreaterThan(from);
    const block = printed.slice(from, to).map((l) => l.replace(/^  /, '')).join('\n');
    expect(block).toContain('waitForVersion=$V');
    const run = spawn('bash', ['-euo', 'pipefail', '-c', block], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    run.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    run.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => run.once('exit', resolve));
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toMatch(/config version \d+: HTTP 200/);
    // One JSON answer per zone, each from a sample upstream: no 404 from a runtime that had not applied the deploy yet.
    const answers = stdout.match(/\{"upstream":"upstream-[a-z]+"/g) ?? [];
    expect(answers, stdout).toHaveLength(state.zones.length);
    expect(stdout).not.toContain('GW_NO_ROUTE');
  });

  it('deploys an API through one controller and serves it through a runtime in each zone', async () => {
    const [ctl1, ctl2] = state.controllers;
    // A name of its own (the pasted block above made `hello`): a create, so exactly 201.
    const api = { name: 'hello-ctl', basePath: '/hello-ctl', upstream: { targets: state.upstreams.map((u) => ({ url: u.url, zone: u.zone })) } };
    const put = await http('PUT', `${ctl1!.http}/v1/apis/hello-ctl`, {
      headers: { authorization: `Bearer ${state.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(api),
    });
    expect(put.status, put.body).toBe(201);
    const version = put.json().configVersion as number;
    // The other replica sees it too (same database).
    const viaOther = await http('GET', `${ctl2!.http}/v1/apis/hello-ctl`, { headers: { authorization: `Bearer ${state.adminToken}` } });
    expect(viaOther.status).toBe(200);
    for (const r of state.runtimes) {
      await withLogs(waitFor(`${r.name} at version ${version}`, async () => ((await http('GET', `${r.admin}/config`)).json().version ?? -1) >= version, { timeoutMs: 30_000 }));
    }
    for (const r of state.runtimes) {
      const zonesSeen = new Set<string>();
      for (let i = 0; i < 2 * state.zones.length; i++) {
        const res = await withLogs(http('GET', `${r.proxy}/hello-ctl/world?i=${i}`));
        expect(res.status, `${r.name}: ${res.body}`).toBe(200);
        const body = res.json();
        expect(body).toMatchObject({ path: `/world?i=${i}`, upstream: `upstream-${body.zone}` });
        zonesSeen.add(body.zone);
      }
      // Round robin reaches every zone's upstream, zone-aware balancing only the runtime's
      // own: either way the zone's own upstream answers.
      expect([...zonesSeen], r.name).toContain(r.zone);
      for (const z of zonesSeen) expect(state.zones).toContain(z);
    }
  });

  it('SIGINT (Ctrl-C) stops everything cleanly: exit code 0, no process left, temp files removed', async () => {
    const pids = childPids(state);
    demo.kill('SIGINT');
    const result = await Promise.race([
      exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the demo did not exit within 60 s:\n${demoOutput().slice(-3000)}`)), 60_000)),
    ]);
    expect(result, demoOutput().slice(-3000)).toEqual({ code: 0, signal: null });
    // The demo waits for its children: by the time it exits, none is left.
    for (const pid of pids) expect(alive(pid), `pid ${pid} still running`).toBe(false);
    expect(demoOutput()).toContain('stopped; no process left behind');
    // Each app drained and exited by itself (0), none needed the SIGKILL fallback.
    for (const n of [...state.controllers, ...state.runtimes, ...state.upstreams]) expect(demoOutput()).toMatch(new RegExp(`stopped \\d+ process\\(es\\):.*\\b${n.name} exit code 0\\b`));
    expect(demoOutput()).not.toContain('did not stop cleanly');
    expect(fs.existsSync(state.workDir)).toBe(false);
  });
});

describe('npm start: the demo killed outright', () => {
  it('its children notice they were orphaned and stop by themselves (SIGKILL to the demo)', async () => {
    const killDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-demo-kill-'));
    const file = path.join(killDir, 'state.json');
    const workDir = path.join(killDir, 'work');
    const run = runDemo(['--zones', '1', '--controllers', '1', '--port-base', '0', '--state-file', file, '--work-dir', workDir]);
    let pids: number[] = [];
    try {
      await waitFor(
        'the small demo to be ready',
        () => {
          if (run.child.exitCode !== null) throw new Error(`the demo exited early:\n${run.output()}`);
          return run.output().includes('Press Ctrl-C to stop everything.') && fs.existsSync(file);
        },
        { timeoutMs: 110_000, intervalMs: 200 },
      );
      pids = childPids(JSON.parse(fs.readFileSync(file, 'utf8')) as DemoState);
      expect(pids).toHaveLength(3);
      run.child.kill('SIGKILL');
      await run.exited;
      // parent-watch checks every 500 ms, then the apps drain (2 s grace in the demo).
      await waitFor('every child of the killed demo gone', () => pids.every((p) => !alive(p)), { timeoutMs: 20_000, intervalMs: 100 });
    } finally {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
      for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
      fs.rmSync(killDir, { recursive: true, force: true });
    }
  });
});

describe('npm start: start-up errors', () => {
  it('refuses a port that is in use with a clear message and exit code 2, starting nothing', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const busy = (blocker.address() as { port: number }).port;
    try {
      // The embedded PostgreSQL takes the base port itself.
      const run = runDemo(['--port-base', String(busy)]);
      const result = await run.exited;
      expect(result.code, run.output()).toBe(2);
      expect(run.output()).toContain(`port(s) ${busy}`);
      expect(run.output()).toContain('--port-base');
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('rejects an out-of-range option with the usage text', async () => {
    const run = runDemo(['--zones', '12']);
    const result = await run.exited;
    expect(result.code).toBe(2);
    expect(run.output()).toContain('--zones must be an integer between 1 and 9');
    expect(run.output()).toContain('--runtimes-per-zone N');
  });
});
