import { mapSecretFields } from '@gw/api-schema';
import { ErrorCodes, GatewayError } from '@gw/errors';
import { isSealed, type SecretKeyRing } from '@gw/secret-seal';

/**
 * Secrets at rest: every field the API schema marks as secret (`secretField`) is sealed
 * when a definition is written (API row and revision) and opened when it is read back, so
 * the compiler and the deploy API only ever see plaintext. Without a key ring, secrets are
 * written as they are, and a sealed value read back is GW_SECRET_KEY_REQUIRED.
 */
export interface DefinitionSecrets {
  /** Whether writes seal (a key is configured). */
  readonly sealing: boolean;
  /** The definition as stored: secrets sealed under the current key (re-sealed when sealed under an older one). */
  seal<T>(definition: T): T;
  /** The definition with every secret in plaintext; `where` names the row in errors (`API "orders"`). */
  open<T>(definition: T, where: string): T;
}

export function definitionSecrets(ring: SecretKeyRing | undefined): DefinitionSecrets {
  return {
    sealing: ring !== undefined,
    seal(definition) {
      if (ring === undefined) return definition;
      return mapSecretFields(definition, (value) => ring.seal(ring.open(value)));
    },
    open(definition, where) {
      return mapSecretFields(definition, (value, path) => {
        if (!isSealed(value)) return value;
        if (ring === undefined) {
          throw new GatewayError(ErrorCodes.GW_SECRET_KEY_REQUIRED, `${where} holds a sealed secret at ${path}, but no SECRETS_KEY_FILE is set`, { details: { where, path } });
        }
        try {
          return ring.unseal(value);
        } catch (err) {
          if (err instanceof GatewayError) throw new GatewayError(err.code, `${where}, ${path}: ${err.message}`, { cause: err, details: { ...err.details, where, path } });
          throw err;
        }
      });
    },
  };
}
