// Enforces module boundaries from nx tags (tools/boundaries.json), like nx's
// enforce-module-boundaries rule but without an ESLint toolchain: every import in every
// project's src/ is checked against the constraints of each of the project's tags.
// Usage: node tools/lint-boundaries.mjs [workspaceRoot]   (exit 1 on any violation)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
const { depConstraints, folderScopes = {}, testOnlyTags = [] } = JSON.parse(fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'boundaries.json'), 'utf8'));

const rootPkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const projectDirs = (rootPkg.workspaces ?? []).flatMap((pattern) => {
  const base = path.join(root, pattern.replace(/\/\*$/, ''));
  return fs.existsSync(base) ? fs.readdirSync(base).map((d) => path.join(base, d)).filter((d) => fs.existsSync(path.join(d, 'package.json'))) : [];
});
const projects = new Map();
for (const dir of projectDirs) {
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  projects.set(pkg.name, { name: pkg.name, dir, tags: pkg.nx?.tags ?? [] });
}

const globToRe = (g) => new RegExp('^' + g.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$');
const IMPORT_RE = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;(])import\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|[\s;])import\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)/gm;

function* sourceFiles(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist' && entry.name !== 'generated') yield* sourceFiles(p);
    } else if (/\.(ts|mts|js|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) yield p;
  }
}

const isTestOnly = (p) => p.tags.some((t) => testOnlyTags.includes(t));
// Test helpers may be imported from anywhere in tests, never from the code a project ships.
const isTestCode = (project, file) =>
  isTestOnly(project) || project.tags.includes('scope:e2e') || /\.(spec|test)\.[cm]?[jt]s$/.test(file) || path.relative(path.join(project.dir, 'src'), file).split(path.sep)[0] === 'testing';

const violations = [];
let checked = 0;
for (const project of projects.values()) {
  const src = path.join(project.dir, 'src');
  if (!fs.existsSync(src)) continue;
  const rules = depConstraints.filter((c) => project.tags.includes(c.sourceTag));
  if (project.tags.length === 0) violations.push(`${project.name}: has no nx tags`);
  // The folder says which plane a library serves; its scope tag must say the same.
  const rel = path.relative(root, project.dir).split(path.sep).join('/');
  for (const [folder, scope] of Object.entries(folderScopes)) {
    if (rel.startsWith(folder + '/') && !project.tags.includes(scope)) violations.push(`${project.name}: lives in ${folder}/ but is not tagged ${scope}`);
  }
  for (const file of sourceFiles(src)) {
    checked++;
    // Specs may use test-only helpers from anywhere in their own scope; their imports are still checked.
    const text = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? m[4];
      if (!spec || spec.startsWith('.')) {
        if (spec && path.resolve(path.dirname(file), spec).startsWith(project.dir + path.sep) === false) {
          violations.push(`${path.relative(root, file)}: relative import "${spec}" leaves the project; import the library by name`);
        }
        continue;
      }
      const where = path.relative(root, file);
      const pkgName = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      const target = projects.get(pkgName);
      if (target) {
        if (target === project) continue;
        if (isTestOnly(target) && !isTestCode(project, file)) {
          violations.push(`${where}: ${target.name} holds test helpers; import it from specs, src/testing/ or e2e tests only`);
        }
        for (const rule of rules) {
          const allowed = rule.onlyDependOnLibsWithTags ?? ['*'];
          if (!allowed.includes('*') && !target.tags.some((t) => allowed.includes(t))) {
            violations.push(`${where}: ${project.name} [${rule.sourceTag}] may not import ${target.name} [${target.tags.join(', ')}]`);
          }
        }
      } else {
        for (const rule of rules) {
          for (const banned of rule.bannedExternalImports ?? []) {
            if (globToRe(banned).test(spec)) violations.push(`${where}: ${project.name} [${rule.sourceTag}] may not import "${spec}"`);
          }
        }
      }
    }
  }
}

if (violations.length) {
  console.error(`module boundaries: ${violations.length} violation(s)`);
  for (const v of violations) console.error(`  ${v}`);
  process.exit(1);
}
console.log(`module boundaries: ${projects.size} projects, ${checked} files, no violations`);
