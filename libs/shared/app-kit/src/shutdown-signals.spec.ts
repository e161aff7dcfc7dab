import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { ProcessHooks } from './process-hooks.js';
import { onShutdownSignals } from './shutdown-signals.js';

const fake = (emitter: EventEmitter): ProcessHooks => ({ on: (e, l) => emitter.on(e, l), off: (e, l) => emitter.off(e, l), exit: () => undefined });

describe('onShutdownSignals', () => {
  it('calls onFirst for the first signal and onRepeat for every later one, on the signals given', () => {
    const emitter = new EventEmitter();
    const seen: string[] = [];
    onShutdownSignals({
      signals: ['SIGINT', 'SIGTERM', 'SIGHUP'],
      onFirst: (s) => seen.push(`first:${s}`),
      onRepeat: (s) => seen.push(`again:${s}`),
      process: fake(emitter),
    });
    emitter.emit('SIGHUP', 'SIGHUP');
    emitter.emit('SIGINT', 'SIGINT');
    emitter.emit('SIGINT', 'SIGINT');
    expect(seen).toEqual(['first:SIGHUP', 'again:SIGINT', 'again:SIGINT']);
  });

  it('listens to SIGTERM and SIGINT by default, and stops listening when disposed', () => {
    const emitter = new EventEmitter();
    let calls = 0;
    const dispose = onShutdownSignals({ onFirst: () => calls++, onRepeat: () => calls++, process: fake(emitter) });
    expect(emitter.listenerCount('SIGTERM')).toBe(1);
    expect(emitter.listenerCount('SIGINT')).toBe(1);
    expect(emitter.listenerCount('SIGHUP')).toBe(0);
    dispose();
    emitter.emit('SIGTERM', 'SIGTERM');
    expect(calls).toBe(0);
    expect(emitter.listenerCount('SIGTERM')).toBe(0);
  });
});
