import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Api as _gateway_config_v1_Api, Api__Output as _gateway_config_v1_Api__Output } from './gateway/config/v1/Api.js';
import type { ApiKey as _gateway_config_v1_ApiKey, ApiKey__Output as _gateway_config_v1_ApiKey__Output } from './gateway/config/v1/ApiKey.js';
import type { ApiKeyAuth as _gateway_config_v1_ApiKeyAuth, ApiKeyAuth__Output as _gateway_config_v1_ApiKeyAuth__Output } from './gateway/config/v1/ApiKeyAuth.js';
import type { Auth as _gateway_config_v1_Auth, Auth__Output as _gateway_config_v1_Auth__Output } from './gateway/config/v1/Auth.js';
import type { CircuitBreaker as _gateway_config_v1_CircuitBreaker, CircuitBreaker__Output as _gateway_config_v1_CircuitBreaker__Output } from './gateway/config/v1/CircuitBreaker.js';
import type { ConfigDiscoveryClient as _gateway_config_v1_ConfigDiscoveryClient, ConfigDiscoveryDefinition as _gateway_config_v1_ConfigDiscoveryDefinition } from './gateway/config/v1/ConfigDiscovery.js';
import type { ConfigRequest as _gateway_config_v1_ConfigRequest, ConfigRequest__Output as _gateway_config_v1_ConfigRequest__Output } from './gateway/config/v1/ConfigRequest.js';
import type { ConfigResponse as _gateway_config_v1_ConfigResponse, ConfigResponse__Output as _gateway_config_v1_ConfigResponse__Output } from './gateway/config/v1/ConfigResponse.js';
import type { Cors as _gateway_config_v1_Cors, Cors__Output as _gateway_config_v1_Cors__Output } from './gateway/config/v1/Cors.js';
import type { ErrorDetail as _gateway_config_v1_ErrorDetail, ErrorDetail__Output as _gateway_config_v1_ErrorDetail__Output } from './gateway/config/v1/ErrorDetail.js';
import type { HashOn as _gateway_config_v1_HashOn, HashOn__Output as _gateway_config_v1_HashOn__Output } from './gateway/config/v1/HashOn.js';
import type { HealthCheck as _gateway_config_v1_HealthCheck, HealthCheck__Output as _gateway_config_v1_HealthCheck__Output } from './gateway/config/v1/HealthCheck.js';
import type { Idempotency as _gateway_config_v1_Idempotency, Idempotency__Output as _gateway_config_v1_Idempotency__Output } from './gateway/config/v1/Idempotency.js';
import type { Jwk as _gateway_config_v1_Jwk, Jwk__Output as _gateway_config_v1_Jwk__Output } from './gateway/config/v1/Jwk.js';
import type { JwtAuth as _gateway_config_v1_JwtAuth, JwtAuth__Output as _gateway_config_v1_JwtAuth__Output } from './gateway/config/v1/JwtAuth.js';
import type { LoadBalancing as _gateway_config_v1_LoadBalancing, LoadBalancing__Output as _gateway_config_v1_LoadBalancing__Output } from './gateway/config/v1/LoadBalancing.js';
import type { Node as _gateway_config_v1_Node, Node__Output as _gateway_config_v1_Node__Output } from './gateway/config/v1/Node.js';
import type { OutlierDetection as _gateway_config_v1_OutlierDetection, OutlierDetection__Output as _gateway_config_v1_OutlierDetection__Output } from './gateway/config/v1/OutlierDetection.js';
import type { Policies as _gateway_config_v1_Policies, Policies__Output as _gateway_config_v1_Policies__Output } from './gateway/config/v1/Policies.js';
import type { RateLimit as _gateway_config_v1_RateLimit, RateLimit__Output as _gateway_config_v1_RateLimit__Output } from './gateway/config/v1/RateLimit.js';
import type { RateLimitKey as _gateway_config_v1_RateLimitKey, RateLimitKey__Output as _gateway_config_v1_RateLimitKey__Output } from './gateway/config/v1/RateLimitKey.js';
import type { Retries as _gateway_config_v1_Retries, Retries__Output as _gateway_config_v1_Retries__Output } from './gateway/config/v1/Retries.js';
import type { Route as _gateway_config_v1_Route, Route__Output as _gateway_config_v1_Route__Output } from './gateway/config/v1/Route.js';
import type { Snapshot as _gateway_config_v1_Snapshot, Snapshot__Output as _gateway_config_v1_Snapshot__Output } from './gateway/config/v1/Snapshot.js';
import type { Target as _gateway_config_v1_Target, Target__Output as _gateway_config_v1_Target__Output } from './gateway/config/v1/Target.js';
import type { Timeouts as _gateway_config_v1_Timeouts, Timeouts__Output as _gateway_config_v1_Timeouts__Output } from './gateway/config/v1/Timeouts.js';
import type { Upstream as _gateway_config_v1_Upstream, Upstream__Output as _gateway_config_v1_Upstream__Output } from './gateway/config/v1/Upstream.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  gateway: {
    config: {
      v1: {
        Api: MessageTypeDefinition<_gateway_config_v1_Api, _gateway_config_v1_Api__Output>
        ApiKey: MessageTypeDefinition<_gateway_config_v1_ApiKey, _gateway_config_v1_ApiKey__Output>
        ApiKeyAuth: MessageTypeDefinition<_gateway_config_v1_ApiKeyAuth, _gateway_config_v1_ApiKeyAuth__Output>
        Auth: MessageTypeDefinition<_gateway_config_v1_Auth, _gateway_config_v1_Auth__Output>
        CircuitBreaker: MessageTypeDefinition<_gateway_config_v1_CircuitBreaker, _gateway_config_v1_CircuitBreaker__Output>
        ConfigDiscovery: SubtypeConstructor<typeof grpc.Client, _gateway_config_v1_ConfigDiscoveryClient> & { service: _gateway_config_v1_ConfigDiscoveryDefinition }
        ConfigRequest: MessageTypeDefinition<_gateway_config_v1_ConfigRequest, _gateway_config_v1_ConfigRequest__Output>
        ConfigResponse: MessageTypeDefinition<_gateway_config_v1_ConfigResponse, _gateway_config_v1_ConfigResponse__Output>
        Cors: MessageTypeDefinition<_gateway_config_v1_Cors, _gateway_config_v1_Cors__Output>
        ErrorDetail: MessageTypeDefinition<_gateway_config_v1_ErrorDetail, _gateway_config_v1_ErrorDetail__Output>
        HashOn: MessageTypeDefinition<_gateway_config_v1_HashOn, _gateway_config_v1_HashOn__Output>
        HealthCheck: MessageTypeDefinition<_gateway_config_v1_HealthCheck, _gateway_config_v1_HealthCheck__Output>
        Idempotency: MessageTypeDefinition<_gateway_config_v1_Idempotency, _gateway_config_v1_Idempotency__Output>
        Jwk: MessageTypeDefinition<_gateway_config_v1_Jwk, _gateway_config_v1_Jwk__Output>
        JwtAuth: MessageTypeDefinition<_gateway_config_v1_JwtAuth, _gateway_config_v1_JwtAuth__Output>
        LoadBalancing: MessageTypeDefinition<_gateway_config_v1_LoadBalancing, _gateway_config_v1_LoadBalancing__Output>
        Node: MessageTypeDefinition<_gateway_config_v1_Node, _gateway_config_v1_Node__Output>
        OutlierDetection: MessageTypeDefinition<_gateway_config_v1_OutlierDetection, _gateway_config_v1_OutlierDetection__Output>
        Policies: MessageTypeDefinition<_gateway_config_v1_Policies, _gateway_config_v1_Policies__Output>
        RateLimit: MessageTypeDefinition<_gateway_config_v1_RateLimit, _gateway_config_v1_RateLimit__Output>
        RateLimitKey: MessageTypeDefinition<_gateway_config_v1_RateLimitKey, _gateway_config_v1_RateLimitKey__Output>
        Retries: MessageTypeDefinition<_gateway_config_v1_Retries, _gateway_config_v1_Retries__Output>
        Route: MessageTypeDefinition<_gateway_config_v1_Route, _gateway_config_v1_Route__Output>
        Snapshot: MessageTypeDefinition<_gateway_config_v1_Snapshot, _gateway_config_v1_Snapshot__Output>
        Target: MessageTypeDefinition<_gateway_config_v1_Target, _gateway_config_v1_Target__Output>
        Timeouts: MessageTypeDefinition<_gateway_config_v1_Timeouts, _gateway_config_v1_Timeouts__Output>
        Upstream: MessageTypeDefinition<_gateway_config_v1_Upstream, _gateway_config_v1_Upstream__Output>
      }
    }
  }
}

