import type { FieldProblem } from '@gw/api-schema';
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

/** The `cursor` query parameter decoded (absent: undefined); one this API did not return is a problem at `cursor`. */
export function cursorParam(query: Query, problems: FieldProblem[]): number | undefined {
  const raw = query['cursor'];
  if (typeof raw !== 'string') return undefined;
  const before = decodePageCursor(raw);
  if (before === undefined) problems.push({ path: 'cursor', message: 'is not a cursor this API returned' });
  return before;
}

/**
 * One page from `rows`, read with a limit of `limit + 1` (the extra row only tells whether
 * another page exists); `next` continues below the last item's key.
 */
export function pageOf<T>(rows: readonly T[], limit: number, keyOf: (row: T) => number): { items: T[]; next: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next: rows.length > limit && last !== undefined ? encodePageCursor(keyOf(last)) : null };
}
