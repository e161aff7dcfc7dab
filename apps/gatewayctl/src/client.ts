import { CommandError } from './usage-error.js';

/** One field problem of a deploy-API problem document (`errors[]`). */
export interface ProblemField {
  path: string;
  message: string;
}

/** An RFC 9457 problem document as the deploy API sends it (extension members kept). */
export interface Problem {
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: ProblemField[];
  [extension: string]: unknown;
}

/** An answer the deploy API gave with a status of 400 or more. */
export class ApiError extends CommandError {
  constructor(
    readonly status: number,
    readonly problem: Problem,
    /** The controller that answered. */
    readonly url: string,
  ) {
    super(describeProblem(status, problem));
  }
}

/** `title: detail`, then one indented `path: message` line per field problem. */
export function describeProblem(status: number, problem: Problem): string {
  const head = [problem.title ?? `HTTP ${status}`, problem.detail].filter(Boolean).join(': ');
  const fields = (problem.errors ?? []).map((e) => `\n  ${e.path === '' ? '(body)' : e.path}: ${e.message}`);
  return head + fields.join('');
}

export interface DeployClientOptions {
  /** Controller base URLs, tried in this order. */
  urls: string[];
  token: string | undefined;
  /** Per attempt: how long one controller may take to answer (default 30 s). */
  requestTimeoutMs?: number;
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

/** Whether another replica may answer where this one could not: it is down, restarting or has no database. */
function isUnavailable(status: number): boolean {
  return status === 502 || status === 503;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * The deploy API over HTTP. Every replica serves the same API from the same database, so a
 * request goes to the first URL and, when that controller cannot be reached (refused,
 * reset, timed out) or answers 502/503, to the next one. A 4xx (or a 504, which is a wait
 * that timed out) is the answer: another replica would say the same.
 */
export class DeployClient {
  readonly #urls: string[];
  readonly #token: string | undefined;
  readonly #timeoutMs: number;

  constructor(options: DeployClientOptions) {
    this.#urls = options.urls;
    this.#token = options.token;
    this.#timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** Sends the request; throws ApiError for a 4xx/5xx answer and CommandError when no controller answered. */
  async request<T = unknown>(method: string, path: string, options: { body?: unknown; timeoutMs?: number; headers?: Record<string, string> } = {}): Promise<ApiResponse<T>> {
    const failures: string[] = [];
    for (const base of this.#urls) {
      const url = base.replace(/\/+$/, '') + path;
      let res: Response;
      let text: string;
      try {
        const headers: Record<string, string> = { ...options.headers, accept: 'application/json, application/problem+json' };
        if (this.#token !== undefined) headers['authorization'] = `Bearer ${this.#token}`;
        if (options.body !== undefined) headers['content-type'] = 'application/json';
        res = await fetch(url, {
          method,
          headers,
          ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
          signal: AbortSignal.timeout(options.timeoutMs ?? this.#timeoutMs),
          redirect: 'error',
        });
        text = await res.text();
      } catch (err) {
        failures.push(`${base}: ${connectionFailure(err)}`);
        continue;
      }
      const body = parseBody(text);
      if (isUnavailable(res.status) && base !== this.#urls[this.#urls.length - 1]) {
        failures.push(`${base}: ${describeProblem(res.status, asProblem(body))}`);
        continue;
      }
      if (res.status >= 400) throw new ApiError(res.status, asProblem(body, text), base);
      return { status: res.status, body: body as T, headers: res.headers };
    }
    throw new CommandError(`no controller answered (${failures.join('; ')})`);
  }
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function asProblem(body: unknown, text = ''): Problem {
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) return body as Problem;
  // Not the deploy API (a proxy's error page?): a little of what it said.
  return text.trim() === '' ? {} : { detail: text.trim().slice(0, 200) };
}

/** What went wrong on the way, in the words of the socket (ECONNREFUSED, timeout, bad URL). */
function connectionFailure(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'no answer in time';
  const cause = err instanceof Error ? (err.cause as (Error & { code?: string }) | undefined) : undefined;
  if (cause?.code) return `${cause.code}${cause.message && !cause.message.includes(cause.code) ? ` (${cause.message})` : ''}`;
  if (cause?.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}
