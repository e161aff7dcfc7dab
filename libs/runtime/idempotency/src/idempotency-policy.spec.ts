import { describe, expect, it } from 'vitest';
import { idempotencyOf, type IdempotencyInput } from './testing/idempotency-contract.js';
import { resolveIdempotencyPolicy } from './idempotency-policy.js';

describe('resolveIdempotencyPolicy', () => {
  it('runs the defaults the schema fills in: POST and PATCH, optional keys, 24 h replays, a 120 s in-flight claim and a 1 MiB cap', () => {
    const p = resolveIdempotencyPolicy(idempotencyOf());
    expect([...p.methods]).toEqual(['POST', 'PATCH']);
    expect(p).toMatchObject({ required: false, headerName: 'idempotency-key', ttlMs: 86_400_000, lockTtlMs: 120_000, maxResponseBytes: 1_048_576 });
  });

  it('keeps what the API says, header names lower-case', () => {
    const p = resolveIdempotencyPolicy(idempotencyOf({ methods: ['PUT', 'DELETE'], required: true, headerName: 'X-Request-Key', ttlMs: 60_000, lockTtlMs: 5_000, maxResponseBytes: 0 }, 4_000));
    expect([...p.methods]).toEqual(['PUT', 'DELETE']);
    expect(p).toMatchObject({ required: true, headerName: 'x-request-key', ttlMs: 60_000, lockTtlMs: 5_000, maxResponseBytes: 0 });
  });

  // A policy the gateway cannot run never reaches the guard: the schema refuses it (deploy API and runtime alike).
  it.each([
    [{ methods: [] }, /idempotency\.methods.*at least 1 item/],
    [{ methods: ['GET'] }, /idempotency\.methods\[0\].*safe methods are idempotent already/],
    [{ methods: ['p ost'] }, /idempotency\.methods\[0\]/],
    [{ headerName: 'bad header' }, /idempotency\.headerName/],
    [{ ttlMs: 10 }, /idempotency\.ttlMs/],
    [{ ttlMs: 60_000, lockTtlMs: 120_000 }, /idempotency\.lockTtlMs.*at most ttlMs/],
    [{ maxResponseBytes: -1 }, /idempotency\.maxResponseBytes/],
  ])('the schema refuses %j', (policy, why) => {
    expect(() => idempotencyOf(policy as IdempotencyInput)).toThrow(why);
  });

  it('the schema refuses a claim that could expire while its request still runs upstream', () => {
    expect(() => idempotencyOf({ lockTtlMs: 5_000 })).toThrow(/idempotency\.lockTtlMs.*above upstream\.timeouts\.totalMs/);
  });
});
