// Original file: proto/gateway/config/v1/config.proto

import type { Api as _gateway_config_v1_Api, Api__Output as _gateway_config_v1_Api__Output } from '../../../gateway/config/v1/Api.js';

export interface Snapshot {
  'apis'?: (_gateway_config_v1_Api)[];
}

export interface Snapshot__Output {
  'apis': (_gateway_config_v1_Api__Output)[];
}
