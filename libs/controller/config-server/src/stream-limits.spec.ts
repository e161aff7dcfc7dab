import { describe, expect, it } from 'vitest';
import { DEFAULT_STREAM_LIMITS, StreamCounter, TokenBucket, truncateUtf8 } from './stream-limits.js';

describe('stream limits', () => {
  it('defaults: 4 KiB NACK detail, 20 requests/s burst 50, 2 streams per identity', () => {
    expect(DEFAULT_STREAM_LIMITS).toEqual({ maxNackMessageBytes: 4_096, requestsPerSecond: 20, requestBurst: 50, maxStreamsPerIdentity: 2 });
  });

  it('truncateUtf8 cuts to the byte bound, never inside a character', () => {
    expect(truncateUtf8('short', 10)).toBe('short');
    expect(truncateUtf8('a'.repeat(5_000), 4_096)).toHaveLength(4_096);
    // 'é' is 2 bytes: 3 of them are 6 bytes; a 5-byte bound keeps two.
    expect(truncateUtf8('ééé', 5)).toBe('éé');
    expect(Buffer.byteLength(truncateUtf8('😀'.repeat(2_000), 4_096))).toBeLessThanOrEqual(4_096);
    expect(truncateUtf8('😀'.repeat(2_000), 4_096)).toBe('😀'.repeat(1_024));
  });

  it('TokenBucket allows the burst, then the sustained rate', () => {
    let now = 0;
    const bucket = new TokenBucket(20, 50, () => now);
    for (let i = 0; i < 50; i++) expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    now += 100; // 2 tokens
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    now += 60_000; // refills to the burst, not beyond
    let taken = 0;
    while (bucket.take()) taken++;
    expect(taken).toBe(50);
  });

  it('StreamCounter refuses beyond the limit per identity, and frees a slot on release', () => {
    const counter = new StreamCounter(2);
    expect(counter.acquire('a')).toBe(true);
    expect(counter.acquire('a')).toBe(true);
    expect(counter.acquire('a')).toBe(false);
    expect(counter.acquire('b')).toBe(true);
    counter.release('a');
    expect(counter.acquire('a')).toBe(true);
    counter.release('a');
    counter.release('a');
    expect(counter.count('a')).toBe(0);
  });
});
