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

/**
 * The path of the first object member whose name its object already has, in `text` that
 * JSON.parse accepted, or undefined. JSON.parse keeps the last one silently (RFC 8259 leaves
 * duplicate names undefined), so a definition could say one thing to a reviewer and another
 * to us. One linear pass of jsonc-parser's tokenizer with one Set of names per open object:
 * fine for a 20 MiB apply body.
 */
export function firstDuplicateKey(text: string): (string | number)[] | undefined {
  const open: Set<string>[] = [];
  let found: (string | number)[] | undefined;
  visit(
    text,
    {
      onObjectBegin: () => {
        open.push(new Set());
      },
      onObjectEnd: () => {
        open.pop();
      },
      onObjectProperty: (name, _offset, _length, _line, _column, pathSupplier) => {
        const names = open[open.length - 1];
        if (found !== undefined || names === undefined) return;
        if (names.has(name)) found = [...pathSupplier(), name];
        else names.add(name);
      },
    },
    { disallowComments: true, allowTrailingComma: false },
  );
  return found;
}

/**
 * Reads a JSON body of at most `limit` bytes into `req.body`. Unlike body-parser, which
 * reads an oversized body to its end before answering, this answers 413 as soon as the
 * declared or received length passes the limit and leaves the rest to `boundedDrain`.
 * Media type, charset (UTF-8 only) and encoding (identity only, so no decompression
 * bombs) are checked before any byte is read. Any JSON value is accepted here except
 * one giving an object member twice (400 with its field path); shape errors are
 * validation's job, with field paths.
 */
export function jsonBody(options: JsonBodyOptions): RequestHandler {
  const { limit } = options;
  const pathFormat = options.pathFormat ?? formatPath;
  return (req, res, next) => {
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
      const duplicate = firstDuplicateKey(text);
      if (duplicate !== undefined) {
        const name = String(duplicate[duplicate.length - 1]);
        sendProblem(req, res, {
          status: 400,
          code: ErrorCodes.GW_BAD_JSON,
          detail: `The request body gives the member "${name.slice(0, 200)}" twice in one object; give each member once.`,
          errors: [{ path: pathFormat(duplicate), message: 'duplicate key' }],
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
}
