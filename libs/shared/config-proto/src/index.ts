export { loadConfigProto, protoDirectory, PROTO_LOADER_OPTIONS, MAX_MESSAGE_BYTES } from './load-config-proto.js';
export { deltaFromResponse, heldToProto, resourcesToProto, snapshotFromResponse } from './snapshot-messages.js';
export { configServiceWithSharedEncoding, EncodedConfigResponse, encodeConfigResponse } from './encoded-response.js';
export { CONTROLLER_ID_METADATA, CONTROLLER_ZONE_METADATA } from './stream-metadata.js';
export type { ProtoGrpcType } from './generated/config.js';
export type { ConfigRequest, ConfigRequest__Output } from './generated/gateway/config/v1/ConfigRequest.js';
export type { ConfigResponse, ConfigResponse__Output } from './generated/gateway/config/v1/ConfigResponse.js';
export type { Resource, Resource__Output } from './generated/gateway/config/v1/Resource.js';
export type { ResourceKey as ProtoResourceKey, ResourceKey__Output as ProtoResourceKeyOutput } from './generated/gateway/config/v1/ResourceKey.js';
export type { ResourceVersion, ResourceVersion__Output } from './generated/gateway/config/v1/ResourceVersion.js';
export type { Node as ProtoNode, Node__Output as ProtoNodeOutput } from './generated/gateway/config/v1/Node.js';
export type { ErrorDetail, ErrorDetail__Output } from './generated/gateway/config/v1/ErrorDetail.js';
export type {
  ConfigDiscoveryClient,
  ConfigDiscoveryHandlers,
  ConfigDiscoveryDefinition,
} from './generated/gateway/config/v1/ConfigDiscovery.js';
