/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the gateway does not take part
 * in traces yet, so it passes a valid `traceparent` and its `tracestate` through
 * unchanged. A malformed `traceparent` (including two of them, which arrive joined) is
 * dropped together with `tracestate`, as the spec requires of a vendor that cannot parse
 * it, so upstreams never have to cope with it.
 *
 * Version 00 is exactly `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`; a later
 * version may append `-…` fields; version `ff` and all-zero ids are invalid.
 */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-.*)?$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_PARENT_ID = '0'.repeat(16);

export function isValidTraceparent(value: string): boolean {
  const m = TRACEPARENT.exec(value);
  if (m === null) return false;
  const version = m[1]!;
  if (version === 'ff') return false;
  if (version === '00' && m[4] !== undefined) return false;
  return m[2] !== ZERO_TRACE_ID && m[3] !== ZERO_PARENT_ID;
}
