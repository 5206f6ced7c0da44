import { createRequire } from 'node:module';

/** Set by the CLI bundle's build (scripts/build.js); the sources and dist/ read package.json. */
declare const __ROLLCALL_VERSION__: string | undefined;

/** The package's version. */
export const VERSION: string =
  typeof __ROLLCALL_VERSION__ === 'string' ? __ROLLCALL_VERSION__ : (createRequire(import.meta.url)('../package.json') as { version: string }).version;
