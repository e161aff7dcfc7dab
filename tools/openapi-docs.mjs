// The deploy API's OpenAPI 3.1 document (what GET /v1/openapi.json serves), committed as
// docs/openapi.json for readers without a running controller.
// Usage: node tools/openapi-docs.mjs          (write it; commit the result)
//        node tools/openapi-docs.mjs --check  (fail when it drifted; run by `npm run lint`)
// Builds the controller's HTTP app as controller.ts wires it, over stores it never calls:
// declaring routes reads nothing, and the document is built from the declarations alone.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { controllerOpenApiDocument } = await import(path.join(root, 'apps/controller/dist/openapi-document.js'));
const check = process.argv.includes('--check');
const file = path.join(root, 'docs/openapi.json');
const want = JSON.stringify(await controllerOpenApiDocument(), null, 2) + '\n';
const have = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
if (check) {
  if (have !== want) {
    console.error('docs/openapi.json is out of date with the routes’ declarations (run `npm run openapi:docs`)');
    process.exit(1);
  }
  console.log('docs/openapi.json matches the routes’ declarations');
} else {
  fs.writeFileSync(file, want);
  console.log(have === want ? 'docs/openapi.json already up to date' : 'wrote docs/openapi.json');
}
