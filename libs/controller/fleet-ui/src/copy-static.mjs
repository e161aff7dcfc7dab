// Part of this library's build (`npm run build`): tsc compiles the page's modules into
// dist/browser/; this copies the static files beside them. Nothing is fetched at run time.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const from = path.join(here, 'browser');
const to = path.join(here, '..', 'dist', 'browser');
mkdirSync(to, { recursive: true });
for (const file of readdirSync(from)) {
  if (/\.(html|css|svg)$/.test(file)) copyFileSync(path.join(from, file), path.join(to, file));
}
