import { formatPath, type PathFormat } from '@gw/api-schema';
import { ErrorCodes } from '@gw/errors';
import type { Request, RequestHandler, Response } from 'express';
import { visit } from 'jsonc-parser';
import { sendProblem } from './problem-details.js';

/** After we answered without reading the whole body, read and discard at most this much more... */
export const DRAIN_MAX_BYTES = 4 * 1024 * 1024;
/** ...for at most this long, then close the connection. */
export const DRAIN_MAX_MS = 2000;

/**
 * When a response finishes before its request body was fully received (401, 413, 415...),
 * Node keeps reading and discarding the rest so the connection can be reused, however
 * long that takes. Reading a little lets the client see our answer instead of a reset;
 * past a byte and time budget we close the connection instead of draining forever.
 */
export function boundedDrain(): RequestHandler {
  return (req, res, next) => {
    res.once('finish', () => {
      // A body already read to its end leaves nothing to drain (Node sets `complete` too;
      // an in-process request, as light-my-request injects, only ends).
      if (req.complete || req.readableEnded || req.destroyed) return;
      let discarded = 0;
      const timer = setTimeout(() => req.socket.destroy(), DRAIN_MAX_MS);
      timer.unref();
      const stop = () => clearTimeout(timer);
      req.on('data', (chunk: Buffer) => {
        discarded += chunk.length;
        if (discarded > DRAIN_MAX_BYTES) req.socket.destroy();
      });
      req.once('end', stop);
      req.once('close', stop);
      req.once('error', stop);
      req.resume();
    });
    next();
  };
}

export function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const essence = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return essence === 'application/json' || /^application\/[a-z0-9!#$&^_.+-]+\+json$/.test(essence);
}

function charsetOf(contentType: string): string | undefined {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return m?.[1]?.toLowerCase();
}

function tooLarge(req: Request, res: Response, limit: number): void {
  sendProblem(req, res, {
    status: 413,
    code: ErrorCodes.GW_BODY_TOO_LARGE,
    detail: `The request body is larger than ${limit} bytes.`,
  });
}

export interface JsonBodyOptions {
  limit: number;
  /** How a duplicate key's field path is written: dotted (default, as PUT's validation) or a JSON Pointer (as apply's). */
  pathFormat?: PathFormat;
}

/** Objects and arrays nested deeper than this are refused: no API definition comes close, and the check below recurses. */
export const MAX_JSON_DEPTH = 256;

/** What `jsonStructureProblem` found, at `path` (the member, or the container that goes too deep). */
export interface JsonStructureProblem {
  kind: 'duplicate-key' | 'too-deep';
  path: (string | number)[];
}

class TooDeep extends Error {
  constructor(readonly path: (string | number)[]) {
    super('too deep');
  }
}

/**
 * The first object member whose name its object already has, in `text` that JSON.parse
 * accepted, or a nesting deeper than MAX_JSON_DEPTH; undefined when neither. JSON.parse keeps
 * the last of duplicate members silently (RFC 8259 leaves them undefined), so a definition
 * could say one thing to a reviewer and another to us. One linear pass of jsonc-parser's
 * tokenizer with one Set of names per open object: fine for a 20 MiB apply body. Its parser
 * recurses per level, so depth is bounded first (JSON.parse accepts a million levels).
 */
export function jsonStructureProblem(text: string): JsonStructureProblem | undefined {
  const open: (Set<string> | undefined)[] = [];
  let found: (string | number)[] | undefined;
  const enter = (names: Set<string> | undefined, pathSupplier: () => (string | number)[]) => {
    if (open.length >= MAX_JSON_DEPTH) throw new TooDeep(pathSupplier());
    open.push(names);
  };
  try {
    visit(
      text,
      {
        onObjectBegin: (_offset, _length, _line, _column, pathSupplier) => enter(new Set(), pathSupplier),
        onObjectEnd: () => void open.pop(),
        onArrayBegin: (_offset, _length, _line, _column, pathSupplier) => enter(undefined, pathSupplier),
        onArrayEnd: () => void open.pop(),
        onObjectProperty: (name, _offset, _length, _line, _column, pathSupplier) => {
          const names = open[open.length - 1];
          if (found !== undefined || names === undefined) return;
          if (names.has(name)) found = [...pathSupplier(), name];
          else names.add(name);
        },
      },
      { disallowComments: true, allowTrailingComma: false },
    );
  } catch (err) {
    if (err instanceof TooDeep) return { kind: 'too-deep', path: err.path };
    throw err;
  }
  return found === undefined ? undefined : { kind: 'duplicate-key', path: found };
}

