import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explain } from './setup-routes.js';

const cases: { status: number; scimType?: string; detail?: string; says: RegExp; not?: RegExp }[] = [
  { status: 401, says: /token was not accepted.*"Bearer "/ },
  { status: 403, says: /application token/ },
  { status: 429, says: /retries by itself/ },
  { status: 500, says: /operator can see it/ },
  { status: 409, scimType: 'uniqueness', says: /already exists/ },
  { status: 404, says: /does not have/ },
  { status: 412, says: /changed while Okta/ },
  {
    status: 400,
    scimType: 'invalidValue',
    detail:
      'userName "x" is not an email address. This organization requires email userNames; an operator can allow other usernames with: rollcall org set acme requireEmailUserName false.',
    says: /userName "x" is not an email address\. Check the attribute mappings in Okta/,
    not: /rollcall org set/,
  },
];

for (const c of cases) {
  test(`the setup page explains a ${c.status}${c.scimType ? ` ${c.scimType}` : ''} in the admin's words`, () => {
    const text = explain({ status: c.status, scimType: c.scimType ?? null, detail: c.detail ?? null, method: 'POST' }, 'Okta');
    assert.match(text, c.says);
    if (c.not) assert.doesNotMatch(text, c.not);
  });
}
