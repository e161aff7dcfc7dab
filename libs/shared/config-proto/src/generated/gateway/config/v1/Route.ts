// Original file: proto/gateway/config/v1/config.proto

import type { RateLimit as _gateway_config_v1_RateLimit, RateLimit__Output as _gateway_config_v1_RateLimit__Output } from '../../../gateway/config/v1/RateLimit.js';

export interface Route {
  'name'?: (string);
  'methods'?: (string)[];
  'path'?: (string);
  'rateLimits'?: (_gateway_config_v1_RateLimit)[];
}

export interface Route__Output {
  'name': (string);
  'methods': (string)[];
  'path': (string);
  'rateLimits': (_gateway_config_v1_RateLimit__Output)[];
}
