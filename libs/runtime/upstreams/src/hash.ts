/**
 * A 32-bit hash of a string's UTF-16 code units: FNV-1a, then murmur3's finalizer so
 * that keys differing in one character land far apart on a hash ring. Deterministic on
 * every runtime, so all runtimes send a key to the same target.
 */
export function hashString(value: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
