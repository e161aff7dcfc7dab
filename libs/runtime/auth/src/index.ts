export { Authenticator, bearerToken, type AuthRequest, type AuthResult, type AuthenticatorDeps } from './authenticator.js';
export { ApiKeySet, hashApiKey } from './api-keys.js';
export { JwtVerifier, MAX_TOKEN_LENGTH, type JwtResult, type JwtVerifierDeps } from './jwt-verifier.js';
export { JwksCache, JwksCacheRegistry, type JwksCacheOptions } from './jwks-cache.js';
export { type VerificationKey } from './jwk.js';
// Declared once, in the API schema; re-exported for callers that imported them from here.
export { JWT_ALGORITHMS, type JwtAlgorithm } from '@gw/api-schema';
export { bearerChallenge, apiKeyChallenge } from './challenges.js';
export { setConsumerHeader, removeQueryParam, queryParamValues } from './consumer-identity.js';
export { resolveCorsPolicy, corsDecision, type ResolvedCorsPolicy, type CorsDecision } from './cors.js';
export { redactHeaders, redactUrl, maskAuthPolicy, REDACTED } from './redact.js';
