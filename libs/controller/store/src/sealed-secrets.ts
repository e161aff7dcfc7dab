import { listSecretFields } from '@gw/api-schema';
import { isSealed, sealedKeyId, type SecretKeyRing } from '@gw/secret-seal';
import { sql } from 'kysely';
import type { Executor } from './api.repository.js';
import { definitionSecrets } from './definition-secrets.js';

/** What the start-up check found: secret fields in API rows and revisions, by state. */
export interface SealedSecretsReport {
  /** Rows read: current APIs and revisions (deletes have no definition). */
  apis: number;
  revisions: number;
  /** Secret values sealed, by key id. */
  sealedByKeyId: Record<string, number>;
  /** Secret values still in plaintext (written before a key was set). */
  plaintext: number;
}

async function storedDefinitions(db: Executor): Promise<{ apis: { name: string; definition: unknown }[]; revisions: { name: string; revision: number; definition: unknown }[] }> {
  const apis = await db.selectFrom('apis').select(['name', 'definition']).execute();
  const revisions = await db.selectFrom('api_revisions').select(['name', 'revision', 'definition']).where('definition', 'is not', null).execute();
  return { apis, revisions };
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
  const { apis, revisions } = await storedDefinitions(db);
  const report: SealedSecretsReport = { apis: apis.length, revisions: revisions.length, sealedByKeyId: {}, plaintext: 0 };
  const rows = [...apis.map((r) => ({ where: `API "${r.name}"`, definition: r.definition })), ...revisions.map((r) => ({ where: `API "${r.name}" revision ${r.revision}`, definition: r.definition }))];
  for (const { where, definition } of rows) {
    secrets.open(definition, where);
    for (const { secret } of listSecretFields(definition)) {
      const kid = sealedKeyId(secret);
      if (kid === undefined) report.plaintext++;
      else report.sealedByKeyId[kid] = (report.sealedByKeyId[kid] ?? 0) + 1;
    }
  }
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
