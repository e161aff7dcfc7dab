import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@gw/test-kit';

/**
 * A PostgreSQL server of the test's own (initdb in a temp dir, a free port), for tests
 * that stop and restart the database. It never touches the shared server. initdb and
 * postgres refuse to run as root, so they run as the `postgres` user when we are root.
 */
export interface PrivatePostgres {
  port: number;
  url: string;
  /** Stops the server (fast shutdown: sessions are terminated). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes its files. */
  destroy(): Promise<void>;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (fs.existsSync(path.join(root, v, 'bin', 'initdb'))) return path.join(root, v, 'bin');
  throw new Error('PostgreSQL server binaries (initdb) not found under /usr/lib/postgresql: apt-get install postgresql');
}

const asPostgres = process.getuid?.() === 0;

function run(cmd: string, args: string[]): void {
  if (asPostgres) execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' });
  else execFileSync(cmd, args, { stdio: 'pipe' });
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-pg-'));
  fs.chmodSync(dir, 0o777);
  const data = path.join(dir, 'data');
  const port = await freePort();
  if (asPostgres) execFileSync('chown', ['postgres', dir]);
  run(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;

  const pgCtl = (args: string[]) => run(path.join(bin, 'pg_ctl'), ['-D', data, ...args]);
  let running = false;
  const start = async () => {
    const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    // -w waits until the server accepts connections.
    pgCtl(['-o', opts, '-l', path.join(dir, 'postgres.log'), '-w', '-t', '60', 'start']);
    running = true;
  };
  const stop = async () => {
    if (!running) return;
    running = false;
    // Fast shutdown: sessions are terminated, as in a real outage; -w waits until it is down.
    pgCtl(['-m', 'fast', '-w', '-t', '60', 'stop']);
  };
  await start();
  return {
    port,
    url,
    start,
    stop,
    async destroy() {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
