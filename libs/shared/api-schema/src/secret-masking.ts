import type { ApiDefinition } from './api-definition.schema.js';
import { REDACTED } from './jwk.js';
import { isJsonObject } from './json-object.js';
import { listSecretFields, mapSecretFields } from './secret-fields.js';

type JsonObject = Record<string, unknown>;

/**
 * The definition as the deploy API shows it: every field the schema marks as secret
 * (`secretField`; today the `k` HMAC secret of an inline `oct` JWK) reads `"[REDACTED]"`.
 * API keys are stored as SHA-256 hashes only and are shown as stored (a hash cannot be
 * presented as a key). The input is not changed; without secrets it is returned itself.
 */
export function maskDefinitionSecrets(def: ApiDefinition): ApiDefinition {
  return mapSecretFields(def, () => REDACTED);
}

/** The inline JWKs of a definition as received (unknown shape), if it has any. */
function inputJwks(input: unknown): unknown[] | undefined {
  if (!isJsonObject(input)) return undefined;
  const policies = input['policies'];
  const auth = isJsonObject(policies) ? policies['auth'] : undefined;
  const jwt = isJsonObject(auth) ? auth['jwt'] : undefined;
  const keys = isJsonObject(jwt) ? jwt['keys'] : undefined;
  return Array.isArray(keys) ? keys : undefined;
}

/** Whether the body sends `"[REDACTED]"` back for a secret field (so the stored API is needed). */
export function hasMaskedSecrets(input: unknown): boolean {
  return listSecretFields(input).some((f) => f.secret === REDACTED);
}

/**
 * A PUT body with every `"k": "[REDACTED]"` of an `oct` JWK replaced by the stored secret
 * of the stored `oct` key with the same `kid`, so what GET returned can be applied again
 * unchanged (export → apply). A masked key without a `kid`, or whose `kid` the stored API
 * does not have, stays masked, and validation refuses it. Returns the input itself when
 * there is nothing to restore, else a copy. Restoring needs to know which stored item a
 * masked one stands for (for a JWK, its `kid`), so a new secret field adds its rule here.
 */
export function restoreMaskedSecrets(input: unknown, stored: ApiDefinition | undefined): unknown {
  const keys = inputJwks(input);
  if (!keys || !hasMaskedSecrets(input)) return input;
  const secrets = new Map<string, string>();
  for (const k of stored?.policies?.auth?.jwt?.keys ?? []) if (k.kty === 'oct' && k.kid !== undefined && k.k !== undefined) secrets.set(k.kid, k.k);
  const restored = keys.map((k) => {
    if (!isJsonObject(k) || k['k'] !== REDACTED || k['kty'] !== 'oct' || typeof k['kid'] !== 'string') return k;
    const secret = secrets.get(k['kid']);
    return secret === undefined ? k : { ...k, k: secret };
  });
  const body = input as JsonObject;
  const policies = body['policies'] as JsonObject;
  const auth = policies['auth'] as JsonObject;
  return { ...body, policies: { ...policies, auth: { ...auth, jwt: { ...(auth['jwt'] as JsonObject), keys: restored } } } };
}
