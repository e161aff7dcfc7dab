import { readFile, stat } from 'node:fs/promises';
import { ErrorCodes, GatewayError, isGatewayError } from '@gw/errors';
import type { Logger } from '@gw/logging';
import { parseSecretKey, SecretKeyRing } from '@gw/secret-seal';
import type { SecretKeyFiles } from './env.js';

/**
 * Whether anyone but this process's user and group may read the file. A group bit counts
 * only for a group that is not the process's own: Kubernetes mounts a Secret owned by root
 * with the pod's fsGroup, so a non-root pod reads it through its group (mode 0440), and
 * nobody else can.
 */
export function readableByOthers(mode: number, fileGid: number, processGid: number | undefined = process.getgid?.()): boolean {
  if ((mode & 0o007) !== 0) return true;
  return (mode & 0o070) !== 0 && fileGid !== processGid;
}

async function readKeyFile(variable: string, file: string, logger: Logger): Promise<Buffer> {
  const source = `${variable} (${file})`;
  let contents: Buffer;
  try {
    contents = await readFile(file);
    // Warned, not refused: Kubernetes mounts Secrets 0644 unless told otherwise (defaultMode).
    const info = await stat(file);
    if (readableByOthers(info.mode, info.gid)) logger.warn({ variable, file, mode: (info.mode & 0o777).toString(8).padStart(4, '0') }, `${source} can be read by group or others: chmod 600 it`);
  } catch (cause) {
    throw new GatewayError(ErrorCodes.GW_SECRET_KEY_INVALID, `${source} cannot be read: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, details: { variable, file } });
  }
  return parseSecretKey(contents, source);
}

/**
 * The key ring from SECRETS_KEY_FILE (seals) and SECRETS_PREVIOUS_KEY_FILES (open only),
 * or undefined without a key: secrets are then stored in plaintext, which is said once,
 * here. A file that is missing or does not hold a key is GW_SECRET_KEY_INVALID naming it.
 */
export async function loadSecretKeyRing(files: SecretKeyFiles, logger: Logger): Promise<SecretKeyRing | undefined> {
  if (files.current === undefined) {
    logger.warn({}, 'SECRETS_KEY_FILE is not set: secrets in API definitions (HMAC keys) are stored in plaintext in the database');
    return undefined;
  }
  const current = await readKeyFile('SECRETS_KEY_FILE', files.current, logger);
  const previous: Buffer[] = [];
  for (const file of files.previous) previous.push(await readKeyFile('SECRETS_PREVIOUS_KEY_FILES', file, logger));
  const ring = new SecretKeyRing(current, previous);
  logger.info({ keyId: ring.currentKid, previousKeyIds: ring.kids.slice(1) }, 'secrets are sealed at rest');
  return ring;
}

const SECRET_CODES: readonly string[] = [
  ErrorCodes.GW_SECRET_KEY_INVALID,
  ErrorCodes.GW_SECRET_KEY_UNKNOWN,
  ErrorCodes.GW_SECRET_KEY_REQUIRED,
  ErrorCodes.GW_SECRET_AUTH_FAILED,
  ErrorCodes.GW_SECRET_ENVELOPE_INVALID,
];

/** A secrets error: a key problem no retry fixes, so the process must stop. */
export function isSecretKeyError(err: unknown): err is GatewayError {
  return isGatewayError(err) && SECRET_CODES.includes(err.code);
}

/** The same error with what the operator should do about it. */
export function withSecretKeyHint(err: GatewayError): GatewayError {
  const hint: Partial<Record<string, string>> = {
    GW_SECRET_KEY_UNKNOWN: 'SECRETS_KEY_FILE is not the key the database was sealed with: give the right key, or add the old one to SECRETS_PREVIOUS_KEY_FILES until `reseal` has run',
    GW_SECRET_KEY_REQUIRED: 'the database holds sealed secrets: set SECRETS_KEY_FILE to the key they were sealed with',
    GW_SECRET_AUTH_FAILED: 'a sealed value was changed in the database; restore it from a backup or PUT the API again',
  };
  const text = hint[err.code];
  return text === undefined ? err : new GatewayError(err.code, `${err.message}. ${text}`, { cause: err, ...(err.details === undefined ? {} : { details: { ...err.details } }) });
}
