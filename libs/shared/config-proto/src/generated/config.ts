import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ConfigDiscoveryClient as _gateway_config_v1_ConfigDiscoveryClient, ConfigDiscoveryDefinition as _gateway_config_v1_ConfigDiscoveryDefinition } from './gateway/config/v1/ConfigDiscovery.js';
import type { ConfigRequest as _gateway_config_v1_ConfigRequest, ConfigRequest__Output as _gateway_config_v1_ConfigRequest__Output } from './gateway/config/v1/ConfigRequest.js';
import type { ConfigResponse as _gateway_config_v1_ConfigResponse, ConfigResponse__Output as _gateway_config_v1_ConfigResponse__Output } from './gateway/config/v1/ConfigResponse.js';
import type { ErrorDetail as _gateway_config_v1_ErrorDetail, ErrorDetail__Output as _gateway_config_v1_ErrorDetail__Output } from './gateway/config/v1/ErrorDetail.js';
import type { Node as _gateway_config_v1_Node, Node__Output as _gateway_config_v1_Node__Output } from './gateway/config/v1/Node.js';
import type { Resource as _gateway_config_v1_Resource, Resource__Output as _gateway_config_v1_Resource__Output } from './gateway/config/v1/Resource.js';
import type { ResourceKey as _gateway_config_v1_ResourceKey, ResourceKey__Output as _gateway_config_v1_ResourceKey__Output } from './gateway/config/v1/ResourceKey.js';
import type { ResourceVersion as _gateway_config_v1_ResourceVersion, ResourceVersion__Output as _gateway_config_v1_ResourceVersion__Output } from './gateway/config/v1/ResourceVersion.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  gateway: {
    config: {
      v1: {
        ConfigDiscovery: SubtypeConstructor<typeof grpc.Client, _gateway_config_v1_ConfigDiscoveryClient> & { service: _gateway_config_v1_ConfigDiscoveryDefinition }
        ConfigRequest: MessageTypeDefinition<_gateway_config_v1_ConfigRequest, _gateway_config_v1_ConfigRequest__Output>
        ConfigResponse: MessageTypeDefinition<_gateway_config_v1_ConfigResponse, _gateway_config_v1_ConfigResponse__Output>
        ErrorDetail: MessageTypeDefinition<_gateway_config_v1_ErrorDetail, _gateway_config_v1_ErrorDetail__Output>
        Node: MessageTypeDefinition<_gateway_config_v1_Node, _gateway_config_v1_Node__Output>
        Resource: MessageTypeDefinition<_gateway_config_v1_Resource, _gateway_config_v1_Resource__Output>
        ResourceKey: MessageTypeDefinition<_gateway_config_v1_ResourceKey, _gateway_config_v1_ResourceKey__Output>
        ResourceVersion: MessageTypeDefinition<_gateway_config_v1_ResourceVersion, _gateway_config_v1_ResourceVersion__Output>
      }
    }
  }
}

