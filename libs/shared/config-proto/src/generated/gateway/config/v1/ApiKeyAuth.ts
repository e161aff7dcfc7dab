// Original file: proto/gateway/config/v1/config.proto

import type { ApiKey as _gateway_config_v1_ApiKey, ApiKey__Output as _gateway_config_v1_ApiKey__Output } from '../../../gateway/config/v1/ApiKey.js';

export interface ApiKeyAuth {
  'enabled'?: (boolean);
  'location'?: (string);
  'name'?: (string);
  'forward'?: (boolean);
  'keys'?: (_gateway_config_v1_ApiKey)[];
}

export interface ApiKeyAuth__Output {
  'enabled': (boolean);
  'location': (string);
  'name': (string);
  'forward': (boolean);
  'keys': (_gateway_config_v1_ApiKey__Output)[];
}
