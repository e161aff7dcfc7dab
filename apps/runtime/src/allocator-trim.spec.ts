import { execFile } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const distModule = pathToFileURL(path.resolve(import.meta.dirname, '../dist/allocator-trim.js')).href;

/**
 * In a fresh Node process: Buffers the size of upstream reads (up to 64 KiB: glibc serves
 * them from its heap, not from their own mappings), three of four let go of out of order
 * and collected, as when lagging responses are cut. glibc keeps the holes resident;
 * trimAllocator gives them back.
 */
const script = `
import { trimAllocator } from ${JSON.stringify(distModule)};
const rss = () => process.memoryUsage.rss();
let held = [];
for (let i = 0; i < 4000; i++) held.push(Buffer.allocUnsafeSlow(65536 - (i % 7) * 1000).fill(1));
const allocated = rss();
held = held.filter((_, i) => i % 4 === 0);
globalThis.gc();
await new Promise((r) => setTimeout(r, 100));
const collected = rss();
const trim = trimAllocator();
console.log(JSON.stringify({ allocated, collected, trim, after: rss(), kept: held.length }));
`;

describe('trimAllocator', () => {
  it('gives the holes freed Buffers leave in glibc\'s heap back to the kernel, and says how much RSS fell', async () => {
    const { stdout } = await run(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { timeout: 60_000 });
    const r = JSON.parse(stdout) as { allocated: number; collected: number; trim: { trimmed: boolean; bytes: number }; after: number; kept: number };
    expect(r.kept).toBe(1000);
    const freed = 3000 * 60 * 1024;
    // Collected, yet still resident: what glibc does on its own (~170 MB of holes).
    expect(r.allocated - r.collected).toBeLessThan(freed / 4);
    expect(r.trim.trimmed).toBe(true);
    expect(r.trim.bytes).toBeGreaterThan(freed / 2);
    expect(r.collected - r.after).toBeGreaterThan(freed / 2);
  }, 70_000);
});
