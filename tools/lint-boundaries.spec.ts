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

/** A throwaway workspace: name → [tags, source of src/index.ts]. */
function workspace(projects: Record<string, [string[], string]>, folder = 'libs'): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'boundaries-'));
  dirs.push(root);
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ workspaces: [`${folder}/*`] }));
  for (const [name, [tags, source]] of Object.entries(projects)) {
    const dir = path.join(root, folder, name);
    fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `@gw/${name}`, nx: { tags } }));
    fs.writeFileSync(path.join(dir, 'src', 'index.ts'), source);
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
});
