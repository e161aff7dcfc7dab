import { describe, expect, it } from 'vitest';
import { readEnv, type EnvRule } from './env-reader.js';
import { envVar } from './env-vars.js';

const DECLARED = {
  NAME: envVar.string({ default: 'n' }),
  TOKEN: envVar.string(),
  URL: envVar.required('is required (e.g. postgres://h/db)'),
  PORT: envVar.port({ default: 8080 }),
  LIMIT_MS: envVar.int({ default: 1_000, min: 50, max: 600_000 }),
  LOW: envVar.int({ default: 10, min: 0, max: 100 }),
  HIGH: envVar.int({ default: 20, min: 0, max: 100 }),
  OPTIONAL_MS: envVar.int({ min: 1, max: 10 }),
  MODE: envVar.oneOf(['auto', 'listen', 'poll'], { default: 'auto' }),
  LOG_LEVEL: envVar.logLevel({ default: 'info' }),
};
const RULES: EnvRule<typeof DECLARED>[] = [
  { uses: ['LOW', 'HIGH'], check: (e) => (e.LOW >= e.HIGH ? `LOW (${e.LOW}) must be below HIGH (${e.HIGH})` : undefined) },
];
const read = (env: Record<string, string>) => readEnv(DECLARED, { URL: 'postgres://h/db', ...env }, RULES);
const failure = (env: Record<string, string>) => {
  try {
    read(env);
  } catch (err) {
    return err as { code: string; message: string; details: { problems: string[] } };
  }
  throw new Error('expected GW_CONFIG_ENV');
};

describe('readEnv', () => {
  it('fills defaults, and takes empty (and for numbers and choices, blank) as not given', () => {
    expect(read({})).toEqual({ NAME: 'n', TOKEN: undefined, URL: 'postgres://h/db', PORT: 8080, LIMIT_MS: 1_000, LOW: 10, HIGH: 20, OPTIONAL_MS: undefined, MODE: 'auto', LOG_LEVEL: 'info' });
    expect(read({ NAME: '', TOKEN: '', PORT: '', LIMIT_MS: '  ', MODE: ' ', LOG_LEVEL: '' })).toMatchObject({ NAME: 'n', TOKEN: undefined, PORT: 8080, LIMIT_MS: 1_000, MODE: 'auto' });
    // Text is kept as given: a token of spaces is still a token.
    expect(read({ TOKEN: '  ' }).TOKEN).toBe('  ');
  });

  it('reads typed values', () => {
    expect(read({ NAME: 'x', PORT: '0', LIMIT_MS: '600000', OPTIONAL_MS: '3', MODE: 'poll', LOG_LEVEL: 'silent' })).toMatchObject({
      NAME: 'x', PORT: 0, LIMIT_MS: 600_000, OPTIONAL_MS: 3, MODE: 'poll', LOG_LEVEL: 'silent',
    });
  });

  it('refuses a bad value with GW_CONFIG_ENV naming the variable, the rule and the value', () => {
    for (const [value, shown] of [['49', '49'], ['600001', '600001'], ['1.5', '1.5'], ['soon', 'soon'], ['Infinity', 'Infinity']]) {
      expect(failure({ LIMIT_MS: value! })).toMatchObject({ code: 'GW_CONFIG_ENV', message: `LIMIT_MS must be an integer between 50 and 600000, got "${shown}"` });
    }
    expect(failure({ PORT: '65536' }).message).toBe('PORT must be an integer between 0 and 65535, got "65536"');
    expect(failure({ MODE: 'push' }).message).toBe('MODE must be "auto", "listen" or "poll", got "push"');
    expect(failure({ LOG_LEVEL: 'verbose' }).message).toBe('LOG_LEVEL must be "debug", "info", "warn", "error" or "silent", got "verbose"');
    expect(failure({ URL: ' ' }).message).toBe('URL is required (e.g. postgres://h/db)');
  });

  it('lists every problem in one error, rules across variables included', () => {
    const err = failure({ URL: '', PORT: 'http', MODE: 'x', LOW: '50', HIGH: '40' });
    expect(err.details.problems).toEqual([
      'URL is required (e.g. postgres://h/db)',
      'PORT must be an integer between 0 and 65535, got "http"',
      'MODE must be "auto", "listen" or "poll", got "x"',
      'LOW (50) must be below HIGH (40)',
    ]);
    expect(err.message).toBe(`4 environment problems: ${err.details.problems.join('; ')}`);
  });

  it('skips a rule when a variable it uses is invalid on its own (that problem is reported instead)', () => {
    expect(failure({ LOW: '500', HIGH: '40' }).details.problems).toEqual(['LOW must be an integer between 0 and 100, got "500"']);
  });

  it('joins a rule that starts with ":" to the name, and never quotes the value twice', () => {
    const declared = {
      LIST: envVar.required('is required').transform((raw, ctx) => {
        if (raw.includes('!')) ctx.issues.push({ code: 'custom', message: `: "${raw}" has a "!"`, input: raw });
        if (raw.includes('?')) ctx.issues.push({ code: 'custom', message: ': no entry given', input: raw });
        return raw.split(',');
      }),
    };
    expect(readEnv(declared, { LIST: 'a,b' })).toEqual({ LIST: ['a', 'b'] });
    expect(() => readEnv(declared, { LIST: 'a!' })).toThrow(/^LIST: "a!" has a "!"$/);
    expect(() => readEnv(declared, { LIST: '?' })).toThrow(/^LIST: no entry given, got "\?"$/);
  });
});
