// Original file: proto/gateway/config/v1/config.proto

import type { Resource as _gateway_config_v1_Resource, Resource__Output as _gateway_config_v1_Resource__Output } from '../../../gateway/config/v1/Resource.js';
import type { ResourceKey as _gateway_config_v1_ResourceKey, ResourceKey__Output as _gateway_config_v1_ResourceKey__Output } from '../../../gateway/config/v1/ResourceKey.js';
import type { Long } from '@grpc/proto-loader';

export interface ConfigResponse {
  'version'?: (number | string | Long);
  'hash'?: (string);
  'nonce'?: (string);
  'controllerId'?: (string);
  'controllerZone'?: (string);
  'epoch'?: (number | string | Long);
  'resources'?: (_gateway_config_v1_Resource)[];
  'delta'?: (boolean);
  'removedResources'?: (_gateway_config_v1_ResourceKey)[];
  'baseHash'?: (string);
}

export interface ConfigResponse__Output {
  'version': (number);
  'hash': (string);
  'nonce': (string);
  'controllerId': (string);
  'controllerZone': (string);
  'epoch': (number);
  'resources': (_gateway_config_v1_Resource__Output)[];
  'delta': (boolean);
  'removedResources': (_gateway_config_v1_ResourceKey__Output)[];
  'baseHash': (string);
}
