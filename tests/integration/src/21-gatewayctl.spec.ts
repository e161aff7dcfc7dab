// gatewayctl, the operator CLI, run as a process (the BUILT apps/gatewayctl/dist/main.js)
// against a real controller and runtime (mutual TLS config stream, one PostgreSQL):
// GATEWAY_URL always starts with a dead URL, so every command proves it is skipped. YAML
// and JSON inputs, local validation naming file, line and field (nothing sent), diff exit
// codes 0/1/2, `apply --wait` returning only once the runtime serves the change, history,
// rollback, delete, export, status and runtimes, and a wait that times out naming the laggard.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { createTempDatabase, type TempDatabase } from '@gw/store/testing';
import { freePort, tempDirs, waitFor } from '@gw/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  authHeaders,
  startControllerProcess,
  startRuntimeProcess,
  waitControllerReady,
  waitRuntimeOn,
  type ControllerProcess,
  type RuntimeProcess,
} from './support/gateway-processes.js';
import { http } from './support/http.js';
import { repoRoot, stopAll } from './support/processes.js';
import { startRecordingUpstream, type RecordingUpstream } from './support/recording-upstream.js';

const cli = path.join(repoRoot, 'apps', 'gatewayctl', 'dist', 'main.js');
const dirs = tempDirs('gw-gatewayctl-it-');

