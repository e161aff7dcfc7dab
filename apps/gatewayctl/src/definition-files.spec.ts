// Reading -f FILE|DIR from real files: YAML and JSON, one API or an `apis:` list, sorted,
// and every problem named by file, line, column and field.
import fs from 'node:fs';
import path from 'node:path';
import { tempDirs } from '@gw/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { DefinitionFilesError, formatFileProblem, loadDefinitions } from './definition-files.js';

const dirs = tempDirs('gw-gatewayctl-files-');
afterEach(() => dirs.removeAll());

function tree(files: Record<string, string>): string {
  const dir = dirs.make();
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

async function problems(target: string): Promise<string[]> {
  const err = await loadDefinitions(target).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DefinitionFilesError);
  return (err as DefinitionFilesError).problems.map((p) => formatFileProblem({ ...p, file: path.basename(p.file) }));
}

const api = (name: string) => ({ name, basePath: `/${name}`, upstream: { targets: [{ url: 'http://127.0.0.1:3000' }] } });

describe('loadDefinitions', () => {
  it('reads *.yaml, *.yml and *.json of a directory in name order, one API or an apis: list, and nothing else', async () => {
    const dir = tree({
      'b.json': JSON.stringify({ apis: [api('b1'), api('b2')] }),
      'a.yml': 'name: a\nbasePath: /a\nupstream:\n  targets: [{url: "http://127.0.0.1:3000"}]\n',
      'c.yaml': 'apis:\n  - name: c\n    basePath: /c\n    upstream: {targets: [{url: "http://127.0.0.1:3000"}]}\n',
      'notes.txt': 'ignored',
    });
    const loaded = await loadDefinitions(dir);
    expect(loaded.map((l) => [path.basename(l.file), l.at, l.definition.name])).toEqual([
      ['a.yml', '', 'a'],
      ['b.json', 'apis[0]', 'b1'],
      ['b.json', 'apis[1]', 'b2'],
      ['c.yaml', 'apis[0]', 'c'],
    ]);
    // Sent as written: the controller fills the defaults.
    expect(loaded[0]!.input).toEqual(api('a'));
    expect((await loadDefinitions(path.join(dir, 'b.json'))).map((l) => l.definition.name)).toEqual(['b1', 'b2']);
  });

  it('names file, line, column and field of every problem, across files', async () => {
    const dir = tree({
      'a.yaml': 'name: a\nbasePath: a\nupstream:\n  targets:\n    - url: http://127.0.0.1:3000\n      wieght: 3\n',
      'b.json': `{\n  "apis": [\n    ${JSON.stringify(api('g'))}\n  ],\n  "prune": true\n}\n`,
      'c.yaml': 'name: c\n  basePath: [\n',
      'd.json': '{"name": "d",, }',
      'e.yaml': '',
      'f.yaml': 'apis: {}\n',
      'g.yaml': 'name: g\nbasePath: /g2\nupstream: {targets: [{url: "http://127.0.0.1:3000"}]}\n',
    });
    expect(await problems(dir)).toEqual([
      'a.yaml:2:1: basePath: must start with "/"',
      'a.yaml:6:7: upstream.targets[0].wieght: unknown field',
      'b.json:5:3: prune: unknown field (a file holds one API, or a list of them under "apis:")',
      'c.yaml:1:7: not valid YAML: Nested mappings are not allowed in compact mappings',
      'c.yaml:1:7: not valid YAML: Implicit keys need to be on a single line',
      'c.yaml:3:1: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
      'd.json:1:14: not valid JSON: Unexpected , in flow map',
      'e.yaml: is empty: expected an API definition, or a list of them under "apis:"',
      'f.yaml:1:1: apis: must be a list of API definitions',
      `g.yaml:1:1: name: API "g" is also defined in ${path.join(dir, 'b.json')} (apis[0].name)`,
    ]);
  });
});
