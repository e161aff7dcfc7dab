import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { RetryBudget } from './retry-budget.js';

describe('RetryBudget', () => {
  it('allows retries in flight up to budgetPercent of the requests in flight', () => {
    const budget = new RetryBudget({ budgetPercent: 20, budgetMinPerSecond: 0 }, new ManualClock());
    for (let i = 0; i < 10; i++) budget.requestStarted();
    expect(budget.tryAcquire()).toBe(true);
    expect(budget.tryAcquire()).toBe(true);
    expect(budget.tryAcquire()).toBe(false); // 3 of 10 > 20 %
    budget.retryEnded();
    expect(budget.tryAcquire()).toBe(true);
  });

  it('always allows budgetMinPerSecond retries per second (the floor)', () => {
    const clock = new ManualClock(0);
    const budget = new RetryBudget({ budgetPercent: 20, budgetMinPerSecond: 3 }, clock);
    budget.requestStarted();
    expect([budget.tryAcquire(), budget.tryAcquire(), budget.tryAcquire(), budget.tryAcquire()]).toEqual([true, true, true, false]);
    clock.advance(999);
    expect(budget.tryAcquire()).toBe(false);
    clock.advance(1);
    expect(budget.tryAcquire()).toBe(true);
    expect(budget.tryAcquire()).toBe(true);
    expect(budget.tryAcquire()).toBe(true);
    expect(budget.tryAcquire()).toBe(false);
  });

  it('caps a storm: 100 failing requests in flight get 20 retries, not 100 (the floor counts every retry)', () => {
    const clock = new ManualClock(0);
    const budget = new RetryBudget({ budgetPercent: 20, budgetMinPerSecond: 3 }, clock);
    for (let i = 0; i < 100; i++) budget.requestStarted();
    let granted = 0;
    for (let i = 0; i < 100; i++) if (budget.tryAcquire()) granted++;
    expect(granted).toBe(20);
  });

  it('counts only requests in flight', () => {
    const budget = new RetryBudget({ budgetPercent: 50, budgetMinPerSecond: 0 }, new ManualClock());
    budget.requestStarted();
    budget.requestStarted();
    budget.requestEnded();
    budget.requestEnded();
    budget.requestEnded(); // never below zero
    expect(budget.active).toBe(0);
    expect(budget.tryAcquire()).toBe(false);
  });
});
