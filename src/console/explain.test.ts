import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explain } from './setup-routes.js';

const cases: { status: number; scimType?: string; detail?: string; says: RegExp; not?: RegExp }[] = [
  { status: 401, says: /token was not accepted.*"Bearer "/ },
  { status: 403, says: /application token/ },
  { status: 429, says: /retries by itself/ },
  { status: 500, says: /The application's team can see it in their provisioning log/, not: /operator/ },
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

test('with a product name, the explanations speak as the product, never of Rollcall or an operator', () => {
  const text = explain({ status: 500, scimType: null, detail: null, method: 'GET' }, 'Okta', 'Acme HR');
  assert.match(text, /^Acme HR had a problem with this request\. Acme HR's team can see it/);
  const taken = explain({ status: 409, scimType: 'uniqueness', detail: null, method: 'POST' }, 'Okta', 'Acme HR');
  assert.match(taken, /already exists in Acme HR\. .*ask Acme HR's team to remove or rename/);
});

for (const c of cases) {
  test(`the setup page explains a ${c.status}${c.scimType ? ` ${c.scimType}` : ''} in the admin's words`, () => {
    const text = explain({ status: c.status, scimType: c.scimType ?? null, detail: c.detail ?? null, method: 'POST' }, 'Okta');
    assert.match(text, c.says);
    if (c.not) assert.doesNotMatch(text, c.not);
  });
}
