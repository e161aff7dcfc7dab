import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import type { ProtoGrpcType } from './generated/config.js';

/**
 * Where `proto/` lives: the repository root, four levels above this file in both the
 * source tree (libs/shared/config-proto/src) and the build (libs/shared/config-proto/dist). Container
 * images keep the same layout. `GW_PROTO_DIR` overrides it for unusual layouts.
 */
export function protoDirectory(): string {
  return process.env['GW_PROTO_DIR'] ?? fileURLToPath(new URL('../../../../proto/', import.meta.url));
}

/** The loader options the generated types were produced with (tools/proto-gen-args.mjs). */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** Channel and server options shared by both ends: large snapshots and fast dead-peer detection. */
export const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

let cached: ProtoGrpcType | undefined;

/** Loads `gateway.config.v1` once per process. */
export function loadConfigProto(): ProtoGrpcType {
  if (!cached) {
    const definition = protoLoader.loadSync('gateway/config/v1/config.proto', {
      ...PROTO_LOADER_OPTIONS,
      includeDirs: [protoDirectory()],
    });
    cached = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  }
  return cached;
}
