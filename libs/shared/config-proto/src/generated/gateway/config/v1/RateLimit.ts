// Original file: proto/gateway/config/v1/config.proto

import type { RateLimitKey as _gateway_config_v1_RateLimitKey, RateLimitKey__Output as _gateway_config_v1_RateLimitKey__Output } from '../../../gateway/config/v1/RateLimitKey.js';

export interface RateLimit {
  'name'?: (string);
  'limit'?: (number);
  'windowMs'?: (number);
  'burst'?: (number);
  'key'?: (_gateway_config_v1_RateLimitKey | null);
  'scope'?: (string);
  'failureMode'?: (string);
}

export interface RateLimit__Output {
  'name': (string);
  'limit': (number);
  'windowMs': (number);
  'burst': (number);
  'key': (_gateway_config_v1_RateLimitKey__Output | null);
  'scope': (string);
  'failureMode': (string);
}
