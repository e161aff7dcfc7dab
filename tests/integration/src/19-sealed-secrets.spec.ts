// Secrets sealed at rest (issue promise 5), with real processes: a controller with
// SECRETS_KEY_FILE stores the HMAC secret of an HS256 JWT key sealed (psql shows no
// plaintext), a runtime still verifies tokens with it end to end, `main.js reseal` moves
// every secret to a new key while traffic flows, and a controller with a wrong key (or
// none) refuses to start with a message that names the problem.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { signCompact, testSigningKey } from '@gw/auth/testing';
import { secretKeyId } from '@gw/secret-seal';
import { createTempDatabase } from '@gw/store/testing';
import { tempDirs, waitFor } from '@gw/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from './support/http.js';
import {
  authHeaders,
  controllerVersion,
  putApi,
  runtimeConfig,
  startControllerProcess,
  startRuntimeProcess,
  waitControllerReady,
  waitRuntimeOn,
  waitRuntimeVersion,
  withOutput,
  type ControllerProcess,
  type RuntimeProcess,
} from './support/gateway-processes.js';
import { startLoadLoop } from './support/load-loop.js';
import { repoRoot, stopAll } from './support/processes.js';
import { startRecordingUpstream, type RecordingUpstream } from './support/recording-upstream.js';

const hs = testSigningKey('HS256', 'hs-1');
const HS_SECRET = hs.jwk.k!;
const now = () => Math.floor(Date.now() / 1000);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const dirs = tempDirs('gw-sealed-');
let keyDir: string;
let db: { url: string; drop(): Promise<void> };
let upstream: RecordingUpstream;
let ctl: ControllerProcess;
let rt: RuntimeProcess;
const keys = { first: randomBytes(32), second: randomBytes(32), wrong: randomBytes(32) };

function keyFile(name: string, key: Buffer): string {
  const file = path.join(keyDir, name);
  // openssl rand -hex 32 > file
  fs.writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600 });
  return file;
}

/** Every stored definition (API rows and revisions) as psql prints it. */
function psqlRows(): string {
  return execFileSync('psql', [db.url, '-Atc', "select definition::text from apis union all select definition::text from api_revisions where definition is not null"], { encoding: 'utf8' });
}

/** `node apps/controller/dist/main.js reseal` with the given environment. */
function runReseal(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(repoRoot, 'apps/controller/dist/main.js'), 'reseal'], { env: { PATH: process.env['PATH'] ?? '', DATABASE_URL: db.url, ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  keyDir = dirs.make();
  db = await createTempDatabase();
  upstream = await startRecordingUpstream('sealed-upstream');
  ctl = await startControllerProcess({ id: 'ctl-sealed', databaseUrl: db.url, env: { SECRETS_KEY_FILE: keyFile('first.key', keys.first), CHANGE_FEED_POLL_MS: '200' } });
  await waitControllerReady(ctl);
  rt = await startRuntimeProcess({ id: 'rt-sealed', controllers: ctl.grpc, env: { CONFIG_CACHE_DIR: path.join(dirs.make(), 'cache') } });
  const res = await putApi(ctl, 'hs', { name: 'hs', basePath: '/hs', upstream: { targets: [{ url: upstream.url }] }, policies: { auth: { jwt: { keys: [{ kty: 'oct', kid: 'hs-1', k: HS_SECRET }], audiences: ['orders'] } } } });
  expect(res.status, res.body).toBeLessThan(300);
  await waitRuntimeVersion(rt, res.json().configVersion);
});

afterAll(async () => {
  await stopAll();
  await upstream?.close();
  await db?.drop();
  dirs.removeAll();
});

