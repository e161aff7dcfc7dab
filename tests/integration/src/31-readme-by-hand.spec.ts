// The README's "Run it by hand" block, run as written by bash: two controllers, a runtime,
// the sample upstream, a deploy, a wait for the fleet, a call through the runtime. What
// differs from a paste is only what must on a shared test machine: free ports instead of the
// fixed ones, a database and a cache directory of its own, and no `npm run build` (the test
// command built everything already). Every process the block starts is in one process
// group, stopped at the end.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '@gw/test-kit';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './support/processes.js';

const adminUrl = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = `gw_readme_${process.pid}_${Date.now()}`;
const cacheDir = mkdtempSync(path.join(tmpdir(), 'gw-readme-rt-'));
let group: number | undefined;

/** The first ```sh block after the heading. */
function block(readme: string, heading: string): string {
  const at = readme.indexOf(heading);
  expect(at, `README has "${heading}"`).toBeGreaterThan(-1);
  const start = readme.indexOf('```sh\n', at) + '```sh\n'.length;
  return readme.slice(start, readme.indexOf('\n```', start));
}

async function dropDatabase(): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists ${database} with (force)`);
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  if (group !== undefined) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(cacheDir, { recursive: true, force: true });
  await dropDatabase();
});

describe('README: Run it by hand', () => {
  it('the block works when pasted: the deploy reaches the runtime and the call reaches the upstream', async () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    let script = block(readme, '### Run it by hand');
    // Exactly the fixed ports the block uses, each replaced by a free one.
    for (const port of ['8080', '8081', '9090', '9091', '8000', '9901', '3000']) {
      const occurrences = script.split(new RegExp(`\\b${port}\\b`)).length - 1;
      expect(occurrences, `port ${port} appears in the block`).toBeGreaterThan(0);
      script = script.replaceAll(new RegExp(`\\b${port}\\b`, 'g'), String(await freePort()));
    }
    const db = new URL(adminUrl);
    script = script
      .replace(/^npm run build$/m, ': built by the test command')
      .replace('createdb -h 127.0.0.1 -U postgres gateway', `createdb -h ${db.hostname} -p ${db.port || 5432} -U ${db.username || 'postgres'} ${database}`)
      .replaceAll('postgres://postgres@127.0.0.1:5432/gateway', `postgres://${db.username || 'postgres'}@${db.hostname}:${db.port || 5432}/${database}`)
      .replaceAll('/tmp/gw-rt-a1', cacheDir);
    expect(script).not.toMatch(/\/gateway\b/);

    // `until curl` waits without end when something never gets ready: the whole block is bounded.
    const child = spawn('timeout', ['150', 'bash', '-euo', 'pipefail', '-c', script], { cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } });
    group = child.pid;
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, out).toBe(0);

    const version = /"configVersion":(\d+)/.exec(out)?.[1];
    expect(version, out).toBeDefined();
    expect(out).toContain(`config version ${version}: HTTP 200`);
    expect(out, out).toMatch(/"source":"controller"/);
    expect(out, out).toMatch(/"upstream":"upstream-default".*"path":"\/42"/);
  }, 200_000);
});
