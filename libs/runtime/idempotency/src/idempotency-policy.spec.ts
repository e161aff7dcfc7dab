import { describe, expect, it } from 'vitest';
import { resolveIdempotencyPolicy } from './idempotency-policy.js';

describe('resolveIdempotencyPolicy', () => {
  it('defaults to POST and PATCH, optional keys, 24 h replays, a 120 s in-flight claim and a 1 MiB cap', () => {
    const p = resolveIdempotencyPolicy();
    expect([...p.methods]).toEqual(['POST', 'PATCH']);
    expect(p).toMatchObject({ required: false, headerName: 'idempotency-key', ttlMs: 86_400_000, lockTtlMs: 120_000, maxResponseBytes: 1_048_576 });
  });

  it.each([
    [{ methods: [] }, /at least one/],
    [{ methods: ['GET'] }, /safe already/],
    [{ methods: ['p ost'] }, /not an HTTP method/],
    [{ headerName: 'bad header' }, /headerName/],
    [{ ttlMs: 10 }, /ttlMs/],
    [{ ttlMs: 60_000, lockTtlMs: 120_000 }, /lockTtlMs/],
    [{ maxResponseBytes: -1 }, /maxResponseBytes/],
  ])('rejects %j', (policy, why) => {
    expect(() => resolveIdempotencyPolicy(policy)).toThrow(why);
  });
});
