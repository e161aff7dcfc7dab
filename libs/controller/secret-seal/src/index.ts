export { parseSecretKey, secretKeyId, SECRET_KEY_BYTES } from './secret-key.js';
export { SecretKeyRing } from './secret-key-ring.js';
export { isSealed, sealedKeyId, parseSealed, formatSealed, SEALED_PREFIX, SEAL_VERSION, type SealedParts } from './sealed-value.js';
