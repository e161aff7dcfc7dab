import { describe, expect, it } from 'vitest';
import { readControllerConfig } from './env.js';

// TLS is settled here (CONFIG_INSECURE=true) so each case sees only the authentication problems it is about.
const BASE = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/gateway', CONFIG_INSECURE: 'true' };

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    readControllerConfig(env);
  } catch (err) {
    return ((err as { details?: { problems?: string[] } }).details?.problems ?? [String(err)]).map(String);
  }
  return [];
}

describe('deploy-API authentication settings (secure by default)', () => {
  it('refuses to start without ADMIN_TOKEN, naming the variable and the explicit opt-out', () => {
    const problems = problemsOf(BASE);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/ADMIN_TOKEN is required.*ADMIN_AUTH_DISABLED=true/);
    expect(() => readControllerConfig(BASE)).toThrow(expect.objectContaining({ code: 'GW_CONFIG_ENV' }));
  });

  it('takes the bootstrap token, or the opt-out, but not both', () => {
    expect(readControllerConfig({ ...BASE, ADMIN_TOKEN: 'bootstrap-secret' })).toMatchObject({ adminToken: 'bootstrap-secret', authDisabled: false });
    expect(readControllerConfig({ ...BASE, ADMIN_AUTH_DISABLED: 'true' })).toMatchObject({ adminToken: undefined, authDisabled: true });
    expect(problemsOf({ ...BASE, ADMIN_TOKEN: 'x', ADMIN_AUTH_DISABLED: 'true' })).toEqual([expect.stringMatching(/contradict/)]);
    expect(problemsOf({ ...BASE, ADMIN_TOKEN: 'two words' })).toEqual([expect.stringMatching(/whitespace/)]);
    expect(problemsOf({ ...BASE, ADMIN_AUTH_DISABLED: 'yes' })).toEqual([expect.stringMatching(/ADMIN_AUTH_DISABLED/)]);
  });
});
