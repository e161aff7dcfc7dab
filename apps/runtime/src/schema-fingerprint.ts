import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let fingerprint: string | undefined;

/**
 * What identifies this build's API schema: a SHA-256 over the built code of
 * `@gw/api-schema` (every module of it: the declaration, its defaults and every code
 * rule), the zod version it runs on and the Node version (URL parsing and key imports are
 * part of validation). Two processes with the same fingerprint decode the same content to
 * the same definition, so a definition one of them decoded can stand in for decoding it
 * again (the disk cache's decoded definitions, config-cache-wiring.ts); any change to any
 * of it is a new fingerprint. Computed once per process (~30 small files read).
 */
export function schemaFingerprint(): string {
  if (fingerprint === undefined) {
    const index = fileURLToPath(import.meta.resolve('@gw/api-schema'));
    const dir = path.dirname(index);
    const zod = JSON.parse(readFileSync(createRequire(index).resolve('zod/package.json'), 'utf8')) as { version: string };
    const hash = createHash('sha256').update(`zod ${zod.version}\nnode ${process.version}\n`);
    for (const name of readdirSync(dir).filter((n) => /\.(js|ts)$/.test(n)).sort()) hash.update(`${name}\n`).update(readFileSync(path.join(dir, name)));
    fingerprint = `sha256:${hash.digest('hex')}`;
  }
  return fingerprint;
}
