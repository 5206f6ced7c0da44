// Renders the identity-provider step lists of docs/okta.md, docs/entra.md and
// docs/identity-providers.md from src/console/providers.ts, the one source the setup page uses.
// `npm run docs` writes them; test/docs/guides.test.ts fails when they are out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GUIDE_DOCS, renderGuides } from '../src/console/providers.js';

const root = fileURLToPath(new URL('..', import.meta.url));
for (const path of new Set(Object.values(GUIDE_DOCS))) {
  const before = readFileSync(root + path, 'utf8');
  const after = renderGuides(path, before);
  if (after !== before) {
    writeFileSync(root + path, after);
    console.log(`render-docs: updated ${path}`);
  }
}
