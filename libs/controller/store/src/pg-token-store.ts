import { ErrorCodes, GatewayError } from '@gw/errors';
import * as apiRepo from './api.repository.js';
import * as audit from './audit.repository.js';
import * as repo from './admin-token.repository.js';
import { runStoreOperation as run } from './store-error.js';
import type { AuditStore, TokenStore } from './token-store.js';

/** The PostgreSQL token store: each create or revoke commits with its audit entry. */
export function createTokenStore(db: apiRepo.Executor): TokenStore {
  return {
    createToken(token, context) {
      return run('create token', () =>
        db.transaction().execute(async (trx) => {
          const created = await repo.insertToken(trx, token, context.actor);
          if (created === undefined) {
            throw new GatewayError(ErrorCodes.GW_CONFLICT, `A token named "${token.name}" already exists; revoke it first or pick another name.`, {
              details: { errors: [{ path: 'name', message: 'is already taken' }] },
            });
          }
          const { version } = await apiRepo.readConfigState(trx);
          await audit.recordAudit(trx, { ...context, action: 'token_create', tokenName: token.name, configVersion: version });
          return created;
        }),
      );
    },

    listTokens() {
      return run('list tokens', () => repo.listTokens(db));
    },

    revokeToken(name, context) {
      return run('revoke token', () =>
        db.transaction().execute(async (trx) => {
          if (!(await repo.deleteToken(trx, name))) {
            throw new GatewayError(ErrorCodes.GW_NOT_FOUND, `No token named ${JSON.stringify(name)}.`, { details: { name } });
          }
          const { version } = await apiRepo.readConfigState(trx);
          await audit.recordAudit(trx, { ...context, action: 'token_revoke', tokenName: name, configVersion: version });
        }),
      );
    },

    findTokenByHash(tokenHash) {
      return run('look up token', () => repo.findTokenByHash(db, tokenHash));
    },

    touchToken(name, minIntervalMs) {
      return run('record token use', () => repo.touchToken(db, name, minIntervalMs));
    },
  };
}

export function createAuditStore(db: apiRepo.Executor): AuditStore {
  return {
    queryAudit(query) {
      return run('read audit log', () => audit.queryAudit(db, query));
    },
  };
}
