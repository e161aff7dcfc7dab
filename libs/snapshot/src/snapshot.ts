/**
 * The runtime snapshot: everything a runtime needs, compiled by the controller from
 * the desired state. Every field is explicit (no optional fields), so a snapshot that
 * travels through protobuf comes back byte-identical in canonical form and its hash
 * can be recomputed by the runtime.
 */
export interface SnapshotContent {
  /** APIs sorted by name. */
  apis: SnapshotApi[];
}

export interface SnapshotApi {
  name: string;
  /** Lower-case host names, sorted, deduplicated; empty = any host. */
  hosts: string[];
  basePath: string;
  stripBasePath: boolean;
  upstream: SnapshotUpstream;
}

export interface SnapshotUpstream {
  /** In the order the operator listed them. */
  targets: SnapshotTarget[];
  connectTimeoutMs: number;
  requestTimeoutMs: number;
}

export interface SnapshotTarget {
  url: string;
  weight: number;
}

/** A versioned snapshot: content plus the fleet version, the config epoch and the content hash. */
export interface Snapshot {
  /** The global config version this snapshot was compiled from. */
  version: number;
  /** The fleet config epoch; changes only by a deliberate restore. */
  epoch: number;
  /** Lower-case hex SHA-256 of the canonical serialization of `content`. */
  hash: string;
  content: SnapshotContent;
}
