// Fails when the committed generated types drift from proto/ (run by `npm run lint`).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { genArgs, outDir, root } from './proto-gen-args.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'proto-check-'));
try {
  execFileSync(process.execPath, genArgs(tmp), { stdio: 'inherit', cwd: root });
  const list = (dir) => (fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort() : []);
  const want = list(tmp);
  const have = list(outDir);
  const drift = [];
  for (const f of new Set([...want, ...have])) {
    const a = want.includes(f) ? fs.readFileSync(path.join(tmp, f), 'utf8') : null;
    const b = have.includes(f) ? fs.readFileSync(path.join(outDir, f), 'utf8') : null;
    if (a !== b) drift.push(f);
  }
  if (drift.length) {
    console.error(`proto types drifted from proto/ (run \`npm run proto:gen\`): ${drift.join(', ')}`);
    process.exit(1);
  }
  console.log(`proto types match proto/ (${want.length} files)`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
