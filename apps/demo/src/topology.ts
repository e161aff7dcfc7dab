import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { certificateFiles, initCertificateDirectory, issueToDirectory } from '@gw/pki';
import { type EmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres.js';
import { httpJson, waitUntil } from './http-json.js';
import type { DemoOptions } from './options.js';
import { HOST, planPorts } from './ports.js';
import { type ChildSpec, type ExitInfo, type Member, Supervisor } from './supervisor.js';

export interface ControllerNode {
  name: string;
  zone: string;
  http: string;
  grpc: string;
}

export interface RuntimeNode {
  name: string;
  zone: string;
  proxy: string;
  admin: string;
  cacheDir: string;
  /** CONTROLLER_ADDRESSES: every controller, zone-tagged (`a=host:port,...`); the runtime prefers its own zone. */
  controllerAddresses: string;
}

export interface UpstreamNode {
  name: string;
  zone: string;
  url: string;
}

/** What the state file holds: everything a script or test needs to drive the demo. */
export interface DemoState {
  pid: number;
  workDir: string;
  logsDir: string;
  /** The fleet CA and every member's certificate (mutual TLS on the config stream; `gatewayctl certs show` reads them). */
  certsDir: string;
  adminToken: string;
  database: { url: string; embedded: boolean; dataDir: string | null };
  redisUrl: string | null;
  zones: string[];
  controllers: (ControllerNode & { pid: number | null })[];
  runtimes: (RuntimeNode & { pid: number | null })[];
  upstreams: (UpstreamNode & { pid: number | null })[];
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** apps/demo/dist → the repository root. */
export const repoRoot = path.resolve(here, '..', '..', '..');
const scripts = {
  controller: path.join(repoRoot, 'apps', 'controller', 'dist', 'main.js'),
  runtime: path.join(repoRoot, 'apps', 'runtime', 'dist', 'main.js'),
  upstream: path.join(here, 'sample-upstream.js'),
};

/** How long the apps may drain on SIGTERM in the demo (short: a laptop, not production). */
/** Runtimes run as deployed (deploy/Dockerfile): no background GC threads competing with the event loop. */
const RUNTIME_NODE_ARGS: readonly string[] = ['--single-threaded-gc'];
const SHUTDOWN_GRACE_MS = 2_000;
/** Runtimes: readiness 503 while still serving, then open WebSockets, before the listener closes. */
const DRAIN_GRACE_MS = 500;
const WEBSOCKET_DRAIN_MS = 500;
/** SIGKILL after this: the whole drain above plus room for a loaded laptop. */
const STOP_TIMEOUT_MS = DRAIN_GRACE_MS + WEBSOCKET_DRAIN_MS + SHUTDOWN_GRACE_MS + 5_000;
const READY_TIMEOUT_MS = 90_000;

export type Say = (line: string) => void;

/**
 * The whole local topology: PostgreSQL (embedded unless DATABASE_URL is set), a sample
 * upstream per zone, controller replicas and runtimes per zone, all as child processes
 * of this one, on 127.0.0.1.
 */
export class Topology {
  readonly zones: string[];
  readonly controllers: ControllerNode[];
  readonly runtimes: RuntimeNode[];
  readonly upstreams: UpstreamNode[];
  readonly supervisor: Supervisor;
  databaseUrl = '';
  private embedded: EmbeddedPostgres | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly options: DemoOptions,
    readonly workDir: string,
    private readonly ownsWorkDir: boolean,
    readonly adminToken: string,
    private readonly plan: Awaited<ReturnType<typeof planPorts>>,
    private readonly say: Say,
  ) {
    this.zones = Array.from({ length: options.zones }, (_, z) => String.fromCharCode(97 + z));
    this.controllers = plan.controllers.map((p, i) => ({
      name: `ctl-${i + 1}`,
      // Replicas spread over the zones, as they would be in a cluster.
      zone: this.zones[i % this.zones.length]!,
      http: `http://${HOST}:${p.http}`,
      grpc: `${HOST}:${p.grpc}`,
    }));
    this.upstreams = plan.upstreams.map((port, z) => ({ name: `upstream-${this.zones[z]}`, zone: this.zones[z]!, url: `http://${HOST}:${port}` }));
    this.runtimes = plan.runtimes.map((p, k) => {
      const zone = this.zones[Math.floor(k / options.runtimesPerZone)]!;
      const n = (k % options.runtimesPerZone) + 1;
      const name = `rt-${zone}${n}`;
      return {
        name,
        zone,
        proxy: `http://${HOST}:${p.proxy}`,
        admin: `http://${HOST}:${p.admin}`,
        cacheDir: path.join(workDir, 'cache', name),
        controllerAddresses: this.controllers.map((c) => `${c.zone}=${c.grpc}`).join(','),
      };
    });
    this.supervisor = new Supervisor({
      onUnexpectedExit: (m, info) => this.say(`${m.spec.name} (pid ${m.pid}) exited unexpectedly (${describeExit(info)}); its log: ${m.spec.logFile}`),
    });
  }

  get logsDir(): string {
    return path.join(this.workDir, 'logs');
  }

  /** The demo's own CA and certificates, created fresh at every start (gatewayctl's layout, see @gw/pki). */
  get certsDir(): string {
    return path.join(this.workDir, 'certs');
  }

  /** Plans ports and the work directory; `bringUp()` then starts everything. */
  static async create(options: DemoOptions, say: Say): Promise<Topology> {
    for (const [what, file] of Object.entries(scripts)) {
      if (!fs.existsSync(file)) throw new Error(`${file} is missing (${what}): run \`npm run build\` first`);
    }
    const plan = await planPorts(options.portBase, {
      database: options.databaseUrl === undefined,
      controllers: options.controllers,
      zones: options.zones,
      runtimes: options.zones * options.runtimesPerZone,
    });
    const ownsWorkDir = options.workDir === undefined;
    const workDir = options.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gw-demo-'));
    fs.mkdirSync(workDir, { recursive: true });
    const token = options.adminToken ?? randomBytes(24).toString('base64url');
    return new Topology(options, path.resolve(workDir), ownsWorkDir, token, plan, say);
  }

  /** Starts everything in order; on failure the caller calls stop(), which also interrupts it. */
  async bringUp(): Promise<void> {
    await this.issueCertificates();
    if (this.options.databaseUrl) {
      this.databaseUrl = this.options.databaseUrl;
      this.say(`PostgreSQL: using DATABASE_URL`);
    } else {
      const dataDir = path.resolve(this.options.dataDir ?? path.join(this.workDir, 'pgdata'));
      fs.mkdirSync(dataDir, { recursive: true });
      this.say(`PostgreSQL: starting the embedded one (PGlite, data in ${dataDir})`);
      const embedded = await startEmbeddedPostgres({ dataDir, host: HOST, port: this.plan.database! });
      this.embedded = embedded;
      // stop() may have run while PGlite was starting.
      if (this.stopping) await embedded.stop();
      this.databaseUrl = embedded.url;
    }
    this.say(`starting ${this.upstreams.length} sample upstream(s)`);
    await Promise.all(this.upstreams.map((u) => this.startAndWait(u.name)));
    // The first replica migrates the schema; the others start once it is ready (on PGlite
    // the migration's advisory lock cannot keep them apart).
    const [first, ...rest] = this.controllers;
    this.say(`starting controller ${first!.name} (migrates the schema)`);
    await this.startAndWait(first!.name);
    if (rest.length) this.say(`starting controller(s) ${rest.map((c) => c.name).join(', ')}`);
    await Promise.all(rest.map((c) => this.startAndWait(c.name)));
    this.say(`starting ${this.runtimes.length} runtime(s) in zones ${this.zones.join(', ')}`);
    await Promise.all(this.runtimes.map((r) => this.startAndWait(r.name)));
  }

  /**
   * A new CA and a certificate per controller and runtime, as `gatewayctl certs` would
   * write them. Controllers are dialed at 127.0.0.1, so their certificates name it (and
   * localhost); a runtime's identity is its name. Replaces what an earlier run left in a
   * reused --work-dir.
   */
  private async issueCertificates(): Promise<void> {
    const dir = this.certsDir;
    await initCertificateDirectory(dir, { overwrite: true, commonName: 'gateway demo CA' });
    await Promise.all([
      ...this.controllers.map((c) => issueToDirectory(dir, { kind: 'controller', id: c.name, dnsNames: ['localhost'], ipAddresses: [HOST] })),
      ...this.runtimes.map((r) => issueToDirectory(dir, { kind: 'runtime', id: r.name })),
    ]);
    this.say(`certificates: a new CA and ${this.controllers.length + this.runtimes.length} certificate(s) in ${dir}`);
  }

  /** The TLS variables of the config stream (mutual TLS: controllers verify runtimes, runtimes verify controllers). */
  private tlsEnv(kind: 'controller' | 'runtime', id: string): Record<string, string> {
    const files = certificateFiles(this.certsDir);
    const leaf = files.leaf(kind, id);
    return kind === 'controller'
      ? { CONFIG_TLS_CERT_FILE: leaf.cert, CONFIG_TLS_KEY_FILE: leaf.key, CONFIG_TLS_CLIENT_CA_FILE: files.caCert }
      : { CONTROLLER_TLS_CA_FILE: files.caCert, CONTROLLER_TLS_CERT_FILE: leaf.cert, CONTROLLER_TLS_KEY_FILE: leaf.key };
  }

  private baseEnv(): Record<string, string> {
    return { PATH: process.env['PATH'] ?? '', LOG_LEVEL: this.options.logLevel, SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS) };
  }

  /** How each member is started: the same spec on every (re)start. */
  spec(name: string): ChildSpec {
    const logFile = path.join(this.logsDir, `${name}.log`);
    const c = this.controllers.find((x) => x.name === name);
    if (c) {
      const i = this.controllers.indexOf(c);
      return {
        name,
        role: 'controller',
        script: scripts.controller,
        logFile,
        env: {
          ...this.baseEnv(),
          DATABASE_URL: this.databaseUrl,
          CONTROLLER_ID: name,
          ZONE: c.zone,
          CONTROLLER_HOST: HOST,
          CONTROLLER_HTTP_PORT: String(this.plan.controllers[i]!.http),
          CONTROLLER_GRPC_PORT: String(this.plan.controllers[i]!.grpc),
          ADMIN_TOKEN: this.adminToken,
          ...this.tlsEnv('controller', name),
          // CHANGE_FEED_MODE stays unset: `auto` finds out that PGlite needs polling.
          CHANGE_FEED_POLL_MS: '500',
          DB_POOL_MAX: '4',
        },
      };
    }
    const r = this.runtimes.find((x) => x.name === name);
    if (r) {
      const k = this.runtimes.indexOf(r);
      const env: Record<string, string> = {
        ...this.baseEnv(),
        // The id in its certificate: the runtime checks that they match.
        RUNTIME_ID: name,
        ...this.tlsEnv('runtime', name),
        ZONE: r.zone,
        CONTROLLER_ADDRESSES: r.controllerAddresses,
        RUNTIME_HOST: HOST,
        RUNTIME_HTTP_PORT: String(this.plan.runtimes[k]!.proxy),
        RUNTIME_ADMIN_HOST: HOST,
        RUNTIME_ADMIN_PORT: String(this.plan.runtimes[k]!.admin),
        CONFIG_CACHE_DIR: r.cacheDir,
        DRAIN_GRACE_MS: String(DRAIN_GRACE_MS),
        WEBSOCKET_DRAIN_MS: String(WEBSOCKET_DRAIN_MS),
      };
      if (this.options.redisUrl) env['REDIS_URL'] = this.options.redisUrl;
      return { name, role: 'runtime', script: scripts.runtime, nodeArgs: RUNTIME_NODE_ARGS, logFile, env };
    }
    const u = this.upstreams.find((x) => x.name === name);
    if (u) {
      const port = new URL(u.url).port;
      return {
        name,
        role: 'upstream',
        script: scripts.upstream,
        logFile,
        env: { PATH: process.env['PATH'] ?? '', UPSTREAM_ZONE: u.zone, UPSTREAM_NAME: u.name, UPSTREAM_HOST: HOST, UPSTREAM_PORT: port },
      };
    }
    throw new Error(`no member named ${name}`);
  }

  /** Starts a member and waits until it is ready; fails early (with its log) if it dies. */
  async startAndWait(name: string): Promise<Member> {
    if (this.stopping) throw new Error(`not starting ${name}: the demo is stopping`);
    const spec = this.spec(name);
    if (spec.role === 'runtime') fs.mkdirSync(this.runtimes.find((r) => r.name === name)!.cacheDir, { recursive: true });
    const member = this.supervisor.start(spec);
    const url = this.readinessUrl(name);
    let died: ExitInfo | undefined;
    try {
      await waitUntil(
        `${name} ready at ${url}`,
        async () => {
          if (!member.alive) {
            died = await member.exited;
            return true;
          }
          return (await httpJson('GET', url, { timeoutMs: 2_000 })).status === 200;
        },
        READY_TIMEOUT_MS,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}; the end of its log:\n${tail(spec.logFile)}`);
    }
    if (died) throw new Error(`${name} exited during start-up (${describeExit(died)}); the end of its log:\n${tail(spec.logFile)}`);
    return member;
  }

  readinessUrl(name: string): string {
    const c = this.controllers.find((x) => x.name === name);
    if (c) return `${c.http}/health/ready`;
    const r = this.runtimes.find((x) => x.name === name);
    if (r) return `${r.admin}/health/ready`;
    const u = this.upstreams.find((x) => x.name === name);
    if (u) return `${u.url}/health`;
    throw new Error(`no member named ${name}`);
  }

  state(): DemoState {
    const pid = (name: string) => this.supervisor.get(name)?.pid ?? null;
    return {
      pid: process.pid,
      workDir: this.workDir,
      logsDir: this.logsDir,
      certsDir: this.certsDir,
      adminToken: this.adminToken,
      database: { url: this.databaseUrl, embedded: this.embedded !== undefined, dataDir: this.embedded?.dataDir ?? null },
      redisUrl: this.options.redisUrl ?? null,
      zones: this.zones,
      controllers: this.controllers.map((c) => ({ ...c, pid: pid(c.name) })),
      runtimes: this.runtimes.map((r) => ({ ...r, pid: pid(r.name) })),
      upstreams: this.upstreams.map((u) => ({ ...u, pid: pid(u.name) })),
    };
  }

  /** Writes the state file atomically (a reader never sees half of it). */
  writeState(file: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.state(), null, 2) + '\n');
    fs.renameSync(tmp, file);
  }

  /** Runtimes first (they keep serving until told), then controllers, upstreams, the database. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const grace = STOP_TIMEOUT_MS;
      const exits = new Map<string, ExitInfo>();
      for (const group of [this.runtimes, this.controllers, this.upstreams]) {
        for (const [name, info] of await this.supervisor.stopMany(group.map((m) => m.name), grace)) exits.set(name, info);
      }
      const unclean = [...exits].filter(([, info]) => info.code !== 0);
      this.say(`stopped ${exits.size} process(es): ${[...exits].map(([name, info]) => `${name} ${describeExit(info)}`).join(', ') || 'none running'}`);
      for (const [name] of unclean) this.say(`${name} did not stop cleanly; its log: ${this.spec(name).logFile}`);
      await this.embedded?.stop().catch((err: unknown) => this.say(`embedded PostgreSQL did not stop cleanly: ${String(err)}`));
      if (this.ownsWorkDir && unclean.length === 0) fs.rmSync(this.workDir, { recursive: true, force: true });
      else if (this.ownsWorkDir) this.say(`kept ${this.workDir} for its logs`);
    })();
    return this.stopping;
  }
}

export function describeExit(info: ExitInfo): string {
  return info.signal ? `signal ${info.signal}` : `exit code ${info.code}`;
}

/** The last lines of a log file, for error messages. */
export function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => `    ${l}`).join('\n');
  } catch {
    return `    (no log at ${file})`;
  }
}
