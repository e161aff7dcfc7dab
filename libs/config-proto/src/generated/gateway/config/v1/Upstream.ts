// Original file: proto/gateway/config/v1/config.proto

import type { Target as _gateway_config_v1_Target, Target__Output as _gateway_config_v1_Target__Output } from '../../../gateway/config/v1/Target.js';

export interface Upstream {
  'targets'?: (_gateway_config_v1_Target)[];
  'connectTimeoutMs'?: (number);
  'requestTimeoutMs'?: (number);
}

export interface Upstream__Output {
  'targets': (_gateway_config_v1_Target__Output)[];
  'connectTimeoutMs': (number);
  'requestTimeoutMs': (number);
}
