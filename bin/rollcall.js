#!/usr/bin/env node
// The rollcall command: the compiled build (npm run build, run by npm ci and npm install).
import { existsSync } from 'node:fs';

const main = new URL('../dist/bin/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('rollcall: dist/ is missing; run `npm run build` (npm ci and npm install run it)');
  process.exit(1);
}
const cli = await import(main.href);
process.exitCode = await cli.main(process.argv);
