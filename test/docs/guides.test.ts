import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GUIDE_DOCS, PROVIDERS, fill, guideMarkdown, renderGuides } from '../../src/console/providers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

test("the step lists in the docs are the setup page's (run `npm run docs` after editing src/console/providers.ts)", () => {
  for (const path of new Set(Object.values(GUIDE_DOCS))) {
    const text = readFileSync(root + path, 'utf8');
    assert.equal(renderGuides(path, text), text, `${path} is out of date`);
  }
});

test('every provider has a block in its doc, with its steps and values as placeholders', () => {
  for (const p of PROVIDERS) {
    const text = readFileSync(root + GUIDE_DOCS[p.id], 'utf8');
    assert.ok(text.includes(`<!-- steps:${p.id} -->`), `${p.id} block in ${GUIDE_DOCS[p.id]}`);
    const md = guideMarkdown(p);
    for (const step of p.steps) assert.ok(md.includes(fill(step, p, { baseUrl: 'https://<your host>/o/<slug>/scim/v2', token: '<token>' })));
    assert.ok(!md.includes('{token}') && !md.includes('{baseUrl}'));
    assert.ok(p.steps.some((s) => s.includes('{baseUrl}')) && p.steps.some((s) => s.includes('{token}')), `${p.id} names both values`);
  }
});
