import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ErrorCodes, GatewayError } from '@gw/errors';
import { formatSealed, isSealed, parseSealed, sealedHeader } from './sealed-value.js';
import { SECRET_KEY_BYTES, secretKeyId } from './secret-key.js';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;

/**
 * The keys a controller holds: the current one seals, and it and the previous ones
 * (kept during a rotation, until `reseal` has moved every value to the current key) open.
 */
export class SecretKeyRing {
  readonly currentKid: string;
  private readonly keys = new Map<string, Buffer>();

  constructor(current: Buffer, previous: readonly Buffer[] = []) {
    for (const key of [current, ...previous]) {
      if (key.length !== SECRET_KEY_BYTES) throw new GatewayError(ErrorCodes.GW_SECRET_KEY_INVALID, `a secret key must be ${SECRET_KEY_BYTES} bytes, not ${key.length}`);
      const kid = secretKeyId(key);
      if (!this.keys.has(kid)) this.keys.set(kid, Buffer.from(key));
    }
    this.currentKid = secretKeyId(current);
  }

  /** The ids of every key held, the current one first. */
  get kids(): string[] {
    return [...this.keys.keys()];
  }

  /** The secret sealed under the current key (a fresh random IV each time). */
  seal(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.keys.get(this.currentKid)!, iv);
    cipher.setAAD(Buffer.from(sealedHeader(this.currentKid)));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return formatSealed({ kid: this.currentKid, iv, ciphertext, tag: cipher.getAuthTag() });
  }

  /**
   * The plaintext of a sealed value. GW_SECRET_KEY_UNKNOWN: sealed under a key this ring
   * does not hold (a wrong SECRETS_KEY_FILE, or the old key dropped before `reseal`);
   * GW_SECRET_AUTH_FAILED: the tag does not verify (the value was changed);
   * GW_SECRET_ENVELOPE_INVALID: not an envelope at all. Never returns garbage.
   */
  unseal(value: string): string {
    const { kid, iv, ciphertext, tag } = parseSealed(value);
    const key = this.keys.get(kid);
    if (key === undefined) {
      throw new GatewayError(ErrorCodes.GW_SECRET_KEY_UNKNOWN, `a secret is sealed under key id ${kid}, which this controller does not hold (it holds ${this.kids.join(', ')})`, {
        details: { kid, held: this.kids },
      });
    }
    try {
      const decipher = createDecipheriv(ALGORITHM, key, iv);
      decipher.setAAD(Buffer.from(sealedHeader(kid)));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw new GatewayError(ErrorCodes.GW_SECRET_AUTH_FAILED, `a secret sealed under key id ${kid} does not authenticate: it was changed or corrupted after sealing`, { cause, details: { kid } });
    }
  }

  /** The stored value opened if sealed; a plaintext value as it is. */
  open(value: string): string {
    return isSealed(value) ? this.unseal(value) : value;
  }
}
