import fs from 'node:fs';
import path from 'node:path';
import { ErrorCodes } from '@gw/errors';
import { describe, expect, it } from 'vitest';

describe('error catalogue', () => {
  it('documents every error code in docs/errors.md', () => {
    const doc = fs.readFileSync(path.resolve(import.meta.dirname, '../docs/errors.md'), 'utf8');
    const missing = Object.values(ErrorCodes).filter((code) => !doc.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it('keeps every code equal to its key, prefixed GW_', () => {
    for (const [key, code] of Object.entries(ErrorCodes)) {
      expect(code).toBe(key);
      expect(code).toMatch(/^GW_[A-Z_]+$/);
    }
  });
});
