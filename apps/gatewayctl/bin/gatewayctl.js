#!/usr/bin/env node
// The `gatewayctl` bin of the workspace (`npx gatewayctl …` after `npm run build`). npm links
// bins at install time, before anything is built, and only to files that exist: this
// committed file is always there and loads the built CLI.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('gatewayctl: apps/gatewayctl/dist/main.js is missing: run `npm run build` first\n');
  process.exit(1);
}
await import(main.href);
