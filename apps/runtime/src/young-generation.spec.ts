import { execFile } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const distModule = pathToFileURL(path.resolve(import.meta.dirname, '../dist/young-generation.js')).href;

/**
 * In a fresh Node process (as the runtime starts: --single-threaded-gc), so the young
 * generation starts at V8's initial size: a bulk allocation that survives (what applying
 * 10,000 APIs is) grows it when not held, and does not when held; after the held call
 * V8's default growth is back.
 *
 * Sizes are read after a full GC (`settled`), which is what the young generation keeps.
 * Read right after the allocation they are not: while a major GC's incremental marking
 * runs, V8 lends the young generation extra pages page by page (2 to 25 MB here, more
 * the longer the marking waits for its finalizing task, so more on a loaded machine) and
 * takes them back at the mark-compact; the held capacity stays where it was.
 */
const script = `
import { holdYoungGeneration, releaseAfterNextFullGc, withYoungGenerationHeld, youngGenerationBytes } from ${JSON.stringify(distModule)};
const kept = [];
const settled = () => { globalThis.gc(); return youngGenerationBytes(); };
const allocate = () => { for (let i = 0; i < 400000; i++) kept.push({ i, name: 'api-' + i, list: [i, i + 1] }); };
const start = youngGenerationBytes();
if (process.argv.includes('held')) await withYoungGenerationHeld(allocate);
else if (process.argv.includes('overlap')) {
  // A short held call ends while a longer one still allocates: the longer one stays held.
  let release;
  const long = withYoungGenerationHeld(async () => { await new Promise((r) => (release = r)); allocate(); });
  await withYoungGenerationHeld(() => undefined);
  release();
  await long;
} else if (process.argv.includes('boot')) {
  // Held through the allocation and until the next full GC has run (gc() stands for it).
  const release = holdYoungGeneration();
  allocate();
  releaseAfterNextFullGc(release, 60_000);
  allocate();
  globalThis.gc();
  await new Promise((r) => setTimeout(r, 50));
} else allocate();
const first = settled();
allocate();
allocate();
const after = settled();
console.log(JSON.stringify({ start, first, after, kept: kept.length }));
`;

type Sizes = { start: number; first: number; after: number; kept: number };
async function youngGeneration(nodeFlags: string[], mode: 'held' | 'free' | 'overlap' | 'boot'): Promise<Sizes> {
  const { stdout } = await run(process.execPath, [...nodeFlags, '--expose-gc', '--input-type=module', '-e', script, mode], { timeout: 60_000 });
  return JSON.parse(stdout) as Sizes;
}

describe('withYoungGenerationHeld', () => {
  it('keeps a bulk apply from growing the young generation to its maximum, and leaves V8 default growth afterwards', async () => {
    const free = await youngGeneration(['--single-threaded-gc'], 'free');
    const held = await youngGeneration(['--single-threaded-gc'], 'held');
    expect(held.kept).toBe(1_200_000);
    // Not held, the same allocation takes the young generation to its maximum (64 MB with Node 24's defaults here).
    expect(free.first).toBeGreaterThan(held.start * 16);
    expect(held.first * 3).toBeLessThan(free.first);
    // Afterwards V8 grows it again as it always did.
    expect(held.after).toBeGreaterThan(held.first);
    // Overlapping calls: the last one out restores the default.
    const overlap = await youngGeneration(['--single-threaded-gc'], 'overlap');
    expect(overlap.first * 3).toBeLessThan(free.first);
    expect(overlap.after).toBeGreaterThan(overlap.first);
  }, 130_000);

  it('holds the boot until the next full GC has run, then V8 grows the young generation again', async () => {
    const free = await youngGeneration(['--single-threaded-gc'], 'free');
    const boot = await youngGeneration(['--single-threaded-gc'], 'boot');
    expect(boot.first * 3).toBeLessThan(free.first);
    expect(boot.after).toBeGreaterThan(boot.first);
  }, 130_000);

  it('leaves V8 alone when the operator sized the young generation on the command line', async () => {
    const free = await youngGeneration(['--single-threaded-gc', '--max-semi-space-size=64'], 'free');
    const held = await youngGeneration(['--single-threaded-gc', '--max-semi-space-size=64'], 'held');
    // Both grow as V8 grows it (a held call would stay within a few MB of the 1 MB start).
    expect(free.first).toBeGreaterThan(free.start * 16);
    expect(held.first).toBeGreaterThan(held.start * 16);
  }, 130_000);
});
