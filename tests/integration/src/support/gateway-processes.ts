import { freePort, waitFor } from '@gw/test-kit';
import { http, type HttpResult } from './http.js';
import { startApp, type AppProcess } from './processes.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const authHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` };
export const jsonHeaders = { ...authHeaders, 'content-type': 'application/json' };

export interface ControllerProcess {
  id: string;
  zone: string;
  proc: AppProcess;
  httpPort: number;
  grpcPort: number;
  /** `http://127.0.0.1:<port>` of the deploy API. */
  http: string;
  /** `127.0.0.1:<port>` of the config stream. */
  grpc: string;
}

export interface RuntimeProcess {
  id: string;
  zone: string;
  proc: AppProcess;
  proxy: string;
  admin: string;
  proxyPort: number;
  adminPort: number;
}

/**
 * Starts a controller process on 127.0.0.1. Pass the ports of an earlier one to restart
 * "the same" replica (its runtimes know it by address).
 */
export async function startControllerProcess(o: {
  id: string;
  databaseUrl: string;
  zone?: string;
  httpPort?: number;
  grpcPort?: number;
  env?: Record<string, string>;
  /** Plaintext config stream (CONFIG_INSECURE=true); by default it is mutual TLS with the spec's test PKI. */
  insecure?: boolean;
}): Promise<ControllerProcess> {
  const httpPort = o.httpPort ?? (await freePort());
  const grpcPort = o.grpcPort ?? (await freePort());
  const zone = o.zone ?? 'a';
  const proc = startApp('controller', o.id, {
    DATABASE_URL: o.databaseUrl,
    CONTROLLER_ID: o.id,
    ZONE: zone,
    CONTROLLER_HOST: '127.0.0.1',
    CONTROLLER_HTTP_PORT: String(httpPort),
    CONTROLLER_GRPC_PORT: String(grpcPort),
    ADMIN_TOKEN,
    ...(o.insecure ? { CONFIG_INSECURE: 'true' } : {}),
    ...o.env,
  });
  return { id: o.id, zone, proc, httpPort, grpcPort, http: `http://127.0.0.1:${httpPort}`, grpc: `127.0.0.1:${grpcPort}` };
}

/** Starts a runtime process; `controllers` is CONTROLLER_ADDRESSES as an operator writes it. */
export async function startRuntimeProcess(o: { id: string; controllers: string; zone?: string; env?: Record<string, string>; insecure?: boolean }): Promise<RuntimeProcess> {
  const [proxyPort, adminPort] = [await freePort(), await freePort()];
  const zone = o.zone ?? 'a';
  const proc = startApp('runtime', o.id, {
    RUNTIME_ID: o.id,
    ZONE: zone,
    CONTROLLER_ADDRESSES: o.controllers,
    RUNTIME_HOST: '127.0.0.1',
    RUNTIME_ADMIN_HOST: '127.0.0.1',
    RUNTIME_HTTP_PORT: String(proxyPort),
    RUNTIME_ADMIN_PORT: String(adminPort),
    ...(o.insecure ? { CONFIG_INSECURE: 'true' } : {}),
    ...o.env,
  });
  return { id: o.id, zone, proc, proxyPort, adminPort, proxy: `http://127.0.0.1:${proxyPort}`, admin: `http://127.0.0.1:${adminPort}` };
}

/** The controller's readiness document (status code and body). */
export async function controllerReadiness(c: ControllerProcess): Promise<{ status: number; body: any }> {
  const res = await http('GET', `${c.http}/health/ready`, { timeoutMs: 5_000 });
  return { status: res.status, body: res.json() };
}

/** The snapshot version a controller serves now, or -1 when it has none / does not answer. */
export async function controllerVersion(c: ControllerProcess): Promise<number> {
  const { body } = await controllerReadiness(c);
  return body?.checks?.snapshot?.version ?? -1;
}

export async function waitControllerReady(c: ControllerProcess, timeoutMs = 30_000): Promise<void> {
  await withOutput(c.proc, waitFor(`${c.id} ready`, async () => (await controllerReadiness(c)).status === 200, { timeoutMs, intervalMs: 100 }));
}

/** The runtime's `/config` document. */
export async function runtimeConfig(r: RuntimeProcess): Promise<any> {
  return (await http('GET', `${r.admin}/config`, { timeoutMs: 5_000 })).json();
}

export async function waitRuntimeVersion(r: RuntimeProcess, version: number, timeoutMs = 30_000): Promise<any> {
  return withOutput(
    r.proc,
    waitFor(
      `${r.id} at version ≥ ${version}`,
      async () => {
        const cfg = await runtimeConfig(r);
        return (cfg.version ?? -1) >= version ? cfg : undefined;
      },
      { timeoutMs, intervalMs: 50 },
    ),
  );
}

/** Waits until the runtime's config stream is connected to `controllerId`; returns its /config. */
export async function waitRuntimeOn(r: RuntimeProcess, controllerId: string, timeoutMs = 30_000, intervalMs = 25): Promise<any> {
  return withOutput(
    r.proc,
    waitFor(
      `${r.id} connected to ${controllerId}`,
      async () => {
        const cfg = await runtimeConfig(r);
        return cfg.controller.connected && cfg.controller.controllerId === controllerId ? cfg : undefined;
      },
      { timeoutMs, intervalMs },
    ),
  );
}

export function putApi(c: ControllerProcess, name: string, body: unknown, timeoutMs = 10_000): Promise<HttpResult> {
  return http('PUT', `${c.http}/v1/apis/${name}`, { headers: jsonHeaders, body: JSON.stringify(body), timeoutMs });
}

/** The smallest definition: `/<name>` to `upstreamUrl`. */
export function simpleApi(name: string, upstreamUrl: string): Record<string, unknown> {
  return { name, basePath: `/${name}`, upstream: { targets: [{ url: upstreamUrl }] } };
}

/** JSON log records a process printed (non-JSON lines are skipped). */
export function logRecords(p: AppProcess): Record<string, any>[] {
  const out: Record<string, any>[] = [];
  for (const line of p.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // A line cut in the middle of a write.
    }
  }
  return out;
}

/** Adds the end of the process's output to a failed wait, so a timeout says why. */
export async function withOutput<T>(p: AppProcess, waiting: Promise<T>): Promise<T> {
  try {
    return await waiting;
  } catch (err) {
    const state = p.child.exitCode !== null || p.child.signalCode !== null ? `exited (${p.child.exitCode ?? p.child.signalCode})` : 'running';
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- ${p.name} (${state}), last output:\n${p.output().slice(-4000)}`);
  }
}
