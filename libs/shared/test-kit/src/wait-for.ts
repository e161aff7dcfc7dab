import { inspect } from 'node:util';

export interface WaitForOptions {
  /** Fail after this long. Generous by default: a wait returns as soon as its condition holds, and CI is a loaded 2-core machine. */
  timeoutMs?: number;
  /** Pause between two checks. */
  intervalMs?: number;
}

type Outcome = { value: unknown } | { error: unknown } | { pending: true };

/**
 * Checks `condition` until it returns something other than `undefined` or `false`, and
 * returns that value (so a wait can hand back what it waited for). Fails after `timeoutMs`
 * with an error naming `what` and the last value or error the condition gave. A condition
 * may be sync or async; one that throws or rejects counts as not met yet. A check still
 * pending at the deadline fails the wait as well, so a hung condition cannot hang a test.
 */
export async function waitFor<T>(
  what: string,
  condition: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 15_000, intervalMs = 20 }: WaitForOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const outcome = await check(condition, deadline);
    if ('value' in outcome && outcome.value !== undefined && outcome.value !== false) return outcome.value as T;
    const left = deadline - Date.now();
    if ('pending' in outcome || left <= 0) throw timedOut(what, timeoutMs, outcome);
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, left)));
  }
}

async function check(condition: () => unknown, deadline: number): Promise<Outcome> {
  let result: unknown;
  try {
    result = condition();
  } catch (error) {
    return { error };
  }
  if (!isThenable(result)) return { value: result };
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Outcome>((resolve) => (timer = setTimeout(() => resolve({ pending: true }), Math.max(0, deadline - Date.now()))));
  try {
    return await Promise.race([Promise.resolve(result).then((value) => ({ value }), (error: unknown) => ({ error })), late]);
  } finally {
    clearTimeout(timer);
  }
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (typeof x === 'object' || typeof x === 'function') && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

function timedOut(what: string, timeoutMs: number, last: Outcome): Error {
  const prefix = `timed out after ${timeoutMs} ms waiting for ${what}`;
  if ('pending' in last) return new Error(`${prefix}: the last check had not settled`);
  if ('error' in last) {
    const message = last.error instanceof Error ? last.error.message : inspect(last.error);
    return new Error(`${prefix}: last error: ${message}`, { cause: last.error });
  }
  return new Error(`${prefix}: last value: ${inspect(last.value, { depth: 3, breakLength: Infinity })}`);
}