describe('secrets sealed at rest (controller and runtime processes)', () => {
  it('stores the HMAC secret sealed, yet the runtime verifies an HS256 JWT signed with it', async () => {
    const rows = psqlRows();
    expect(rows.trim().split('\n')).toHaveLength(2); // the API row and revision 1
    expect(rows).not.toContain(HS_SECRET);
    expect(rows).toContain(`"k": "$sealed:v1:${secretKeyId(keys.first)}:`);
    // The controller logged that it seals, not the key.
    expect(ctl.proc.output()).toContain(secretKeyId(keys.first));
    expect(ctl.proc.output()).not.toContain(keys.first.toString('hex'));

    const token = hs.sign({ sub: 'alice', aud: 'orders', exp: now() + 300 });
    const ok = await http('GET', `${rt.proxy}/hs/orders/1`, { headers: bearer(token) });
    expect(ok.status, ok.body).toBe(200);
    const forged = testSigningKey('HS256', 'hs-1').sign({ sub: 'mallory', aud: 'orders', exp: now() + 300 });
    expect((await http('GET', `${rt.proxy}/hs/orders/1`, { headers: bearer(forged) })).status).toBe(401);
    const none = signCompact({ alg: 'none', kid: 'hs-1', typ: 'JWT' }, { sub: 'x', aud: 'orders', exp: now() + 300 }, () => Buffer.alloc(0));
    expect((await http('GET', `${rt.proxy}/hs/orders/1`, { headers: bearer(none) })).status).toBe(401);
    // The deploy API masks it as before.
    const get = await http('GET', `${ctl.http}/v1/apis/hs`, { headers: authHeaders });
    expect(get.body).not.toContain(HS_SECRET);
  });

  it('reseals under a new key while traffic flows, and a controller with only the new key serves on', async () => {
    const token = hs.sign({ sub: 'bob', aud: 'orders', exp: now() + 600 });
    const versionBefore = await controllerVersion(ctl);
    const hashBefore = (await runtimeConfig(rt)).hash;
    const load = startLoadLoop({ url: (n) => `${rt.proxy}/hs/item/${n}`, headers: bearer(token), concurrency: 2, pauseMs: 5, maxRequests: 50_000, maxMs: 120_000, timeoutMs: 10_000 });
    try {
      await waitFor('traffic to flow', () => load.ok >= 50, { timeoutMs: 20_000 });

      const resealed = await runReseal({ SECRETS_KEY_FILE: keyFile('second.key', keys.second), SECRETS_PREVIOUS_KEY_FILES: keyFile('first-again.key', keys.first) });
      expect(resealed.code, resealed.stderr).toBe(0);
      expect(resealed.stdout).toContain(`resealed 2 secrets (0 were plaintext) in 1 APIs and 1 revisions under key id ${secretKeyId(keys.second)}; config version unchanged`);
      const rows = psqlRows();
      expect(rows).not.toContain(HS_SECRET);
      expect(rows).not.toContain(secretKeyId(keys.first));
      expect(rows.match(new RegExp(`\\$sealed:v1:${secretKeyId(keys.second)}:`, 'g'))).toHaveLength(2);
      // Nothing to recompile: the running controller keeps serving the same version.
      expect(await controllerVersion(ctl)).toBe(versionBefore);

      // Restart the controller with the new key only (the old one dropped).
      const okBefore = load.ok;
      expect(await ctl.proc.stop()).toBe(0);
      ctl = await startControllerProcess({ id: 'ctl-sealed', databaseUrl: db.url, httpPort: ctl.httpPort, grpcPort: ctl.grpcPort, env: { SECRETS_KEY_FILE: path.join(keyDir, 'second.key'), CHANGE_FEED_POLL_MS: '200' } });
      await waitControllerReady(ctl);
      expect(await controllerVersion(ctl)).toBe(versionBefore);
      await waitRuntimeOn(rt, 'ctl-sealed');
      expect((await runtimeConfig(rt)).hash).toBe(hashBefore);
      await waitFor('traffic to go on after the restart', () => load.ok >= okBefore + 100, { timeoutMs: 20_000 });

      // Export → apply through the new controller: the masked secret is restored from the
      // sealed store and sealed again under the new key; the runtime verifies on.
      const exported = (await http('GET', `${ctl.http}/v1/apis/hs`, { headers: authHeaders })).json().api;
      expect(exported.policies.auth.jwt.keys[0].k).toBe('[REDACTED]');
      const res = await putApi(ctl, 'hs', exported);
      expect(res.status, res.body).toBe(200);
      await waitRuntimeVersion(rt, res.json().configVersion);
      // The API row and revisions 1 and 2.
      expect(psqlRows().match(new RegExp(`\\$sealed:v1:${secretKeyId(keys.second)}:`, 'g'))).toHaveLength(3);
      const okNow = load.ok;
      await waitFor('traffic on the new version', () => load.ok >= okNow + 50, { timeoutMs: 20_000 });
    } finally {
      const result = await load.stop();
      expect(result.failures, JSON.stringify(result.failures, null, 1)).toEqual([]);
      expect(result.stoppedBy, 'the load loop ran to the end of the test, not into a cap').toBe('caller');
    }
  });

  it('a controller with a wrong key, or none, exits non-zero and says which key id it lacks', async () => {
    const wrong = await startControllerProcess({ id: 'ctl-wrong-key', databaseUrl: db.url, env: { SECRETS_KEY_FILE: keyFile('wrong.key', keys.wrong) } });
    expect(await withOutput(wrong.proc, wrong.proc.exited)).not.toBe(0);
    expect(wrong.proc.output()).toContain('GW_SECRET_KEY_UNKNOWN');
    expect(wrong.proc.output()).toContain(`sealed under key id ${secretKeyId(keys.second)}, which this controller does not hold`);
    expect(wrong.proc.output()).toContain('SECRETS_KEY_FILE is not the key the database was sealed with');

    const keyless = await startControllerProcess({ id: 'ctl-no-key', databaseUrl: db.url });
    expect(await withOutput(keyless.proc, keyless.proc.exited)).not.toBe(0);
    expect(keyless.proc.output()).toContain('GW_SECRET_KEY_REQUIRED');

    const garbage = await startControllerProcess({ id: 'ctl-bad-key-file', databaseUrl: db.url, env: { SECRETS_KEY_FILE: keyFile('short.key', randomBytes(16)) } });
    expect(await withOutput(garbage.proc, garbage.proc.exited)).not.toBe(0);
    expect(garbage.proc.output()).toContain('GW_SECRET_KEY_INVALID');
    expect(garbage.proc.output()).toContain('SECRETS_KEY_FILE');

    // The serving controller and runtime were not disturbed.
    const token = hs.sign({ sub: 'carol', aud: 'orders', exp: now() + 300 });
    expect((await http('GET', `${rt.proxy}/hs/x`, { headers: bearer(token) })).status).toBe(200);
  });
});
