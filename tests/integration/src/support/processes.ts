import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mutualTlsEnv } from './test-pki.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

export interface AppProcess {
  name: string;
  child: ChildProcess;
  /** Everything the process printed so far (stdout + stderr), for assertions and failure reports. */
  output(): string;
  /** SIGTERM (or the given signal), then SIGKILL after `timeoutMs`; resolves with the exit code. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  kill9(): Promise<void>;
  exited: Promise<number | null>;
}

const running = new Set<AppProcess>();

/** How runtimes are launched everywhere (deploy/Dockerfile, the demo): see docs/benchmarks.md, "Latency". */
const RUNTIME_NODE_ARGS = ['--single-threaded-gc'];

/**
 * Starts `apps/<app>/dist/main.js` with the repo's Node (the one running the tests), runtimes
 * with their Node flags. The config stream runs mutual TLS with the spec file's test PKI
 * (test-pki.ts) unless `env` sets CONFIG_INSECURE or TLS files of its own.
 */
export function startApp(app: 'controller' | 'runtime', name: string, env: Record<string, string>): AppProcess {
  env = { ...mutualTlsEnv(app, name, env), ...env };
  const child = spawn(process.execPath, [...(app === 'runtime' ? RUNTIME_NODE_ARGS : []), path.join(repoRoot, 'apps', app, 'dist', 'main.js')], {
    // Runtimes drain for DRAIN_GRACE_MS (5 s by default) on SIGTERM; specs that test the
    // drain set it, the others should not wait for a load balancer that is not there.
    env: { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'debug', ...(app === 'runtime' ? { DRAIN_GRACE_MS: '0' } : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  const proc: AppProcess = {
    name,
    child,
    output: () => out,
    exited,
    async stop(signal = 'SIGTERM', timeoutMs = 10_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        await exited;
        clearTimeout(timer);
      }
      running.delete(proc);
      return child.exitCode;
    },
    async kill9() {
      child.kill('SIGKILL');
      await exited;
      running.delete(proc);
    },
  };
  running.add(proc);
  return proc;
}

/** Stops every process this file started (call in afterAll/afterEach). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop('SIGTERM', 5_000)));
}
