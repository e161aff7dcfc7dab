// Original file: proto/gateway/config/v1/config.proto

import type { Jwk as _gateway_config_v1_Jwk, Jwk__Output as _gateway_config_v1_Jwk__Output } from '../../../gateway/config/v1/Jwk.js';

export interface JwtAuth {
  'enabled'?: (boolean);
  'keys'?: (_gateway_config_v1_Jwk)[];
  'jwksUrl'?: (string);
  'issuers'?: (string)[];
  'audiences'?: (string)[];
  'algorithms'?: (string)[];
  'clockSkewSec'?: (number);
  'requireExp'?: (boolean);
  'consumerClaim'?: (string);
  'forward'?: (boolean);
}

export interface JwtAuth__Output {
  'enabled': (boolean);
  'keys': (_gateway_config_v1_Jwk__Output)[];
  'jwksUrl': (string);
  'issuers': (string)[];
  'audiences': (string)[];
  'algorithms': (string)[];
  'clockSkewSec': (number);
  'requireExp': (boolean);
  'consumerClaim': (string);
  'forward': (boolean);
}
