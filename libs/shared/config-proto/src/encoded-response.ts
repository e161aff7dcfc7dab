import type * as grpc from '@grpc/grpc-js';
import type { ConfigResponse } from './generated/gateway/config/v1/ConfigResponse.js';
import type { ConfigDiscoveryDefinition } from './generated/gateway/config/v1/ConfigDiscovery.js';
import { loadConfigProto } from './load-config-proto.js';

/**
 * A response whose body (everything but the nonce) was encoded once and is shared by every
 * stream that sends it: at 10,000 APIs a whole state is ~15 MiB, and encoding it once per
 * runtime costs more CPU than anything else the controller does. Protobuf lets a message
 * be the concatenation of encodings of its parts (a later scalar field wins, repeated ones
 * append), so the wire bytes are `body` followed by the encoded nonce field: any decoder
 * reads them as one ConfigResponse.
 */
export class EncodedConfigResponse {
  constructor(
    /** The response without a nonce, encoded. */
    readonly body: Buffer,
    readonly nonce: string,
  ) {}
}

/** Encodes a response (or its nonce-less body) with the method's own serializer. */
export function encodeConfigResponse(response: ConfigResponse): Buffer {
  return definition().StreamConfig.responseSerialize(response);
}

/**
 * The ConfigDiscovery service definition for `grpc.Server.addService`, whose StreamConfig
 * response serializer also takes an EncodedConfigResponse (written as `body` + nonce).
 * Handlers may then write either kind.
 */
export function configServiceWithSharedEncoding(): grpc.ServiceDefinition {
  const service = definition();
  const method = service.StreamConfig;
  const serialize = method.responseSerialize;
  return {
    ...service,
    StreamConfig: {
      ...method,
      responseSerialize: (value: ConfigResponse | EncodedConfigResponse) =>
        value instanceof EncodedConfigResponse ? Buffer.concat([value.body, serialize({ nonce: value.nonce })]) : serialize(value),
    },
  } as grpc.ServiceDefinition;
}

function definition(): ConfigDiscoveryDefinition {
  return loadConfigProto().gateway.config.v1.ConfigDiscovery.service;
}
