export { testSigningKey, signWith, signCompact, type TestSigningKey } from './sign-jwt.js';
