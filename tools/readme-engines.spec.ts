// The README's quick start and package.json's `engines` state the same Node and npm versions
// (what `npm ci` needs before it installs the pinned Node), so neither can drift alone.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('README and engines', () => {
  it('the quick start names the Node and npm versions engines asks for', () => {
    const engines = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).engines as Record<string, string>;
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('```', readme.indexOf('## Quick start')));
    const node = /Node\.js ≥ (\d+)/.exec(quickStart)?.[1];
    const npm = /npm ≥ (\d+)/.exec(quickStart)?.[1];
    expect(engines['node']).toBe(`>=${node}`);
    expect(engines['npm']).toBe(`>=${npm}`);
  });
});
