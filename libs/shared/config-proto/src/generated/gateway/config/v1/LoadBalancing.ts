// Original file: proto/gateway/config/v1/config.proto

import type { HashOn as _gateway_config_v1_HashOn, HashOn__Output as _gateway_config_v1_HashOn__Output } from '../../../gateway/config/v1/HashOn.js';

export interface LoadBalancing {
  'algorithm'?: (string);
  'hashOn'?: (_gateway_config_v1_HashOn | null);
  'zoneAware'?: (boolean);
  'minZoneHealthyPercent'?: (number);
}

export interface LoadBalancing__Output {
  'algorithm': (string);
  'hashOn': (_gateway_config_v1_HashOn__Output | null);
  'zoneAware': (boolean);
  'minZoneHealthyPercent': (number);
}
