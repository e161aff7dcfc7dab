import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Where one target's checks go, parsed once. */
export interface ProbeTarget {
  readonly protocol: 'http:' | 'https:';
  readonly hostname: string;
  readonly port: number;
  /** The Host header: `hostname[:port]` as in the target URL. */
  readonly host: string;
  /** Origin-form path with optional query. */
  readonly path: string;
}

export interface ProbeResult {
  readonly passed: boolean;
  /** The response status, when one arrived. */
  readonly status?: number;
  /** Why it failed without a status: an error code or `timeout`. */
  readonly error?: string;
  readonly durationMs: number;
}

const DEFAULT_PORT = { 'http:': 80, 'https:': 443 } as const;

/** Parses a target URL and a check path into a probe target; throws on a URL that is not http(s). */
export function probeTargetOf(url: string, path: string): ProbeTarget {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`target ${url} is not an http or https URL`);
  return Object.freeze({
    protocol: u.protocol,
    hostname: u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname,
    port: u.port === '' ? DEFAULT_PORT[u.protocol] : Number(u.port),
    host: u.host,
    path,
  });
}

/**
 * One active check: `GET path` on a fresh connection (`Connection: close`, no pooling,
 * so a target that stopped accepting connections fails its check even while old pooled
 * connections to it linger). Passes on any 2xx status received within `timeoutMs`
 * (connect, request and response headers together); the body is drained, not read.
 */
export function probe(target: ProbeTarget, timeoutMs: number, userAgent: string): Promise<ProbeResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: Omit<ProbeResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, durationMs: performance.now() - started });
    };
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      path: target.path,
      method: 'GET',
      agent: false,
      headers: { host: target.host, connection: 'close', 'user-agent': userAgent, accept: '*/*' },
    });
    const timer = setTimeout(() => {
      done({ passed: false, error: 'timeout' });
      req.destroy();
    }, timeoutMs);
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      done({ passed: status >= 200 && status < 300, status });
      res.resume();
      res.on('error', () => undefined);
    });
    req.on('error', (err: NodeJS.ErrnoException) => done({ passed: false, error: err.code ?? err.message }));
    req.end();
  });
}
