import type { AuditContext, AuditQuery, AuditRecord } from './audit.repository.js';

/** What a token may do, weakest first: each role includes the ones before it. */
export const TOKEN_ROLES = ['viewer', 'deployer', 'admin'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

/** A token as listed: never its secret or hash. */
export interface TokenRecord {
  name: string;
  role: TokenRole;
  createdAt: string;
  /** The actor that created it. */
  createdBy: string;
  expiresAt: string | null;
  /** Updated at most once a minute (see `touchToken`), so reads do not turn into writes. */
  lastUsedAt: string | null;
}

export interface NewToken {
  name: string;
  role: TokenRole;
  /** SHA-256 of the secret, lower-case hex. */
  tokenHash: string;
  expiresAt?: Date;
}

/** What authentication needs to know about a presented token. */
export interface TokenLookup {
  name: string;
  role: TokenRole;
  /** Decided by the database clock, the same on every replica. */
  expired: boolean;
  lastUsedAt: Date | null;
}

/**
 * Named tokens in PostgreSQL, so every replica sees a create or revoke at once. Errors are
 * GatewayErrors: GW_CONFLICT (name taken), GW_NOT_FOUND (revoke of an unknown name),
 * GW_DATABASE_UNAVAILABLE or GW_INTERNAL. Creates and revokes are audited in their own
 * transaction at the current config version (they do not bump it: runtimes never see tokens).
 */
export interface TokenStore {
  createToken(token: NewToken, context: AuditContext): Promise<TokenRecord>;
  listTokens(): Promise<TokenRecord[]>;
  revokeToken(name: string, context: AuditContext): Promise<void>;
  findTokenByHash(tokenHash: string): Promise<TokenLookup | undefined>;
  /** Sets last_used_at to now unless another request did so less than `minIntervalMs` ago. */
  touchToken(name: string, minIntervalMs: number): Promise<void>;
}

/** Reading the audit log (writes happen inside each change's transaction: `recordAudit`). */
export interface AuditStore {
  queryAudit(query: AuditQuery): Promise<AuditRecord[]>;
}
