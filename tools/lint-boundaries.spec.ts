import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const script = path.resolve(import.meta.dirname, 'lint-boundaries.mjs');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A throwaway workspace: name → [tags, source of src/index.ts, other files under src/]. */
function workspace(projects: Record<string, [string[], string, Record<string, string>?]>, folder = 'libs'): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'boundaries-'));
  dirs.push(root);
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ workspaces: [`${folder}/*`] }));
  for (const [name, [tags, source, files = {}]] of Object.entries(projects)) {
    const dir = path.join(root, folder, name);
    fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `@gw/${name}`, nx: { tags } }));
    for (const [file, text] of Object.entries({ 'index.ts': source, ...files })) {
      fs.mkdirSync(path.dirname(path.join(dir, 'src', file)), { recursive: true });
      fs.writeFileSync(path.join(dir, 'src', file), text);
    }
  }
  return root;
}

const lint = (root: string) => spawnSync(process.execPath, [script, root], { encoding: 'utf8' });

describe('lint-boundaries', () => {
  it('passes a workspace that respects the constraints', () => {
    const root = workspace({
      model: [['scope:shared', 'type:domain'], "export const x = 1;\n"],
      proxy: [['scope:runtime', 'type:feature'], "import { x } from '@gw/model';\nimport http from 'node:http';\n"],
    });
    const r = lint(root);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('fails when runtime code imports pg or a controller library', () => {
    const root = workspace({
      store: [['scope:controller', 'type:data'], "export const s = 1;\n"],
      proxy: [['scope:runtime', 'type:feature'], "import pg from 'pg';\nimport { s } from '@gw/store';\n"],
    });
    const r = lint(root);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('may not import "pg"');
    expect(r.stderr).toContain('may not import @gw/store');
  });

  it('fails when a domain library does I/O', () => {
    const root = workspace({ model: [['scope:shared', 'type:domain'], "import { readFileSync } from 'node:fs';\nexport const m = await import('node:net');\n"] });
    const r = lint(root);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('may not import "node:fs"');
    expect(r.stderr).toContain('may not import "node:net"');
  });

  it('fails when a library sits in the folder of one plane but carries another scope', () => {
    const root = workspace({ cache: [['scope:controller', 'type:data'], 'export const c = 1;\n'] }, 'libs/runtime');
    const r = lint(root);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('@gw/cache: lives in libs/runtime/ but is not tagged scope:runtime');
  });

  it('lets every project import test helpers from its specs and src/testing/, and refuses them in shipped code', () => {
    const kit = [['scope:shared', 'type:test'], 'export const waitFor = 1;\n'] as [string[], string];
    const ok = workspace({
      'test-kit': kit,
      model: [['scope:shared', 'type:domain'], 'export const m = 1;\n', { 'model.spec.ts': "import { waitFor } from '@gw/test-kit';\n" }],
      logging: [['scope:shared', 'type:util'], 'export const l = 1;\n', { 'testing/index.ts': "export { waitFor } from '@gw/test-kit';\n" }],
    });
    const passed = lint(ok);
    expect(passed.stderr).toBe('');
    expect(passed.status).toBe(0);

    const shipped = workspace({ 'test-kit': kit, model: [['scope:shared', 'type:domain'], "import { waitFor } from '@gw/test-kit';\n"] });
    const failed = lint(shipped);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain('@gw/test-kit holds test helpers; import it from specs, src/testing/ or e2e tests only');
  });
});
