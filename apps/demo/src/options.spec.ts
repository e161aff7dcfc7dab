import { describe, expect, it } from 'vitest';
import { parseDemoOptions, usage, UsageError } from './options.js';

const defaults = { runtimesPerZone: 1, portBase: 7000 };

describe('parseDemoOptions', () => {
  it('has defaults for everything and reads the shared variables', () => {
    const o = parseDemoOptions([], { REDIS_URL: 'redis://127.0.0.1:6379', ADMIN_TOKEN: 't' }, defaults);
    expect(o).toMatchObject({ zones: 3, runtimesPerZone: 1, controllers: 2, portBase: 7000, databaseUrl: undefined, redisUrl: 'redis://127.0.0.1:6379', adminToken: 't', logLevel: 'info', help: false });
  });

  it('takes flags over environment variables, and environment variables over defaults', () => {
    const env = { DEMO_ZONES: '2', DEMO_RUNTIMES_PER_ZONE: '3', DEMO_PORT_BASE: '9000', DEMO_DATA_DIR: '/env/data', DATABASE_URL: 'postgres://x@h/db' };
    const o = parseDemoOptions(['--zones', '4', '--data-dir', '/flag/data', '--state-file=/s.json'], env, defaults);
    expect(o).toMatchObject({ zones: 4, runtimesPerZone: 3, portBase: 9000, dataDir: '/flag/data', stateFile: '/s.json', databaseUrl: 'postgres://x@h/db' });
  });

  it('ignores empty environment variables', () => {
    expect(parseDemoOptions([], { DEMO_ZONES: '', DATABASE_URL: '' }, defaults)).toMatchObject({ zones: 3, databaseUrl: undefined });
  });

  it.each([
    [['--zones', '0'], '--zones must be an integer between 1 and 9'],
    [['--zones', '10'], '--zones must be an integer between 1 and 9'],
    [['--runtimes-per-zone', 'two'], '--runtimes-per-zone must be an integer'],
    [['--port-base', '65500'], '--port-base must be an integer between 0 and 65235'],
    [['--colour', 'red'], "Unknown option '--colour'"],
    [['extra'], 'extra'],
  ])('rejects %j', (argv, message) => {
    expect(() => parseDemoOptions(argv, {}, defaults)).toThrow(UsageError);
    expect(() => parseDemoOptions(argv, {}, defaults)).toThrow(message);
  });

  it('documents every flag in the usage text', () => {
    const text = usage('npm start --', defaults);
    for (const flag of ['--zones', '--runtimes-per-zone', '--controllers', '--port-base', '--data-dir', '--work-dir', '--state-file', '--help']) expect(text).toContain(flag);
    expect(parseDemoOptions(['-h'], {}, defaults).help).toBe(true);
  });
});