let db: TempDatabase;
let upA: RecordingUpstream;
let upB: RecordingUpstream;
let ctl: ControllerProcess;
let rt: RuntimeProcess;
let deadUrl: string;
let work: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function gatewayctl(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: work,
    env: { PATH: process.env['PATH'] ?? '', GATEWAY_URL: `${deadUrl},${ctl.http}`, GATEWAY_TOKEN: ADMIN_TOKEN, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/** Runs gatewayctl and expects `code`; the failure message shows everything it printed. */
async function expectRun(args: string[], code: number, env?: Record<string, string>): Promise<Run> {
  const r = await gatewayctl(args, env);
  expect(r.code, `gatewayctl ${args.join(' ')} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`).toBe(code);
  return r;
}

function write(file: string, text: string): string {
  const p = path.join(work, file);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

async function throughRuntime(p: string): Promise<{ status: number; upstream?: string }> {
  const res = await http('GET', `${rt.proxy}${p}`, { timeoutMs: 10_000 });
  return { status: res.status, ...(res.status === 200 ? { upstream: res.json().upstream } : {}) };
}

async function storedApis(): Promise<{ names: string[]; configVersion: number }> {
  const res = await http('GET', `${ctl.http}/v1/apis`, { headers: authHeaders });
  expect(res.status).toBe(200);
  const body = res.json();
  return { names: body.items.map((i: any) => i.api.name), configVersion: body.configVersion };
}

const ordersYaml = (upstream: string) => `# one API per file, in YAML
name: orders
basePath: /orders
upstream:
  targets:
    - url: ${upstream}
`;

beforeAll(async () => {
  work = dirs.make();
  db = await createTempDatabase();
  [upA, upB] = [await startRecordingUpstream('A'), await startRecordingUpstream('B')];
  // Nothing listens here: the first URL of every GATEWAY_URL.
  deadUrl = `http://127.0.0.1:${await freePort()}`;
  ctl = await startControllerProcess({ id: 'ctl-1', databaseUrl: db.url, env: { FLEET_HEARTBEAT_MS: '1000', FLEET_STALE_AFTER_MS: '5000', CHANGE_FEED_POLL_MS: '500' } });
  await waitControllerReady(ctl);
  rt = await startRuntimeProcess({ id: 'rt-a1', zone: 'a', controllers: ctl.grpc });
  await waitRuntimeOn(rt, 'ctl-1');
}, 60_000);

afterAll(async () => {
  await stopAll();
  await Promise.all([upA?.close(), upB?.close()]);
  await db?.drop();
  dirs.removeAll();
});

describe('gatewayctl against a controller and a runtime', () => {
  it('refuses an invalid file before sending anything, naming file, line and field (apply exit 1, diff exit 2)', async () => {
    const before = await storedApis();
    write('bad/a-orders.yaml', ordersYaml(upA.url));
    write('bad/b-users.yaml', 'name: users\nbasePath: /users\nupstream:\n  targets:\n    - url: not-a-url\n');
    write('bad/c-list.json', JSON.stringify({ apis: [{ name: 'stock', basePath: 'stock', upstream: { targets: [{ url: upA.url }] } }] }, null, 2));

    const apply = await expectRun(['apply', '-f', 'bad'], 1);
    expect(apply.stderr).toMatch(/bad\/b-users\.yaml:5:7: upstream\.targets\[0\]\.url: /);
    expect(apply.stderr).toMatch(/bad\/c-list\.json:\d+:\d+: apis\[0\]\.basePath: /);
    expect(apply.stderr).toContain('nothing was sent');
    expect(apply.stderr).not.toContain('a-orders');
    const diff = await expectRun(['diff', '-f', 'bad'], 2);
    expect(diff.stderr).toContain('upstream.targets[0].url');
    // Nothing reached the controller: no API, the same config version.
    expect(await storedApis()).toEqual(before);

    // Valid one by one, refused by the controller as a set (two APIs claim /same): its
    // problems point into the request body, gatewayctl names the files instead.
    write('conflict/x.yaml', 'name: x\nbasePath: /same\nupstream: {targets: [{url: "http://127.0.0.1:1"}]}\n');
    write('conflict/y.json', JSON.stringify({ apis: [{ name: 'y', basePath: '/same', upstream: { targets: [{ url: 'http://127.0.0.1:1' }] } }] }));
    const conflict = await expectRun(['apply', '-f', 'conflict'], 1);
    expect(conflict.stderr).toMatch(/^gatewayctl: Route conflict: /);
    expect(conflict.stderr).toContain('conflict/y.json: apis[0].basePath: any host/same is already claimed by API "x" (conflict/x.yaml)');
    expect((await expectRun(['diff', '-f', 'conflict'], 2)).stderr).toContain('conflict/y.json: apis[0].basePath: ');
    expect(await storedApis()).toEqual(before);
  });

  it('diff exits 1 then 0 around apply --wait (YAML and JSON); the runtime serves the change the moment apply returns', async () => {
    write('apis/orders.yaml', ordersYaml(upA.url));
    write('apis/more.json', JSON.stringify({ apis: [{ name: 'users', basePath: '/users', upstream: { targets: [{ url: upA.url }] } }, { name: 'stock', basePath: '/stock', upstream: { targets: [{ url: upA.url }] } }] }));
    write('apis/README.txt', 'not a definition: ignored');

    const diff = await expectRun(['diff', '-f', 'apis'], 1);
    expect(diff.stdout).toContain('+ orders (to create)');
    expect(diff.stdout).toContain('+ users (to create)');
    expect(diff.stdout).toContain('+ stock (to create)');
    expect((await storedApis()).names).toEqual([]);

    const apply = await expectRun(['apply', '-f', 'apis', '--wait', '--timeout', '30s'], 0);
    expect(apply.stdout).toMatch(/applied as config version \d+/);
    expect(apply.stderr).toMatch(/zone a: 1\/1 connected runtime\(s\) run version \d+/);
    // No polling here: the moment apply --wait returned, the runtime serves all three.
    expect(await throughRuntime('/orders/1')).toEqual({ status: 200, upstream: 'A' });
    expect(await throughRuntime('/users/1')).toEqual({ status: 200, upstream: 'A' });
    expect(await throughRuntime('/stock/1')).toEqual({ status: 200, upstream: 'A' });
    await expectRun(['diff', '-f', 'apis'], 0);

    // A change of one field: diff names it; apply --wait returns once the runtime routes to B.
    write('apis/orders.yaml', ordersYaml(upB.url));
    const changed = await expectRun(['diff', '-f', 'apis'], 1);
    expect(changed.stdout).toContain('~ orders (to update)');
    expect(changed.stdout).toContain(`~ /upstream/targets/0/url: "${upA.url}" -> "${upB.url}"`);
    expect(changed.stdout).toContain('2 API(s) unchanged');
    const json = JSON.parse((await expectRun(['diff', '-f', 'apis', '-o', 'json'], 1)).stdout);
    expect(json.changes).toEqual({ create: [], update: ['orders'], delete: [], unchanged: ['stock', 'users'] });
    // --if-match: refused (412, nothing changed) against a version the fleet has moved past,
    // applied against the one the reviewed diff saw.
    const stale = await expectRun(['apply', '-f', 'apis', '--if-match', String(json.configVersion - 1)], 1);
    expect(stale.stderr).toMatch(/precondition|412|config version/i);
    expect(await throughRuntime('/orders/2')).toEqual({ status: 200, upstream: 'A' });
    await expectRun(['apply', '-f', 'apis', '--if-match', 'seven'], 2);
    await expectRun(['apply', '-f', 'apis', '--if-match', String(json.configVersion), '--wait'], 0);
    expect(await throughRuntime('/orders/2')).toEqual({ status: 200, upstream: 'B' });
  });

  it('get, history, rollback --wait, delete, export and apply --prune', async () => {
    const list = JSON.parse((await expectRun(['get', 'apis', '-o', 'json'], 0)).stdout);
    expect(list.items.map((i: any) => i.api.name)).toEqual(['orders', 'stock', 'users']);
    const table = (await expectRun(['get', 'apis'], 0)).stdout;
    expect(table.split('\n')[0]).toMatch(/^NAME\s+REVISION\s+HOSTS\s+BASE PATH/);
    expect(table).toMatch(/^orders\s+2\s+\*\s+\/orders\s+0\s+1\s/m);
    expect(table).not.toContain('\u001b['); // piped: no colour
    const one = (await expectRun(['get', 'apis', 'orders', '-o', 'yaml'], 0)).stdout;
    expect(one).toContain(`url: ${upB.url}`);
    const missing = await expectRun(['get', 'apis', 'nope'], 1);
    expect(missing.stderr).toMatch(/API not found: /);

    const history = (await expectRun(['history', 'orders'], 0)).stdout;
    expect(history).toMatch(/^2\s+\d+\s+written\s/m);
    expect(history).toMatch(/^1\s+\d+\s+written\s/m);

    const rollback = await expectRun(['rollback', 'orders', '--to', '1', '--wait'], 0);
    expect(rollback.stdout).toMatch(/rolled back orders to revision 1: now revision 3/);
    expect(await throughRuntime('/orders/3')).toEqual({ status: 200, upstream: 'A' });

    const deleted = await expectRun(['delete', 'api', 'stock'], 0);
    expect(deleted.stdout).toMatch(/deleted api stock \(revision \d+, config version \d+\)/);
    expect((await storedApis()).names).toEqual(['orders', 'users']);

    // export → a file apply reads back: the fleet matches it.
    await expectRun(['export', '-o', 'fleet.yaml'], 0);
    expect(fs.readFileSync(path.join(work, 'fleet.yaml'), 'utf8')).toMatch(/^apis:\n/);
    await expectRun(['diff', '-f', 'fleet.yaml'], 0);

    // --prune: only orders stays.
    write('only-orders/orders.yaml', ordersYaml(upA.url));
    const prunePlan = await expectRun(['diff', '-f', 'only-orders', '--prune'], 1);
    expect(prunePlan.stdout).toContain('- users (to delete)');
    const dry = await expectRun(['apply', '-f', 'only-orders', '--prune', '--dry-run'], 0);
    expect(dry.stdout).toContain('- users (would delete)');
    expect((await storedApis()).names).toEqual(['orders', 'users']);
    await expectRun(['apply', '-f', 'only-orders', '--prune', '--wait'], 0);
    expect((await storedApis()).names).toEqual(['orders']);
    expect((await throughRuntime('/users/1')).status).toBe(404);
  });

  it('status, runtimes, connection errors and exit codes', async () => {
    const status = JSON.parse((await expectRun(['status', '-o', 'json'], 0)).stdout);
    expect(status.zones.a.connected).toBe(1);
    const statusTable = (await expectRun(['status', '--wait-for', String(status.config.version)], 0)).stdout;
    expect(statusTable).toMatch(/^a\s+1\s+1\s+1\s+0\s+0\s+0\s+0$/m);
    const runtimes = (await expectRun(['runtimes', '--zone', 'a'], 0)).stdout;
    expect(runtimes).toMatch(/^rt-a1\s+a\s+ctl-1\s+connected\s+\d+\s+yes\s/m);

    const down = await expectRun(['get', 'apis'], 1, { GATEWAY_URL: deadUrl });
    expect(down.stderr).toContain(`no controller answered (${deadUrl}: ECONNREFUSED`);
    const wrongToken = await expectRun(['get', 'apis', '--token', 'wrong'], 1);
    expect(wrongToken.stderr).toMatch(/^gatewayctl: Unauthorized: /);
    const noUrl = await expectRun(['status'], 2, { GATEWAY_URL: '' });
    expect(noUrl.stderr).toContain('no controller URL: set GATEWAY_URL or pass --url');
    await expectRun(['apply'], 2);
    await expectRun(['diff', '-f', 'does-not-exist'], 2);
  });

  it('apply --wait times out, exit 1, naming the runtime that does not run the change', async () => {
    // A runtime in zone b that refuses any config of more than one API (it NACKs).
    const small = await startRuntimeProcess({ id: 'rt-b1', zone: 'b', controllers: ctl.grpc, env: { RUNTIME_MAX_APIS: '1' } });
    await waitRuntimeOn(small, 'ctl-1');
    // The fleet view must know it before the wait starts, or there is nobody to wait for.
    await waitFor('rt-b1 connected in /v1/runtimes', async () => {
      const res = await http('GET', `${ctl.http}/v1/runtimes?zone=b`, { headers: authHeaders });
      return res.json().runtimes.some((r: any) => r.runtimeId === 'rt-b1' && r.state === 'connected');
    });
    write(
      'two/apis.yaml',
      ['apis:', '  - name: orders', '    basePath: /orders', '    upstream:', `      targets: [{ url: "${upA.url}" }]`, '  - name: users', '    basePath: /users', '    upstream:', `      targets: [{ url: "${upA.url}" }]`, ''].join('\n'),
    );
    const r = await expectRun(['apply', '-f', 'two', '--wait', '--timeout', '5s'], 1);
    expect(r.stdout).toContain('+ users (created)');
    expect(r.stderr).toMatch(/zone a: 1\/1 connected runtime\(s\) run version \d+/);
    expect(r.stderr).toMatch(/timed out after 5s: 1 connected runtime\(s\) do not run config version \d+:\n {2}rt-b1 \(zone b\) at version \d+/);
    expect(r.stderr).not.toMatch(/ {2}rt-a1 /);
    await small.proc.stop();
  });
});
