import { listSecretFields } from '@gw/api-schema';
import { isSealed, SEALED_PREFIX, sealedKeyId, type SecretKeyRing } from '@gw/secret-seal';
import { sql } from 'kysely';
import type { Executor } from './api.repository.js';
import { definitionSecrets } from './definition-secrets.js';

/** What the start-up check found: the sealed secret values in API rows and revisions, by key id. */
export interface SealedSecretsReport {
  /** Rows holding at least one sealed value (current APIs, revisions). */
  apis: number;
  revisions: number;
  /** Sealed values, by the id of the key that sealed them. */
  sealedByKeyId: Record<string, number>;
}

async function storedDefinitions(db: Executor, onlySealed = false): Promise<{ apis: { name: string; definition: unknown }[]; revisions: { name: string; revision: number; definition: unknown }[] }> {
  // The start-up check reads only rows that can hold a sealed value, so a long history of
  // APIs without secrets costs one scan in the database, not a transfer.
  const sealedOnly = sql<boolean>`definition::text like ${`%"${SEALED_PREFIX}%`}`;
  let apis = db.selectFrom('apis').select(['name', 'definition']);
  let revisions = db.selectFrom('api_revisions').select(['name', 'revision', 'definition']).where('definition', 'is not', null);
  if (onlySealed) {
    apis = apis.where(sealedOnly);
    revisions = revisions.where(sealedOnly);
  }
  return { apis: await apis.execute(), revisions: await revisions.execute() };
}

/**
 * Opens every sealed secret in the database once, so a controller with the wrong key (or
 * none, where values are sealed) refuses to start rather than serve garbage or fail on the
 * first compile: GW_SECRET_KEY_REQUIRED, GW_SECRET_KEY_UNKNOWN (naming the key id that is
 * missing) or GW_SECRET_AUTH_FAILED. Plaintext secrets are fine (sealed on their next write
 * or by `reseal`).
 */
export async function checkSealedSecrets(db: Executor, ring: SecretKeyRing | undefined): Promise<SealedSecretsReport> {
  const secrets = definitionSecrets(ring);
  const { apis, revisions } = await storedDefinitions(db, true);
  const report: SealedSecretsReport = { apis: 0, revisions: 0, sealedByKeyId: {} };
  const check = (where: string, definition: unknown): boolean => {
    secrets.open(definition, where);
    let sealed = false;
    for (const { secret } of listSecretFields(definition)) {
      const kid = sealedKeyId(secret);
      if (kid === undefined) continue;
      sealed = true;
      report.sealedByKeyId[kid] = (report.sealedByKeyId[kid] ?? 0) + 1;
    }
    return sealed;
  };
  for (const r of apis) if (check(`API "${r.name}"`, r.definition)) report.apis++;
  for (const r of revisions) if (check(`API "${r.name}" revision ${r.revision}`, r.definition)) report.revisions++;
  return report;
}

/** What `reseal` changed. */
export interface ResealReport {
  /** Rows rewritten (those holding at least one secret). */
  apis: number;
  revisions: number;
  /** Secret values now sealed under the current key. */
  secrets: number;
  /** Of those, values that were still in plaintext. */
  wasPlaintext: number;
  keyId: string;
}

const REVISIONS_TRIGGER = sql.raw('api_revisions_append_only');

/**
 * Seals every secret in API rows and all revisions under the ring's current key, opening
 * each with whichever key of the ring sealed it (or taking it as plaintext), in one
 * transaction: all or nothing. The plaintext definitions do not change, so neither does
 * the config version or the compiled snapshot; nothing is notified.
 *
 * It first takes the config_state row lock, the lock every deploy takes first, so no write
 * interleaves. Revisions are append-only (a trigger refuses updates): this is the one
 * rewrite of history, and only of a secret's sealed form, so the trigger is switched off
 * inside this transaction alone (PostgreSQL's DDL is transactional; the table's owner, the
 * role that ran the migrations, may do it) and on again before commit.
 */
export async function resealSecrets(db: Executor, ring: SecretKeyRing): Promise<ResealReport> {
  const secrets = definitionSecrets(ring);
  return db.transaction().execute(async (trx) => {
    await sql`select version from config_state where id = 1 for update`.execute(trx);
    const { apis, revisions } = await storedDefinitions(trx);
    const report: ResealReport = { apis: 0, revisions: 0, secrets: 0, wasPlaintext: 0, keyId: ring.currentKid };
    const reseal = (definition: unknown): string | undefined => {
      const found = listSecretFields(definition);
      if (found.length === 0) return undefined;
      report.secrets += found.length;
      report.wasPlaintext += found.filter((f) => !isSealed(f.secret)).length;
      return JSON.stringify(secrets.seal(definition));
    };
    for (const { name, definition } of apis) {
      const json = reseal(definition);
      if (json === undefined) continue;
      await sql`update apis set definition = ${json}::jsonb where name = ${name}`.execute(trx);
      report.apis++;
    }
    const changed = revisions.flatMap((r) => {
      const json = reseal(r.definition);
      return json === undefined ? [] : [{ ...r, json }];
    });
    if (changed.length > 0) {
      await sql`alter table api_revisions disable trigger ${REVISIONS_TRIGGER}`.execute(trx);
      for (const r of changed) await sql`update api_revisions set definition = ${r.json}::jsonb where name = ${r.name} and revision = ${r.revision}`.execute(trx);
      await sql`alter table api_revisions enable trigger ${REVISIONS_TRIGGER}`.execute(trx);
      report.revisions = changed.length;
    }
    return report;
  });
}
