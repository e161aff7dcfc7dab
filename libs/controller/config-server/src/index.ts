export { ConfigServer, DEFAULT_NACK_RECALL_TIMEOUT_MS, type ConfigServerOptions, type NackRecall } from './config-server.js';
export { combineCallbacks, type RuntimeSession, type ConfigServerCallbacks, type SentResponse, type FullBecause } from './runtime-session.js';
export { SharedResponses, type HeldBase, type SharedResponse } from './shared-responses.js';
export { DEFAULT_STREAM_LIMITS, NACK_CODE_MAX_BYTES, TokenBucket, StreamCounter, truncateUtf8, type StreamLimits } from './stream-limits.js';
export { runtimeIdentityOf, type RuntimeIdentity } from './peer-identity.js';
export { AdmissionGate, DEFAULT_ADMISSION_RATE, type AdmissionRate } from './admission-gate.js';
export { SendQueue, DEFAULT_SEND_SLICE_MS, type SendTarget } from './send-queue.js';
