// Original file: proto/gateway/config/v1/config.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ConfigRequest as _gateway_config_v1_ConfigRequest, ConfigRequest__Output as _gateway_config_v1_ConfigRequest__Output } from '../../../gateway/config/v1/ConfigRequest.js';
import type { ConfigResponse as _gateway_config_v1_ConfigResponse, ConfigResponse__Output as _gateway_config_v1_ConfigResponse__Output } from '../../../gateway/config/v1/ConfigResponse.js';

export interface ConfigDiscoveryClient extends grpc.Client {
  StreamConfig(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_gateway_config_v1_ConfigRequest, _gateway_config_v1_ConfigResponse__Output>;
  StreamConfig(options?: grpc.CallOptions): grpc.ClientDuplexStream<_gateway_config_v1_ConfigRequest, _gateway_config_v1_ConfigResponse__Output>;
  streamConfig(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_gateway_config_v1_ConfigRequest, _gateway_config_v1_ConfigResponse__Output>;
  streamConfig(options?: grpc.CallOptions): grpc.ClientDuplexStream<_gateway_config_v1_ConfigRequest, _gateway_config_v1_ConfigResponse__Output>;
  
}

export interface ConfigDiscoveryHandlers extends grpc.UntypedServiceImplementation {
  StreamConfig: grpc.handleBidiStreamingCall<_gateway_config_v1_ConfigRequest__Output, _gateway_config_v1_ConfigResponse>;
  
}

export interface ConfigDiscoveryDefinition extends grpc.ServiceDefinition {
  StreamConfig: MethodDefinition<_gateway_config_v1_ConfigRequest, _gateway_config_v1_ConfigResponse, _gateway_config_v1_ConfigRequest__Output, _gateway_config_v1_ConfigResponse__Output>
}
