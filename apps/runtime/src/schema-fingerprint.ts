import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let fingerprint: string | undefined;

/**
 * The libraries whose built code decides what a resource decodes to and how the decoded
 * definitions file encodes it: the API schema (the declaration, its defaults, every code
 * rule), the config contract (decoding a resource) and the runtime config (the shared-block
 * encoding and its reading).
 */
const DECODING_LIBRARIES = ['@gw/api-schema', '@gw/config-contract', '@gw/runtime-config'];

/**
 * What identifies this build's decoding of API definitions: a SHA-256 over the built code
 * of `DECODING_LIBRARIES` (every top-level module of each), the zod version the schema runs
 * on and the Node version (URL parsing and key imports are part of validation). Two
 * processes with the same fingerprint decode the same content to the same definition and
 * read the decoded definitions file alike, so a definition one of them decoded can stand
 * in for decoding it again (the disk cache's decoded definitions, config-cache-wiring.ts);
 * any change to any of it is a new fingerprint. Computed once per process (~80 small files read).
 */
export function schemaFingerprint(): string {
  if (fingerprint === undefined) {
    const schemaIndex = fileURLToPath(import.meta.resolve('@gw/api-schema'));
    const zod = JSON.parse(readFileSync(createRequire(schemaIndex).resolve('zod/package.json'), 'utf8')) as { version: string };
    const hash = createHash('sha256').update(`zod ${zod.version}\nnode ${process.version}\n`);
    for (const library of DECODING_LIBRARIES) {
      const dir = path.dirname(fileURLToPath(import.meta.resolve(library)));
      hash.update(`${library}\n`);
      for (const name of readdirSync(dir).filter((n) => /\.(js|ts)$/.test(n)).sort()) hash.update(`${name}\n`).update(readFileSync(path.join(dir, name)));
    }
    fingerprint = `sha256:${hash.digest('hex')}`;
  }
  return fingerprint;
}
