import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDirs } from './temp-dirs.js';

describe('tempDirs', () => {
  it('makes distinct empty directories under the OS temp dir and removes them all, contents included', () => {
    const dirs = tempDirs('gw-test-kit-');
    const a = dirs.make();
    const b = dirs.make();
    expect(a).not.toBe(b);
    expect(path.dirname(a)).toBe(os.tmpdir());
    expect(path.basename(a)).toMatch(/^gw-test-kit-/);
    expect(fs.readdirSync(a)).toEqual([]);
    fs.writeFileSync(path.join(b, 'file'), 'x');
    dirs.removeAll();
    expect([fs.existsSync(a), fs.existsSync(b)]).toEqual([false, false]);
  });
});
