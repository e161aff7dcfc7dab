import type { ApiKeyLocation } from '@gw/api-schema';

/** RFC 9110 quoted-string content: no quotes, backslashes or control characters. */
function quoted(s: string): string {
  return `"${s.replace(/[\\"]/g, '').replace(/[^\x20-\x7e]/g, '?')}"`;
}

/** `Bearer realm="orders"`, plus RFC 6750 `error="invalid_token"` and a fixed, secret-free description when a token was refused. */
export function bearerChallenge(realm: string, error?: { description: string }): string {
  const base = `Bearer realm=${quoted(realm)}`;
  return error ? `${base}, error="invalid_token", error_description=${quoted(error.description)}` : base;
}

/** No standard scheme exists for API keys; this names where the key goes: `ApiKey realm="orders", header="x-api-key"`. */
export function apiKeyChallenge(realm: string, location: ApiKeyLocation): string {
  const where = 'header' in location ? `header=${quoted(location.header)}` : `query=${quoted(location.query)}`;
  return `ApiKey realm=${quoted(realm)}, ${where}`;
}
