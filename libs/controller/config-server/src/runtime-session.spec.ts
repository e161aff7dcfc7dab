import { describe, expect, it } from 'vitest';
import { combineCallbacks, type ConfigServerCallbacks, type RuntimeSession } from './runtime-session.js';

const session: RuntimeSession = {
  streamId: 1,
  runtimeId: 'rt-1',
  zone: 'a',
  buildVersion: '',
  peer: 'p',
  connectedAt: new Date(0),
  applied: { version: 0, epoch: 0, hash: '' },
  lastNack: undefined,
  lastSeenAt: new Date(0),
};

describe('combineCallbacks', () => {
  it('calls every hook in order, and one that throws neither stops the others nor escapes', () => {
    const calls: string[] = [];
    const errors: string[] = [];
    const failing: ConfigServerCallbacks = {
      onAck: () => {
        calls.push('first');
        throw new Error('boom');
      },
    };
    const recording: ConfigServerCallbacks = {
      onStreamOpen: () => calls.push('open'),
      onAck: () => calls.push('second'),
      onResponseSent: (_s, sent) => calls.push(`sent ${sent.version}`),
      onNack: () => calls.push('nack'),
      onStreamClosed: () => calls.push('closed'),
    };
    const combined = combineCallbacks([failing, recording], (err, hook) => errors.push(`${hook}: ${(err as Error).message}`));
    combined.onStreamOpen!(session);
    combined.onResponseSent!(session, { version: 2, epoch: 1, hash: 'h', nonce: 'n' });
    expect(() => combined.onAck!(session)).not.toThrow();
    combined.onNack!(session);
    combined.onStreamClosed!(session);
    expect(calls).toEqual(['open', 'sent 2', 'first', 'second', 'nack', 'closed']);
    expect(errors).toEqual(['onAck: boom']);
  });
});
