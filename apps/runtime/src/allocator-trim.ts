import { createRequire } from 'node:module';

/** glibc's `malloc_trim(0)`, or null where it cannot be called (no glibc: musl, macOS; koffi not loadable). */
let mallocTrim: (() => number) | null | undefined;
/** Why `mallocTrim` is null (buffer-pressure.ts logs it once). */
let unavailableBecause: string | undefined;

function load(): (() => number) | null {
  if (mallocTrim !== undefined) return mallocTrim;
  try {
    if (process.platform !== 'linux') throw new Error(`${process.platform} has no glibc`);
    // Without glibc (musl: Alpine) there is no libc.so.6 or no malloc_trim in it: both throw.
    // koffi, the FFI with prebuilt binaries (no compiler at install); loaded on first use, not at start.
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    const trim = koffi.load('libc.so.6').func('int malloc_trim(size_t pad)') as (pad: number) => number;
    mallocTrim = () => trim(0);
  } catch (err) {
    unavailableBecause = (err as Error).message;
    mallocTrim = null;
  }
  return mallocTrim;
}

/** What one trim gave back, or why there was none. */
export type TrimResult = { readonly trimmed: true; readonly bytes: number } | { readonly trimmed: false; readonly reason: string };

/**
 * Gives the C allocator's free memory back to the kernel (`malloc_trim(0)`), where glibc
 * is the allocator, and says how much RSS fell (bytes; 0 or less: nothing to give).
 *
 * Why: the Buffers a slow-read attack makes the runtime hold (upstream reads of up to
 * 64 KiB, kept for slow clients) are freed out of order when lagging responses are cut;
 * glibc gives back only the top of its heap on its own, so the holes stayed resident: RSS
 * kept each wave's high-water mark, 48–60 MB over what was in use at the height of the
 * attack (docs/slow-clients.md, *The allocator gives memory back under pressure*). `malloc_trim`
 * returns every free page (madvise), ~15 ms for ~175 MB of holes. glibc's own knob for it
 * (`GLIBC_TUNABLES=glibc.malloc.mmap_threshold=65536`, every read buffer its own mapping)
 * did as well against the attack, but cost 2.5× the CPU of a bulk download.
 */
export function trimAllocator(): TrimResult {
  const trim = load();
  if (trim === null) return { trimmed: false, reason: unavailableBecause ?? 'unavailable' };
  const before = process.memoryUsage.rss();
  trim();
  return { trimmed: true, bytes: before - process.memoryUsage.rss() };
}
