export { Authenticator, bearerToken, type AuthPolicy, type AuthRequest, type AuthResult, type AuthenticatorDeps } from './authenticator.js';
export { ApiKeySet, hashApiKey, type ApiKeyEntry, type ApiKeyLocation, type ApiKeyPolicy } from './api-keys.js';
export { JwtVerifier, MAX_TOKEN_LENGTH, type JwtPolicy, type JwtResult, type JwtVerifierDeps } from './jwt-verifier.js';
export { JwksCache, JwksCacheRegistry, type JwksCacheOptions } from './jwks-cache.js';
export { JWT_ALGORITHMS, type JwtAlgorithm, type VerificationKey } from './jwk.js';
export { bearerChallenge, apiKeyChallenge } from './challenges.js';
export { setConsumerHeader, removeQueryParam, queryParamValues } from './consumer-identity.js';
export { resolveCorsPolicy, corsDecision, type CorsPolicy, type ResolvedCorsPolicy, type CorsDecision } from './cors.js';
export { redactHeaders, redactUrl, maskAuthPolicy, REDACTED } from './redact.js';
