import type { TokenRole } from '@gw/store';
import type express from 'express';
import inject from 'light-my-request';

/** Issues one named token per role through the app's own POST /v1/tokens (as the bootstrap admin). */
export async function issueRoleTokens(app: express.Express, bootstrapToken: string, namePrefix: string): Promise<Record<TokenRole, string>> {
  const tokens: Partial<Record<TokenRole, string>> = {};
  for (const role of ['viewer', 'deployer', 'admin'] as const) {
    const res = await inject(app, {
      method: 'POST',
      url: '/v1/tokens',
      headers: { authorization: `Bearer ${bootstrapToken}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: `${namePrefix}-${role}`, role }),
    });
    if (res.statusCode !== 201) throw new Error(`POST /v1/tokens (${role}) answered ${res.statusCode}: ${res.payload}`);
    tokens[role] = res.json<{ token: string }>().token;
  }
  return tokens as Record<TokenRole, string>;
}
