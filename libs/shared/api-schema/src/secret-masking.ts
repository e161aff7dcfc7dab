import type { ApiDefinition } from './api-definition.schema.js';
import { REDACTED } from './jwk.js';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The definition as the deploy API shows it: the only secret a definition holds, the `k`
 * (HMAC secret) of an inline `oct` JWK, reads `"[REDACTED]"`. API keys are stored as
 * SHA-256 hashes only and are shown as stored (a hash cannot be presented as a key).
 * The input is not changed.
 */
export function maskDefinitionSecrets(def: ApiDefinition): ApiDefinition {
  const jwt = def.policies?.auth?.jwt;
  if (!jwt || !jwt.keys.some((k) => k.k !== undefined)) return def;
  return {
    ...def,
    policies: {
      ...def.policies,
      auth: { ...def.policies.auth!, jwt: { ...jwt, keys: jwt.keys.map((k) => (k.k === undefined ? k : { ...k, k: REDACTED })) } },
    },
  };
}

/** The inline JWKs of a definition as received (unknown shape), if it has any. */
function inputJwks(input: unknown): unknown[] | undefined {
  if (!isObject(input)) return undefined;
  const policies = input['policies'];
  const auth = isObject(policies) ? policies['auth'] : undefined;
  const jwt = isObject(auth) ? auth['jwt'] : undefined;
  const keys = isObject(jwt) ? jwt['keys'] : undefined;
  return Array.isArray(keys) ? keys : undefined;
}

/** Whether the body sends `"[REDACTED]"` back for a JWK secret (so the stored API is needed). */
export function hasMaskedSecrets(input: unknown): boolean {
  return inputJwks(input)?.some((k) => isObject(k) && k['k'] === REDACTED) ?? false;
}

/**
 * A PUT body with every `"k": "[REDACTED]"` of an `oct` JWK replaced by the stored secret
 * of the stored `oct` key with the same `kid`, so what GET returned can be applied again
 * unchanged (export → apply). A masked key without a `kid`, or whose `kid` the stored API
 * does not have, stays masked, and validation refuses it. Returns the input itself when
 * there is nothing to restore, else a copy.
 */
export function restoreMaskedSecrets(input: unknown, stored: ApiDefinition | undefined): unknown {
  const keys = inputJwks(input);
  if (!keys || !hasMaskedSecrets(input)) return input;
  const secrets = new Map<string, string>();
  for (const k of stored?.policies?.auth?.jwt?.keys ?? []) if (k.kty === 'oct' && k.kid !== undefined && k.k !== undefined) secrets.set(k.kid, k.k);
  const restored = keys.map((k) => {
    if (!isObject(k) || k['k'] !== REDACTED || k['kty'] !== 'oct' || typeof k['kid'] !== 'string') return k;
    const secret = secrets.get(k['kid']);
    return secret === undefined ? k : { ...k, k: secret };
  });
  const body = input as JsonObject;
  const policies = body['policies'] as JsonObject;
  const auth = policies['auth'] as JsonObject;
  return { ...body, policies: { ...policies, auth: { ...auth, jwt: { ...(auth['jwt'] as JsonObject), keys: restored } } } };
}
