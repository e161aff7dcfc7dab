// An experiment's additions to a benchmarked process's environment (RUNTIME_ENV, BASELINE_ENV
// in bench/run.mjs), e.g. RUNTIME_ENV=GLIBC_TUNABLES=glibc.malloc.mmap_threshold=65536.

/** `KEY=value` words (space-separated) as an environment object. */
export function envOverrides(words) {
  const out = {};
  for (const word of (words ?? '').split(' ').filter(Boolean)) {
    const at = word.indexOf('=');
    if (at <= 0) throw new Error(`not KEY=value: ${word}`);
    out[word.slice(0, at)] = word.slice(at + 1);
  }
  return out;
}
