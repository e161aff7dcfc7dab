import { describe, expect, it } from 'vitest';
import { ADMITTED, CircuitBreaker, FULL, OPEN, type BreakerTransition, type PendingRequest } from './circuit-breaker.js';
import { ManualClock } from './clock.js';
import type { CircuitBreaker as CircuitBreakerOptions } from '@gw/api-schema';

const OPTIONS: CircuitBreakerOptions = {
  maxConcurrent: 2,
  maxPending: 1,
  failureRatePercent: 50,
  windowMs: 10_000,
  minRequests: 4,
  openMs: 5_000,
  halfOpenRequests: 2,
};

function setup(options: Partial<CircuitBreakerOptions> = {}) {
  const clock = new ManualClock(1_000);
  const transitions: BreakerTransition[] = [];
  const breaker = new CircuitBreaker({ ...OPTIONS, ...options }, clock, (t) => transitions.push(t));
  return { clock, breaker, transitions };
}

function waiter(log: string[], name: string): PendingRequest {
  return { grant: (granted) => log.push(`${name}:${granted}`) };
}

describe('CircuitBreaker: concurrency', () => {
  it('admits maxConcurrent, queues maxPending, refuses the rest, and hands freed slots over in order', () => {
    const { breaker } = setup({ maxPending: 2 });
    expect(breaker.tryAcquire()).toBe(ADMITTED);
    expect(breaker.tryAcquire()).toBe(ADMITTED);
    expect(breaker.tryAcquire()).toBe(FULL);
    const log: string[] = [];
    expect(breaker.enqueue(waiter(log, 'w1'))).toBe(true);
    expect(breaker.enqueue(waiter(log, 'w2'))).toBe(true);
    expect(breaker.enqueue(waiter(log, 'w3'))).toBe(false);
    expect(breaker.pending).toBe(2);
    breaker.release();
    expect(log).toEqual(['w1:true']);
    expect(breaker.active).toBe(2);
    // A newcomer does not overtake the queue.
    breaker.release();
    expect(log).toEqual(['w1:true', 'w2:true']);
    expect(breaker.tryAcquire()).toBe(FULL);
  });

  it('refuses to queue with maxPending 0, and forgets a cancelled waiter', () => {
    const { breaker } = setup({ maxPending: 0 });
    breaker.tryAcquire();
    breaker.tryAcquire();
    expect(breaker.enqueue(waiter([], 'x'))).toBe(false);
    const { breaker: b2 } = setup();
    b2.tryAcquire();
    b2.tryAcquire();
    const log: string[] = [];
    const w = waiter(log, 'w');
    b2.enqueue(w);
    b2.cancel(w);
    b2.release();
    expect(log).toEqual([]);
    expect(b2.active).toBe(1);
  });
});

describe('CircuitBreaker: failure rate', () => {
  it('opens when the failure rate reaches the threshold after minRequests, and refuses at once', () => {
    const { breaker, transitions } = setup({ maxConcurrent: 100 });
    breaker.record(false);
    breaker.record(false);
    breaker.record(false);
    expect(breaker.state).toBe('closed'); // 3 < minRequests
    breaker.record(true);
    expect(breaker.state).toBe('closed'); // the check runs on failures
    breaker.record(false);
    expect(breaker.state).toBe('open'); // 4 of 5 failed
    expect(breaker.tryAcquire()).toBe(OPEN);
    expect(transitions).toEqual([{ from: 'closed', to: 'open', failures: 4, requests: 5 }]);
  });

  it('stays closed below the threshold', () => {
    const { breaker } = setup({ maxConcurrent: 100 });
    for (let i = 0; i < 30; i++) breaker.record(i % 4 !== 0); // 25 % failures
    expect(breaker.state).toBe('closed');
  });

  it('forgets outcomes older than the window', () => {
    const { breaker, clock } = setup({ maxConcurrent: 100 });
    breaker.record(false);
    breaker.record(false);
    breaker.record(false);
    clock.advance(10_000);
    breaker.record(false);
    expect(breaker.state).toBe('closed');
  });

  it('half-opens after openMs, closes after halfOpenRequests successes', () => {
    const { breaker, clock, transitions } = setup({ maxConcurrent: 100 });
    for (let i = 0; i < 4; i++) breaker.record(false);
    clock.advance(4_999);
    expect(breaker.tryAcquire()).toBe(OPEN);
    clock.advance(1);
    expect(breaker.tryAcquire()).toBe(ADMITTED);
    expect(breaker.tryAcquire()).toBe(ADMITTED);
    expect(breaker.tryAcquire()).toBe(OPEN); // only halfOpenRequests trials
    expect(breaker.state).toBe('half-open');
    breaker.record(true);
    breaker.record(true);
    expect(breaker.state).toBe('closed');
    expect(transitions.map((t) => t.to)).toEqual(['open', 'half-open', 'closed']);
    // A fresh window after closing: the old failures are gone.
    breaker.record(false);
    expect(breaker.state).toBe('closed');
  });

  it('opens again on a failed trial', () => {
    const { breaker, clock } = setup({ maxConcurrent: 100 });
    for (let i = 0; i < 4; i++) breaker.record(false);
    clock.advance(5_000);
    breaker.tryAcquire();
    breaker.record(false);
    expect(breaker.state).toBe('open');
    clock.advance(4_999);
    expect(breaker.tryAcquire()).toBe(OPEN);
  });

  it('turns away everyone waiting when it opens', () => {
    const { breaker } = setup({ maxPending: 5 });
    breaker.tryAcquire();
    breaker.tryAcquire();
    const log: string[] = [];
    breaker.enqueue(waiter(log, 'a'));
    breaker.enqueue(waiter(log, 'b'));
    for (let i = 0; i < 4; i++) breaker.record(false);
    expect(log).toEqual(['a:false', 'b:false']);
    expect(breaker.pending).toBe(0);
  });
});
