/** The parsed `Idempotency-Key` header: absent, a usable key, or malformed. */
export type KeyHeader = { kind: 'absent' } | { kind: 'key'; key: string } | { kind: 'invalid'; reason: string };

const MAX_KEY_LENGTH = 255;
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/**
 * The draft defines the key as a Structured Field string (`Idempotency-Key: "8e03…"`);
 * many clients send it bare (`Idempotency-Key: 8e03…`), which is accepted too and means
 * the same key. Repeated headers are refused: which one would count?
 */
export function parseIdempotencyKey(raw: string | string[] | undefined): KeyHeader {
  if (raw === undefined) return { kind: 'absent' };
  if (Array.isArray(raw)) return raw.length === 1 ? parseIdempotencyKey(raw[0]) : { kind: 'invalid', reason: 'sent more than once' };
  let value = raw.trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    value = value.slice(1, -1);
    if (/(?<!\\)"/.test(value)) return { kind: 'invalid', reason: 'not a valid quoted string' };
    value = value.replace(/\\([\\"])/g, '$1');
  }
  if (value === '') return { kind: 'invalid', reason: 'empty' };
  if (value.length > MAX_KEY_LENGTH) return { kind: 'invalid', reason: `longer than ${MAX_KEY_LENGTH} characters` };
  if (!VISIBLE_ASCII.test(value)) return { kind: 'invalid', reason: 'not visible ASCII' };
  return { kind: 'key', key: value };
}
