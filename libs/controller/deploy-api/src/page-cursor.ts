import { isValidApiName, type FieldProblem } from '@gw/api-schema';
import type { Query } from './query-params.js';

/** The cursor is opaque to clients: today the key the next page starts below, base64url-wrapped. */
export function encodePageCursor(before: number): string {
  return Buffer.from(`before:${before}`, 'utf8').toString('base64url');
}

export function decodePageCursor(cursor: string): number | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return undefined;
  const m = /^before:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** A cursor for pages in name order (the API list): the next page starts after `name`. */
export function encodeNameCursor(name: string): string {
  return Buffer.from(`after:${name}`, 'utf8').toString('base64url');
}

export function decodeNameCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return undefined;
  const name = /^after:(.+)$/s.exec(Buffer.from(cursor, 'base64url').toString('utf8'))?.[1];
  return name !== undefined && isValidApiName(name) ? name : undefined;
}

/**
 * The `cursor` query parameter decoded with `decode` (absent: undefined; default: a cursor
 * of the lists newest first); one this API did not return is a problem at `cursor`.
 */
export function cursorParam<K = number>(query: Query, problems: FieldProblem[], decode: (cursor: string) => K | undefined = decodePageCursor as (cursor: string) => K | undefined): K | undefined {
  const raw = query['cursor'];
  if (typeof raw !== 'string') return undefined;
  const key = decode(raw);
  if (key === undefined) problems.push({ path: 'cursor', message: 'is not a cursor this API returned' });
  return key;
}

/**
 * One page from `rows`, read with a limit of `limit + 1` (the extra row only tells whether
 * another page exists); `next` is the cursor `cursorOf` gives the last item, to continue from it.
 */
export function pageOf<T>(rows: readonly T[], limit: number, cursorOf: (row: T) => string): { items: T[]; next: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}
