import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TempDirs {
  /** A new empty directory under the OS temp dir. */
  make(): string;
  /** Removes every directory made so far (call it in afterEach). */
  removeAll(): void;
}

/** Temp directories named `<prefix>XXXXXX`, removed together when the test is done with them. */
export function tempDirs(prefix: string): TempDirs {
  const made: string[] = [];
  return {
    make() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      made.push(dir);
      return dir;
    },
    removeAll() {
      for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