/**
 * Reads a JSON body of at most `limit` bytes into `req.body`. Unlike body-parser, which
 * reads an oversized body to its end before answering, this answers 413 as soon as the
 * declared or received length passes the limit and leaves the rest to `boundedDrain`.
 * Media type, charset (UTF-8 only) and encoding (identity only, so no decompression
 * bombs) are checked before any byte is read. Any JSON value is accepted here except
 * one giving an object member twice or nested deeper than MAX_JSON_DEPTH (400 with the
 * field path); shape errors are validation's job, with field paths.
 */
export function jsonBody(options: JsonBodyOptions): RequestHandler {
  const { limit } = options;
  const pathFormat = options.pathFormat ?? formatPath;
  const handler: RequestHandler = (req, res, next) => {
    const contentType = req.headers['content-type'];
    if (!isJsonMediaType(contentType)) {
      sendProblem(req, res, {
        status: 415,
        code: ErrorCodes.GW_UNSUPPORTED_MEDIA_TYPE,
        detail: 'The request body must be JSON (Content-Type: application/json).',
      });
      return;
    }
    const charset = charsetOf(contentType ?? '');
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      sendProblem(req, res, { status: 415, code: ErrorCodes.GW_UNSUPPORTED_MEDIA_TYPE, detail: 'The request body must be UTF-8.' });
      return;
    }
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity') {
      sendProblem(req, res, { status: 415, code: ErrorCodes.GW_UNSUPPORTED_MEDIA_TYPE, detail: 'Content-Encoding is not supported; send the body uncompressed.' });
      return;
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limit) {
      tooLarge(req, res, limit);
      return;
    }

    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        chunks.length = 0;
        tooLarge(req, res, limit);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(Buffer.concat(chunks, size));
      } catch {
        sendProblem(req, res, { status: 400, code: ErrorCodes.GW_BAD_JSON, detail: 'The request body is not valid UTF-8.' });
        return;
      }
      if (text.trim() === '') {
        sendProblem(req, res, { status: 400, code: ErrorCodes.GW_BAD_JSON, detail: 'The request body is empty; send the API definition as JSON.' });
        return;
      }
      try {
        req.body = JSON.parse(text) as unknown;
      } catch (err) {
        const reason = err instanceof SyntaxError ? ` ${err.message.slice(0, 200)}` : '';
        sendProblem(req, res, { status: 400, code: ErrorCodes.GW_BAD_JSON, detail: `The request body is not valid JSON.${reason}` });
        return;
      }
      const problem = jsonStructureProblem(text);
      if (problem?.kind === 'duplicate-key') {
        const name = String(problem.path[problem.path.length - 1]);
        sendProblem(req, res, {
          status: 400,
          code: ErrorCodes.GW_BAD_JSON,
          detail: `The request body gives the member "${name.slice(0, 200)}" twice in one object; give each member once.`,
          errors: [{ path: pathFormat(problem.path), message: 'duplicate key' }],
        });
        return;
      }
      if (problem?.kind === 'too-deep') {
        sendProblem(req, res, {
          status: 400,
          code: ErrorCodes.GW_BAD_JSON,
          detail: `The request body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels.`,
          errors: [{ path: pathFormat(problem.path), message: `nested deeper than ${MAX_JSON_DEPTH} levels` }],
        });
        return;
      }
      next();
    };
    // The client went away mid-body: nobody is left to answer.
    const onError = () => cleanup();
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  };
  JSON_BODY_HANDLERS.add(handler);
  return handler;
}

/** The handlers `jsonBody` made, so `declareRoute` knows which operations read a body (and can answer 400/413/415). */
const JSON_BODY_HANDLERS = new WeakSet<RequestHandler>();

export function readsJsonBody(handler: RequestHandler): boolean {
  return JSON_BODY_HANDLERS.has(handler);
}
