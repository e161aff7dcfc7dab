export { backoffCeiling, backoffDelay, type BackoffOptions, type Random } from './backoff-delay.js';
export { Backoff } from './backoff.js';
