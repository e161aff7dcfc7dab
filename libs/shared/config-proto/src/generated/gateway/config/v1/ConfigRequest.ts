// Original file: proto/gateway/config/v1/config.proto

import type { Node as _gateway_config_v1_Node, Node__Output as _gateway_config_v1_Node__Output } from '../../../gateway/config/v1/Node.js';
import type { ErrorDetail as _gateway_config_v1_ErrorDetail, ErrorDetail__Output as _gateway_config_v1_ErrorDetail__Output } from '../../../gateway/config/v1/ErrorDetail.js';
import type { ResourceVersion as _gateway_config_v1_ResourceVersion, ResourceVersion__Output as _gateway_config_v1_ResourceVersion__Output } from '../../../gateway/config/v1/ResourceVersion.js';
import type { Long } from '@grpc/proto-loader';

export interface ConfigRequest {
  'node'?: (_gateway_config_v1_Node | null);
  'versionInfo'?: (number | string | Long);
  'hash'?: (string);
  'responseNonce'?: (string);
  'errorDetail'?: (_gateway_config_v1_ErrorDetail | null);
  'epoch'?: (number | string | Long);
  'delta'?: (boolean);
  'initialResourceVersions'?: (_gateway_config_v1_ResourceVersion)[];
}

export interface ConfigRequest__Output {
  'node': (_gateway_config_v1_Node__Output | null);
  'versionInfo': (number);
  'hash': (string);
  'responseNonce': (string);
  'errorDetail': (_gateway_config_v1_ErrorDetail__Output | null);
  'epoch': (number);
  'delta': (boolean);
  'initialResourceVersions': (_gateway_config_v1_ResourceVersion__Output)[];
}
