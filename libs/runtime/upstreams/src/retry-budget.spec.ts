import { describe, expect, it } from 'vitest';
import { RetryBudget } from './retry-budget.js';

describe('RetryBudget (Envoy semantics: retries in flight ≤ max(minRetryConcurrency, budgetPercent of active))', () => {
  it('allows retries in flight up to budgetPercent of the requests in flight', () => {
    const budget = new RetryBudget({ budgetPercent: 20, minRetryConcurrency: 0 });
    for (let i = 0; i < 10; i++) budget.requestStarted();
    expect(budget.tryAcquire()).toBe(true);
    expect(budget.tryAcquire()).toBe(true);
    expect(budget.tryAcquire()).toBe(false); // 3 of 10 > 20 %
    budget.retryEnded();
    expect(budget.tryAcquire()).toBe(true);
  });

  it('always allows minRetryConcurrency retries in flight (the floor), however few requests there are', () => {
    const budget = new RetryBudget({ budgetPercent: 20, minRetryConcurrency: 3 });
    budget.requestStarted();
    expect([budget.tryAcquire(), budget.tryAcquire(), budget.tryAcquire(), budget.tryAcquire()]).toEqual([true, true, true, false]);
    // The floor is a concurrency, not a rate: a retry that ends frees its place at once.
    budget.retryEnded();
    expect(budget.tryAcquire()).toBe(true);
    expect(budget.tryAcquire()).toBe(false);
  });

  it('caps a storm: retries in flight never exceed max(minRetryConcurrency, budgetPercent of active)', () => {
    for (const [percent, floor, active] of [
      [20, 3, 100],
      [20, 3, 8],
      [20, 3, 64],
      [50, 0, 7],
      [0, 2, 1_000],
    ] as const) {
      const budget = new RetryBudget({ budgetPercent: percent, minRetryConcurrency: floor });
      for (let i = 0; i < active; i++) budget.requestStarted();
      const bound = Math.max(floor, Math.floor((percent * active) / 100));
      expect(budget.limit).toBe(bound);
      // Every request fails and asks for a retry, again and again: a bounded storm.
      let granted = 0;
      for (let round = 0; round < 5; round++) {
        for (let i = 0; i < active; i++) {
          if (budget.tryAcquire()) granted++;
          expect(budget.retries).toBeLessThanOrEqual(bound);
        }
      }
      expect(budget.retries, `${percent} % of ${active}, floor ${floor}`).toBe(bound);
      expect(granted).toBe(bound);
    }
  });

  it('hands freed places to waiting retries in arrival order, never past the bound; a cancelled waiter gets none', () => {
    const budget = new RetryBudget({ budgetPercent: 0, minRetryConcurrency: 2 });
    for (let i = 0; i < 10; i++) budget.requestStarted();
    expect(budget.tryAcquire()).toBe(true);
    expect(budget.tryAcquire()).toBe(true);
    expect(budget.tryAcquire()).toBe(false);
    const granted: string[] = [];
    budget.waitForSlot(() => granted.push('a'));
    const cancelB = budget.waitForSlot(() => granted.push('b'));
    budget.waitForSlot(() => granted.push('c'));
    expect(budget.waiting).toBe(3);
    cancelB();
    budget.retryEnded();
    expect(granted).toEqual(['a']);
    expect(budget.retries).toBe(2);
    budget.retryEnded();
    budget.retryEnded();
    expect(granted).toEqual(['a', 'c']);
    expect(budget.retries).toBe(2 - 1);
    expect(budget.waiting).toBe(0);
  });

  it('counts only requests in flight', () => {
    const budget = new RetryBudget({ budgetPercent: 50, minRetryConcurrency: 0 });
    budget.requestStarted();
    budget.requestStarted();
    budget.requestEnded();
    budget.requestEnded();
    budget.requestEnded(); // never below zero
    expect(budget.active).toBe(0);
    expect(budget.tryAcquire()).toBe(false);
  });
});
