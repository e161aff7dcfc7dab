// Regenerates libs/shared/config-proto/src/generated from proto/ (commit the result).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { genArgs, outDir, root } from './proto-gen-args.mjs';

fs.rmSync(outDir, { recursive: true, force: true });
execFileSync(process.execPath, genArgs(outDir), { stdio: 'inherit', cwd: root });
console.log(`generated ${outDir}`);
