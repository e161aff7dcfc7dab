// Original file: proto/gateway/config/v1/config.proto

import type { Cors as _gateway_config_v1_Cors, Cors__Output as _gateway_config_v1_Cors__Output } from '../../../gateway/config/v1/Cors.js';
import type { Auth as _gateway_config_v1_Auth, Auth__Output as _gateway_config_v1_Auth__Output } from '../../../gateway/config/v1/Auth.js';
import type { RateLimit as _gateway_config_v1_RateLimit, RateLimit__Output as _gateway_config_v1_RateLimit__Output } from '../../../gateway/config/v1/RateLimit.js';
import type { Idempotency as _gateway_config_v1_Idempotency, Idempotency__Output as _gateway_config_v1_Idempotency__Output } from '../../../gateway/config/v1/Idempotency.js';

export interface Policies {
  'consumerHeader'?: (string);
  'cors'?: (_gateway_config_v1_Cors | null);
  'auth'?: (_gateway_config_v1_Auth | null);
  'rateLimits'?: (_gateway_config_v1_RateLimit)[];
  'idempotency'?: (_gateway_config_v1_Idempotency | null);
}

export interface Policies__Output {
  'consumerHeader': (string);
  'cors': (_gateway_config_v1_Cors__Output | null);
  'auth': (_gateway_config_v1_Auth__Output | null);
  'rateLimits': (_gateway_config_v1_RateLimit__Output)[];
  'idempotency': (_gateway_config_v1_Idempotency__Output | null);
}
