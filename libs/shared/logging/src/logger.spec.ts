import { describe, expect, it } from 'vitest';
import { lazyChild, type Logger } from './logger.js';
import { recordingLogger } from './testing/index.js';

describe('lazyChild', () => {
  it('makes the child on its first log, once, with its bindings; its own children too; an unused one is never made', () => {
    const records = recordingLogger();
    let made = 0;
    const parent: Logger = { ...records, child: (fields) => (made++, records.child(fields)) };
    const unused = lazyChild(parent, { component: 'never' });
    const lazy = lazyChild(parent, { component: 'auth', api: 'orders' });
    expect(unused).toBeDefined();
    expect(made).toBe(0);
    lazy.debug({ reason: 'r' }, 'credential refused');
    lazy.warn({}, 'again');
    expect(made).toBe(1);
    const nested = lazy.child({ key: 'k1' });
    expect(made).toBe(1);
    nested.error({ n: 1 }, 'nested');
    nested.info({ n: 2 }, 'nested again');
    expect(made).toBe(1); // the nested child is made from the lazy one's own child, not through parent.child
    expect(records.records).toEqual([
      { level: 'debug', fields: { component: 'auth', api: 'orders', reason: 'r' }, msg: 'credential refused' },
      { level: 'warn', fields: { component: 'auth', api: 'orders' }, msg: 'again' },
      { level: 'error', fields: { component: 'auth', api: 'orders', key: 'k1', n: 1 }, msg: 'nested' },
      { level: 'info', fields: { component: 'auth', api: 'orders', key: 'k1', n: 2 }, msg: 'nested again' },
    ]);
  });
});
