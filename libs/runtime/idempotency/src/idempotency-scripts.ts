import type { RedisScript } from '@gw/shared-state';

export const CLAIM_SCRIPT = 'gwIdempotencyClaim';
export const COMPLETE_SCRIPT = 'gwIdempotencyComplete';
export const RELEASE_SCRIPT = 'gwIdempotencyRelease';

/**
 * One Redis hash per key: st ("p" in flight | "d" done), fp (request fingerprint),
 * tok (the claimant's token, while in flight), code/hdr/body (the stored response,
 * body base64), big ("1" when the response exceeded the cap and was not kept).
 */

// KEYS[1]; ARGV: fingerprint, token, lockTtlMs.
// Claims the key (HSET + PEXPIRE in one atomic step, the SET NX PX of a hash), or
// returns what is there: {st, fp, code, hdr, body, big}.
const CLAIM = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('HMGET', KEYS[1], 'st', 'fp', 'code', 'hdr', 'body', 'big')
end
redis.call('HSET', KEYS[1], 'st', 'p', 'fp', ARGV[1], 'tok', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {'claimed'}
`;

// KEYS[1]; ARGV: token, ttlMs, code, hdr, body, big. Stores the response only while we
// still hold the claim (it may have expired, or Redis may have lost it): 1 stored, 0 not.
const COMPLETE = `
if redis.call('HGET', KEYS[1], 'tok') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'st', 'd', 'code', ARGV[3], 'hdr', ARGV[4], 'body', ARGV[5], 'big', ARGV[6])
redis.call('HDEL', KEYS[1], 'tok')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

// KEYS[1]; ARGV: token. Drops our own in-flight claim so a retry can run: 1 dropped, 0 not ours.
const RELEASE = `
if redis.call('HGET', KEYS[1], 'tok') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export const IDEMPOTENCY_SCRIPTS: Readonly<Record<string, RedisScript>> = Object.freeze({
  [CLAIM_SCRIPT]: { lua: CLAIM, numberOfKeys: 1 },
  [COMPLETE_SCRIPT]: { lua: COMPLETE, numberOfKeys: 1 },
  [RELEASE_SCRIPT]: { lua: RELEASE, numberOfKeys: 1 },
});
