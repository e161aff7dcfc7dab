export { buildRuntimeConfig, decodeDefinitions, encodeDefinitions, type ApiRuntime, type BuildOptions, type BuildVerdict, type RuntimeConfig, type RuntimeConfigServices } from './runtime-config.js';
export { RuntimeState, checkNotOlder, type AppliedConfig, type ApplyOrigin, type ApplyVerdict, type ConfigSource, type RuntimeStateOptions, type SwapListener } from './runtime-state.js';
export { ApiPolicies, type PolicyServices } from './api-policies.js';
export { type PolicyEvents } from './policy-events.js';
export type { EncodedBlocks } from './shared-blocks.js';
