import { randomUUID } from 'node:crypto';

const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request id for one exchange: the client's `X-Request-Id` when it is a plain token
 * (so it can be logged and echoed without escaping), else a fresh UUID. A repeated
 * header arrives joined with ", " and is therefore replaced too.
 */
export function resolveRequestId(incoming: string | string[] | undefined): string {
  return typeof incoming === 'string' && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}
