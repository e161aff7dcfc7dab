import type { Snapshot, SnapshotContent } from '@gw/snapshot';
import type { Snapshot as ProtoSnapshot } from './generated/gateway/config/v1/Snapshot.js';
import type { Snapshot__Output as ProtoSnapshotOutput } from './generated/gateway/config/v1/Snapshot.js';
import type { ConfigResponse__Output } from './generated/gateway/config/v1/ConfigResponse.js';

/** Domain content → protobuf message. */
export function contentToProto(content: SnapshotContent): ProtoSnapshot {
  return {
    apis: content.apis.map((api) => ({
      name: api.name,
      hosts: api.hosts,
      basePath: api.basePath,
      stripBasePath: api.stripBasePath,
      upstream: {
        targets: api.upstream.targets.map((t) => ({ url: t.url, weight: t.weight })),
        connectTimeoutMs: api.upstream.connectTimeoutMs,
        requestTimeoutMs: api.upstream.requestTimeoutMs,
      },
    })),
  };
}

/**
 * Protobuf message → domain content. Decoding never throws and never invents data: a
 * missing upstream decodes to one with no targets, which validation then rejects, so a
 * malformed message surfaces as a NACK with a reason instead of an exception.
 */
export function contentFromProto(message: ProtoSnapshotOutput | null): SnapshotContent {
  return {
    apis: (message?.apis ?? []).map((api) => ({
      name: api.name,
      hosts: [...api.hosts],
      basePath: api.basePath,
      stripBasePath: api.stripBasePath,
      upstream: {
        targets: (api.upstream?.targets ?? []).map((t) => ({ url: t.url, weight: t.weight })),
        connectTimeoutMs: api.upstream?.connectTimeoutMs ?? 0,
        requestTimeoutMs: api.upstream?.requestTimeoutMs ?? 0,
      },
    })),
  };
}

/** The snapshot a response carries (its hash is the announced one: verify it before use). */
export function snapshotFromResponse(response: ConfigResponse__Output): Snapshot {
  return {
    version: response.version,
    epoch: response.epoch,
    hash: response.hash,
    content: contentFromProto(response.snapshot),
  };
}
