// Original file: proto/gateway/config/v1/config.proto

import type { Snapshot as _gateway_config_v1_Snapshot, Snapshot__Output as _gateway_config_v1_Snapshot__Output } from '../../../gateway/config/v1/Snapshot.js';
import type { Long } from '@grpc/proto-loader';

export interface ConfigResponse {
  'version'?: (number | string | Long);
  'hash'?: (string);
  'nonce'?: (string);
  'controllerId'?: (string);
  'controllerZone'?: (string);
  'epoch'?: (number | string | Long);
  'snapshot'?: (_gateway_config_v1_Snapshot | null);
}

export interface ConfigResponse__Output {
  'version': (number);
  'hash': (string);
  'nonce': (string);
  'controllerId': (string);
  'controllerZone': (string);
  'epoch': (number);
  'snapshot': (_gateway_config_v1_Snapshot__Output | null);
}
