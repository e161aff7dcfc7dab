import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@gw/test-kit';
import { Redis } from 'ioredis';

/**
 * A redis-server of the test's own on a free 127.0.0.1 port, without persistence, for
 * tests that kill, pause and restart Redis. It never touches a shared server. Every
 * child is killed when the test process exits, whatever happened.
 */
export interface PrivateRedis {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** The running server's pid (undefined while stopped). */
  readonly pid: number | undefined;
  /** SIGKILL, as in a crash; resolves once the process is gone. Data is lost (no persistence). */
  kill(): Promise<void>;
  /** Starts a fresh, empty server on the same port; resolves when it accepts commands. */
  start(): Promise<void>;
  /** SIGSTOP: the socket stays open, nothing answers (a hung server). */
  pause(): void;
  /** SIGCONT after `pause()`. */
  resume(): void;
  /** Runs one command on a short-lived connection (e.g. `CLIENT PAUSE 2000 ALL`, `DBSIZE`). */
  command(...args: (string | number)[]): Promise<unknown>;
  /** Kills the server for good and removes its directory. Idempotent. */
  destroy(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

export interface PrivateRedisOptions {
  /** More redis-server arguments (`['--cluster-enabled', 'yes']`). */
  args?: string[];
  /** Run a Sentinel (not a data node) that monitors the master on `127.0.0.1:masterPort` as `masterName`, quorum 1. */
  sentinel?: { masterPort: number; masterName: string };
}

function spawnServer(port: number, dir: string, options: PrivateRedisOptions): ChildProcess {
  let args: string[];
  if (options.sentinel) {
    // A Sentinel rewrites its config file: give it one of its own.
    const conf = path.join(dir, `sentinel-${port}.conf`);
    const { masterPort, masterName } = options.sentinel;
    fs.writeFileSync(conf, `port ${port}\nbind 127.0.0.1\nprotected-mode no\ndir ${dir}\nsentinel monitor ${masterName} 127.0.0.1 ${masterPort} 1\n`);
    args = [conf, '--sentinel', ...(options.args ?? [])];
  } else {
    args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--protected-mode', 'no', ...(options.args ?? [])];
  }
  const child = spawn(process.env['REDIS_SERVER_BIN'] ?? 'redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Resolves when the server logs that it accepts connections; rejects if it exits first or takes over 10 s. */
function waitReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => finish(new Error(`redis-server not ready after 10 s:\n${out}`)), 10_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      // A data node says it is ready; a Sentinel says what it monitors.
      if (/Ready to accept connections|\+monitor master/.test(out)) finish();
    };
    const onExit = (code: number | null) => finish(new Error(`redis-server exited (${code}) before it was ready:\n${out}`));
    const onError = (err: Error) => finish(new Error(`cannot start redis-server (${err.message}): apt-get install redis-server`));
    function finish(err?: Error) {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      // Keep draining output so a chatty server never blocks on a full pipe.
      child.stdout!.resume();
      child.stderr!.resume();
      if (err) reject(err);
      else resolve();
    }
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  installExitHook();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-redis-'));
  let child: ChildProcess | undefined;
  let port = 0;
  // A port found free can be taken before redis binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    const candidate = spawnServer(port, dir, options);
    try {
      await waitReady(candidate);
      child = candidate;
      break;
    } catch (err) {
      candidate.kill('SIGKILL');
      await exited(candidate);
      if (attempt >= 3) {
        fs.rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  let destroyed = false;

  const redis: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    async kill() {
      if (!child) return;
      const c = child;
      child = undefined;
      c.kill('SIGKILL');
      await exited(c);
    },
    async start() {
      if (destroyed) throw new Error('private redis destroyed');
      if (child) return;
      const c = spawnServer(port, dir, options);
      try {
        await waitReady(c);
      } catch (err) {
        c.kill('SIGKILL');
        await exited(c);
        throw err;
      }
      child = c;
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
    async command(...args) {
      const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, commandTimeout: 5000, connectTimeout: 5000, maxRetriesPerRequest: 0 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        return await client.call(String(args[0]), ...args.slice(1).map(String));
      } finally {
        client.disconnect();
      }
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await redis.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return redis;
}
