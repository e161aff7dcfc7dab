import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from '@gw/test-kit';
import { http } from './http.js';
import { repoRoot } from './processes.js';

/** Lines of the shipped config to test as they are, by section. */
export interface HaproxyExtraLines {
  defaults: string[];
  backend: string[];
}

/**
 * The retry policy of the shipped deploy/haproxy/haproxy.cfg (`retries`, `option redispatch`,
 * `retry-on` in defaults; `http-request disable-l7-retry` in the runtimes backend), read from
 * the file, so a spec proves what operators run.
 */
export function shippedRetryPolicy(): HaproxyExtraLines {
  const text = readFileSync(path.join(repoRoot, 'deploy/haproxy/haproxy.cfg'), 'utf8');
  const out: HaproxyExtraLines = { defaults: [], backend: [] };
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    if (!/^\s/.test(raw)) {
      section = line.split(/\s+/)[0]!;
      continue;
    }
    if (section === 'defaults' && /^(retries|option redispatch|no option redispatch|retry-on)\b/.test(line)) out.defaults.push(line);
    if (section === 'backend' && /^http-request disable-l7-retry\b/.test(line)) out.backend.push(line);
  }
  return out;
}

/** The `haproxy` binary on PATH (Debian: /usr/sbin), or undefined when it is not installed. */
export function haproxyBinary(): string | undefined {
  for (const candidate of ['haproxy', '/usr/sbin/haproxy', '/usr/local/sbin/haproxy']) {
    const probe = spawnSync(candidate, ['-v'], { encoding: 'utf8' });
    if (probe.status === 0 && probe.stdout.includes('HAProxy')) return candidate;
  }
  return undefined;
}

export interface HaproxyServer {
  name: string;
  /** The runtime's proxy port (traffic). */
  port: number;
  /** The runtime's admin port (health checks of `/health/ready`). */
  checkPort: number;
}

export interface HaproxyServerStats {
  /** UP, DOWN, "UP 1/2" (going down), "DOWN 1/2" (coming up), MAINT, no check. */
  status: string;
  /** Sessions sent to this server so far. */
  sessions: number;
}

export interface Haproxy {
  /** `http://127.0.0.1:<frontend port>`. */
  url: string;
  /** Per server, from the stats page (CSV). */
  stats(): Promise<Record<string, HaproxyServerStats>>;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts HAProxy in the foreground with a generated config in a temp directory, on free
 * ports: one HTTP frontend balancing round robin over `servers`, each health-checked with
 * `GET /health/ready` on its admin port, and a stats page. Waits until it answers.
 */
export async function startHaproxy(o: { servers: HaproxyServer[]; interMs: number; fall: number; rise: number; extra?: HaproxyExtraLines }): Promise<Haproxy> {
  const binary = haproxyBinary();
  if (binary === undefined) throw new Error('haproxy is not installed');
  const dir = mkdtempSync(path.join(tmpdir(), 'gw-haproxy-'));
  const [frontendPort, statsPort] = [await freePort(), await freePort()];
  const config = [
    'global',
    '  maxconn 2000',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  timeout http-keep-alive 30s',
    '  timeout check 2s',
    ...(o.extra?.defaults ?? []).map((l) => `  ${l}`),
    'frontend fe',
    `  bind 127.0.0.1:${frontendPort}`,
    '  default_backend runtimes',
    'backend runtimes',
    '  balance roundrobin',
    '  option httpchk GET /health/ready',
    '  http-check expect status 200',
    ...(o.extra?.backend ?? []).map((l) => `  ${l}`),
    `  default-server check inter ${o.interMs}ms fastinter ${o.interMs}ms downinter ${o.interMs}ms fall ${o.fall} rise ${o.rise}`,
    ...o.servers.map((s) => `  server ${s.name} 127.0.0.1:${s.port} port ${s.checkPort}`),
    'listen stats',
    `  bind 127.0.0.1:${statsPort}`,
    '  stats enable',
    '  stats uri /stats',
    '',
  ].join('\n');
  const file = path.join(dir, 'haproxy.cfg');
  writeFileSync(file, config);
  const child: ChildProcess = spawn(binary, ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stats = async (): Promise<Record<string, HaproxyServerStats>> => {
    const res = await http('GET', `http://127.0.0.1:${statsPort}/stats;csv`, { timeoutMs: 2_000 });
    const [header, ...rows] = res.body.trim().split('\n');
    const columns = header!.replace(/^# /, '').split(',');
    const at = (name: string) => columns.indexOf(name);
    const result: Record<string, HaproxyServerStats> = {};
    for (const row of rows) {
      const cells = row.split(',');
      if (cells[at('pxname')] !== 'runtimes' || cells[at('svname')] === 'BACKEND') continue;
      result[cells[at('svname')]!] = { status: cells[at('status')]!, sessions: Number(cells[at('stot')]) };
    }
    return result;
  };

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitFor('haproxy stats page', async () => Object.keys(await stats()).length === o.servers.length, { timeoutMs: 10_000 });
  } catch (err) {
    await stop();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- haproxy output:\n${out}\n--- config:\n${config}`);
  }
  return { url: `http://127.0.0.1:${frontendPort}`, stats, output: () => out, stop };
}
