import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

type HeaderValue = string | string[];
type WriteHead = ServerResponse['writeHead'];

/**
 * Puts the policy phase's response headers (CORS, RateLimit) on whatever answer the
 * request gets: the upstream's response, a gateway error, a replay. It wraps this one
 * response's `writeHead` (Node's implicit headers go through it too), reading `extra` when
 * the head is written, so headers added later still count. A header named in `extra`
 * replaces the answer's own copy (the gateway's CORS policy is authoritative), except
 * `Vary`, whose values are merged.
 */
export function addResponseHeaders(res: ServerResponse, extra: Record<string, HeaderValue>): void {
  const writeHead = res.writeHead;
  res.writeHead = function writeHeadWithPolicyHeaders(this: ServerResponse, statusCode: number, ...rest: unknown[]) {
    const names = Object.keys(extra);
    if (names.length > 0) {
      const at = typeof rest[0] === 'string' ? 1 : 0;
      const given = rest[at];
      if (Array.isArray(given)) rest[at] = mergeFlat(given as string[], extra);
      else if (given !== null && typeof given === 'object') rest[at] = mergeObject(given as OutgoingHttpHeaders, extra);
      else for (const name of names) setMerged(this, name, extra[name]!);
    }
    return (writeHead as (...args: unknown[]) => ServerResponse).call(this, statusCode, ...rest);
  } as WriteHead;
}

function mergeFlat(flat: readonly string[], extra: Record<string, HeaderValue>): string[] {
  const out: string[] = [];
  let vary: string | undefined;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const lower = flat[i]!.toLowerCase();
    if (lower === 'vary' && extra['vary'] !== undefined) vary = vary === undefined ? flat[i + 1]! : `${vary}, ${flat[i + 1]!}`;
    else if (extra[lower] === undefined) out.push(flat[i]!, flat[i + 1]!);
  }
  for (const [name, value] of Object.entries(extra)) {
    const v = name === 'vary' && vary !== undefined ? `${vary}, ${String(value)}` : value;
    for (const one of Array.isArray(v) ? v : [v]) out.push(name, one);
  }
  return out;
}

function mergeObject(headers: OutgoingHttpHeaders, extra: Record<string, HeaderValue>): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  let vary: string | undefined;
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'vary' && extra['vary'] !== undefined && value !== undefined) vary = String(value);
    else if (extra[lower] === undefined) out[name] = value;
  }
  for (const [name, value] of Object.entries(extra)) out[name] = name === 'vary' && vary !== undefined ? `${vary}, ${String(value)}` : value;
  return out;
}

function setMerged(res: ServerResponse, name: string, value: HeaderValue): void {
  const current = name === 'vary' ? res.getHeader('vary') : undefined;
  res.setHeader(name, current === undefined ? value : `${String(current)}, ${String(value)}`);
}

/** What went out to the client, for the idempotency store. */
export interface RecordedHead {
  status: number;
  /** Node's `getHeaders()` shape: lower-case names, repeated headers as arrays. */
  headers: Record<string, string | string[] | number>;
}

/**
 * Watches one response as it is written: the status and headers of its head (as the
 * answer gave them, before `addResponseHeaders` adds the per-request ones, when that was
 * installed first) and every body chunk, handed to `onChunk` (the capped recorder).
 */
export function watchResponse(res: ServerResponse, onChunk: (chunk: Buffer) => void): { head(): RecordedHead | undefined } {
  let head: RecordedHead | undefined;
  const writeHead = res.writeHead;
  res.writeHead = function recordingWriteHead(this: ServerResponse, statusCode: number, ...rest: unknown[]) {
    const given = rest[typeof rest[0] === 'string' ? 1 : 0];
    const headers: Record<string, string | string[] | number> = {};
    for (const [name, value] of Object.entries(this.getHeaders())) if (value !== undefined) headers[name] = value as string | string[] | number;
    if (Array.isArray(given)) {
      const seen = new Set<string>();
      for (let i = 0; i + 1 < given.length; i += 2) {
        const name = String(given[i]).toLowerCase();
        const value = String(given[i + 1]);
        const current = seen.has(name) ? headers[name] : undefined;
        headers[name] = current === undefined ? value : [...(Array.isArray(current) ? current : [String(current)]), value];
        seen.add(name);
      }
    } else if (given !== null && typeof given === 'object') {
      for (const [name, value] of Object.entries(given as OutgoingHttpHeaders)) if (value !== undefined) headers[name.toLowerCase()] = value;
    }
    head = { status: statusCode, headers };
    return (writeHead as (...args: unknown[]) => ServerResponse).call(this, statusCode, ...rest);
  } as WriteHead;

  const write = res.write;
  res.write = function recordingWrite(this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    tee(chunk, rest[0]);
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as ServerResponse['write'];
  const end = res.end;
  res.end = function recordingEnd(this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    if (chunk !== undefined && typeof chunk !== 'function') tee(chunk, rest[0]);
    return (end as (...args: unknown[]) => ServerResponse).call(this, chunk, ...rest);
  } as ServerResponse['end'];

  function tee(chunk: unknown, encoding: unknown): void {
    if (typeof chunk === 'string') onChunk(Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'));
    else if (chunk instanceof Uint8Array) onChunk(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }

  return { head: () => head };
}
