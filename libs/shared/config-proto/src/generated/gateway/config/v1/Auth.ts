// Original file: proto/gateway/config/v1/config.proto

import type { ApiKeyAuth as _gateway_config_v1_ApiKeyAuth, ApiKeyAuth__Output as _gateway_config_v1_ApiKeyAuth__Output } from '../../../gateway/config/v1/ApiKeyAuth.js';
import type { JwtAuth as _gateway_config_v1_JwtAuth, JwtAuth__Output as _gateway_config_v1_JwtAuth__Output } from '../../../gateway/config/v1/JwtAuth.js';

export interface Auth {
  'enabled'?: (boolean);
  'apiKey'?: (_gateway_config_v1_ApiKeyAuth | null);
  'jwt'?: (_gateway_config_v1_JwtAuth | null);
  'allowConsumers'?: (string)[];
}

export interface Auth__Output {
  'enabled': (boolean);
  'apiKey': (_gateway_config_v1_ApiKeyAuth__Output | null);
  'jwt': (_gateway_config_v1_JwtAuth__Output | null);
  'allowConsumers': (string)[];
}
