/**
 * An API definition as operators write it (the body of `PUT /v1/apis/{name}`).
 * Optional fields get their defaults in `validateApiDefinition`, so everything
 * downstream (store, compiler) sees one fully specified shape.
 */
export interface ApiDefinitionInput {
  name: string;
  /** Path prefix the API is served under, e.g. `/orders`. `/` serves every path. */
  basePath: string;
  /** Host names the API answers for (exact, lower-case). Empty or absent: any host. */
  hosts?: string[];
  /** Strip `basePath` before forwarding (default true): `GET /orders/42` reaches the upstream as `GET /42`. */
  stripBasePath?: boolean;
  upstream: UpstreamInput;
}

export interface UpstreamInput {
  targets: TargetInput[];
  timeouts?: { connectMs?: number; requestMs?: number };
}

export interface TargetInput {
  /** `http://host:port` or `https://host:port`, optionally with a path prefix; no query, fragment or credentials. */
  url: string;
  /** Relative weight (1..1000, default 1). */
  weight?: number;
}

/** The fully specified definition, every default filled in. */
export interface ApiDefinition {
  name: string;
  basePath: string;
  hosts: string[];
  stripBasePath: boolean;
  upstream: {
    targets: { url: string; weight: number }[];
    timeouts: { connectMs: number; requestMs: number };
  };
}

/** A stored API: its definition plus the revision the store assigned. */
export interface StoredApi {
  definition: ApiDefinition;
  /** Increments on every write of this API; the `ETag` of the deploy API. */
  revision: number;
  createdAt: string;
  updatedAt: string;
}

export const API_DEFAULTS = {
  stripBasePath: true,
  weight: 1,
  connectTimeoutMs: 5_000,
  requestTimeoutMs: 30_000,
} as const;

export const API_LIMITS = {
  nameMaxLength: 63,
  basePathMaxLength: 1024,
  hostsMax: 100,
  hostMaxLength: 253,
  targetsMax: 512,
  urlMaxLength: 2048,
  weightMax: 1000,
  timeoutMaxMs: 3_600_000,
  /** Largest request body the deploy API reads. */
  bodyMaxBytes: 1_048_576,
} as const;
