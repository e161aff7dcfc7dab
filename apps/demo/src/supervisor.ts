import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export type Role = 'controller' | 'runtime' | 'upstream';

export interface ChildSpec {
  name: string;
  role: Role;
  /** The script node runs (an app's dist/main.js). */
  script: string;
  /** Node and V8 flags for this child, before the script. */
  nodeArgs?: readonly string[];
  env: Record<string, string>;
  /** stdout and stderr are appended here, so the terminal stays readable. */
  logFile: string;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Member {
  readonly spec: ChildSpec;
  readonly pid: number;
  readonly alive: boolean;
  /** Resolves when this incarnation exits. */
  readonly exited: Promise<ExitInfo>;
}

const PARENT_WATCH = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), 'parent-watch.js')).href;

/**
 * Starts and stops the demo's child processes. Each child gets its own process group
 * (so a terminal's Ctrl-C reaches only the demo, which then stops them in order) and the
 * parent-watch preload (so they stop themselves if the demo is killed outright). A
 * synchronous SIGKILL sweep on exit is the last resort.
 */
export class Supervisor {
  private readonly live = new Map<string, { child: ChildProcess; member: Member }>();
  private readonly onUnexpectedExit: (member: Member, info: ExitInfo) => void;
  private readonly expected = new WeakSet<ChildProcess>();

  constructor(options: { onUnexpectedExit?: (member: Member, info: ExitInfo) => void } = {}) {
    this.onUnexpectedExit = options.onUnexpectedExit ?? (() => undefined);
    // Whatever ends this process, take the children along.
    process.on('exit', () => this.killAllNow());
  }

  start(spec: ChildSpec): Member {
    if (this.live.has(spec.name)) throw new Error(`${spec.name} is already running`);
    fs.mkdirSync(path.dirname(spec.logFile), { recursive: true });
    const fd = fs.openSync(spec.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, ['--import', PARENT_WATCH, ...(spec.nodeArgs ?? []), spec.script], {
        env: { ...spec.env, DEMO_PARENT_PID: String(process.pid) },
        stdio: ['ignore', fd, fd],
        detached: true,
      });
    } finally {
      // The child has its own copy of the descriptor.
      fs.closeSync(fd);
    }
    if (child.pid === undefined) throw new Error(`could not start ${spec.name}`);
    const pid = child.pid;
    const exited = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    const member: Member = {
      spec,
      pid,
      exited,
      get alive() {
        return child.exitCode === null && child.signalCode === null;
      },
    };
    this.live.set(spec.name, { child, member });
    void exited.then((info) => {
      if (this.live.get(spec.name)?.child === child) this.live.delete(spec.name);
      if (!this.expected.has(child)) this.onUnexpectedExit(member, info);
    });
    return member;
  }

  get(name: string): Member | undefined {
    return this.live.get(name)?.member;
  }

  members(): Member[] {
    return [...this.live.values()].map((e) => e.member);
  }

  /** SIGTERM (the app drains), then SIGKILL to the whole group after `graceMs`. */
  async stop(name: string, graceMs: number): Promise<ExitInfo | undefined> {
    const entry = this.live.get(name);
    if (!entry) return undefined;
    this.expected.add(entry.child);
    signalGroup(entry.child, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(entry.child, 'SIGKILL'), graceMs);
    const info = await entry.member.exited;
    clearTimeout(timer);
    return info;
  }

  /** An abrupt crash, for the failover walkthrough. */
  async kill9(name: string): Promise<ExitInfo | undefined> {
    const entry = this.live.get(name);
    if (!entry) return undefined;
    this.expected.add(entry.child);
    signalGroup(entry.child, 'SIGKILL');
    return entry.member.exited;
  }

  /** Stops the named members together; reports how each running one exited. */
  async stopMany(names: string[], graceMs: number): Promise<Map<string, ExitInfo>> {
    const out = new Map<string, ExitInfo>();
    await Promise.all(
      names.map(async (n) => {
        const info = await this.stop(n, graceMs);
        if (info) out.set(n, info);
      }),
    );
    return out;
  }

  /** Synchronous: safe in an 'exit' handler. */
  killAllNow(): void {
    for (const { child } of this.live.values()) {
      this.expected.add(child);
      signalGroup(child, 'SIGKILL');
    }
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  // Once reaped, its pid (and group id) may belong to somebody else.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // Negative pid: the child's whole process group (it leads one: detached).
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}
