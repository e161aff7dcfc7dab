import fs from 'node:fs';
import path from 'node:path';
import { ErrorCodes } from '@gw/errors';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const catalogue: string[] = Object.values(ErrorCodes);
const doc = fs.readFileSync(path.join(root, 'docs/errors.md'), 'utf8');
const documented = new Set(Array.from(doc.matchAll(/`(GW_[A-Z_]+)`/g), (m) => m[1]!));

/** The code the libraries and apps ship: no specs, no test helpers, not the catalogue itself. */
function shippedSources(): string[] {
  const dirs = ['libs/shared', 'libs/controller', 'libs/runtime', 'apps'].flatMap((group) =>
    fs.readdirSync(path.join(root, group)).map((project) => path.join(root, group, project, 'src')),
  );
  return dirs
    .filter((dir) => fs.existsSync(dir) && dir !== path.join(root, 'libs/shared/errors/src'))
    .flatMap((dir) => (fs.readdirSync(dir, { recursive: true }) as string[]).map((f) => path.join(dir, f)))
    .filter((f) => /\.(ts|mts)$/.test(f) && !/\.(spec|test)\.ts$|\.d\.ts$/.test(f) && !f.split(path.sep).includes('testing'))
    .map((f) => fs.readFileSync(f, 'utf8'));
}

describe('error catalogue', () => {
  it('documents every error code in docs/errors.md', () => {
    expect(catalogue.filter((code) => !documented.has(code))).toEqual([]);
  });

  it('documents no code that the catalogue does not have', () => {
    expect([...documented].filter((code) => !catalogue.includes(code))).toEqual([]);
  });

  it('has no code that the shipped code never produces', () => {
    // Produced means named as a value (ErrorCodes.X or the string 'X'); a key of a lookup
    // table (titles, statuses) only describes a code, it never makes one.
    const sources = shippedSources().join('\n');
    const unused = catalogue.filter((code) => !new RegExp(`ErrorCodes\\.${code}\\b|['"\`]${code}['"\`]`).test(sources));
    expect(unused).toEqual([]);
  });

  it('keeps every code equal to its key, prefixed GW_', () => {
    for (const [key, code] of Object.entries(ErrorCodes)) {
      expect(code).toBe(key);
      expect(code).toMatch(/^GW_[A-Z_]+$/);
    }
  });
});
