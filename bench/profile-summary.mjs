// Summarizes a V8 .cpuprofile (from `PROFILE=1 npm run bench`): self time by function and
// by file/package, and inclusive time of the runtime's own functions, so "what costs what"
// can be read without a browser.
// Usage: node bench/profile-summary.mjs <file.cpuprofile> [top N]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
const top = Number(topArg ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Sample counts per node (hitCount is not always filled; samples always is).
const hits = new Map();
for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
const total = profile.samples.length;

const where = (n) => {
  const url = n.callFrame.url || '';
  if (url === '') return n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : '(native)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  const lib = /\/(libs|apps)\/([^/]+)\/dist\/([^/]+)$/.exec(url);
  if (lib) return `${lib[1]}/${lib[2]}/${lib[3]}`;
  if (url.startsWith('node:')) return url;
  return url.split('/').slice(-2).join('/');
};
const label = (n) => `${n.callFrame.functionName || '(anonymous)'} ${where(n)}:${n.callFrame.lineNumber + 1}`;

const selfByFn = new Map();
const selfByWhere = new Map();
for (const [id, count] of hits) {
  const n = byId.get(id);
  selfByFn.set(label(n), (selfByFn.get(label(n)) ?? 0) + count);
  selfByWhere.set(where(n), (selfByWhere.get(where(n)) ?? 0) + count);
}
// Inclusive: a sample counts once for every distinct function on its stack.
const inclusive = new Map();
for (const [id, count] of hits) {
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur));
    if (seen.has(l)) continue;
    seen.add(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + count);
  }
}

const pct = (c) => `${((100 * c) / total).toFixed(1).padStart(5)}%`;
const show = (title, map, filter = () => true) => {
  console.log(`\n${title}`);
  for (const [k, c] of [...map].filter(([k]) => filter(k)).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(c)}  ${k}`);
};
console.log(`${total} samples`);
show('self time by file / package', selfByWhere);
show('self time by function', selfByFn);
show('inclusive time, gateway code', inclusive, (k) => / (libs|apps)\//.test(k));
