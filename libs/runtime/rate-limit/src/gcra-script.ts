import type { RedisScript } from '@gw/shared-state';

/** The script's name on the connection (pass `RATE_LIMIT_SCRIPTS` in `createRedis({ scripts })`). */
export const GCRA_SCRIPT = 'gwRateLimitGcra';

/**
 * GCRA (see gcra.ts) in one atomic step on the Redis server, shared by every runtime in
 * every zone. The server's clock (TIME) is the only clock, so runtimes with skewed
 * clocks still agree. All values are integer microseconds: exact in Lua's doubles.
 * Needs Redis ≥ 5 (scripts replicated by effects, so TIME is allowed before a write).
 *
 * KEYS[1]  the key's TAT (theoretical arrival time, µs since the epoch)
 * ARGV[1]  T, the emission interval (µs)   ARGV[2] τ = burst × T (µs)   ARGV[3] cost
 * Returns  { allowed 0|1, remaining, retryAfterMs, resetMs }
 */
const LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local T = tonumber(ARGV[1])
local tau = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or 0) or 0
local base = 0
if tat > now then base = tat - now end
local ahead = base + T * cost
if ahead > tau then
  return {0, 0, math.ceil((ahead - tau) / 1000), math.ceil(base / 1000)}
end
local ttl = math.ceil(ahead / 1000)
redis.call('SET', KEYS[1], string.format('%d', now + ahead), 'PX', ttl)
return {1, math.floor((tau - ahead) / T), 0, ttl}
`;

export const RATE_LIMIT_SCRIPTS: Readonly<Record<string, RedisScript>> = Object.freeze({
  [GCRA_SCRIPT]: { lua: LUA, numberOfKeys: 1 },
});

export interface GcraReply {
  allowed: boolean;
  remaining: number;
  retryAfterMs: number;
  resetMs: number;
}

/** Checks the script's reply shape; a surprise is an error, never a silent allow. */
export function parseGcraReply(reply: unknown): GcraReply {
  if (!Array.isArray(reply) || reply.length !== 4 || !reply.every((n) => typeof n === 'number' && Number.isFinite(n))) {
    throw new Error(`unexpected rate-limit script reply: ${JSON.stringify(reply)}`);
  }
  const [allowed, remaining, retryAfterMs, resetMs] = reply as number[];
  return { allowed: allowed === 1, remaining: remaining!, retryAfterMs: retryAfterMs!, resetMs: resetMs! };
}
