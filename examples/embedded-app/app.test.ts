import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createExampleApp, type ExampleApp } from './app.js';

const dir = join(process.cwd(), '.tmp', `example-${process.pid}`);
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
let app: ExampleApp;
let token: string;

before(async () => {
  mkdirSync(dir, { recursive: true });
  app = await createExampleApp({ database: join(dir, 'rollcall.db'), accountsFile: join(dir, 'accounts.db'), org: 'example', seats: 3 });
  token = (await app.rollcall.directory.organizations.issueToken('example', 'idp')).token;
});
after(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

const scim = async (method: string, url: string, body?: unknown) => {
  const res = await app.server.inject({
    method: method as never,
    url: `/scim/v2${url}`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
    ...(body ? { payload: JSON.stringify(body) } : {}),
  });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
};
const accounts = async () => {
  await app.sync();
  return app.accounts.prepare('select id, email, name, active from accounts order by email').all() as {
    id: string;
    email: string;
    name: string;
    active: number;
  }[];
};

test('provisioning through SCIM keeps the application accounts table in sync', async () => {
  const ada = (await scim('POST', '/Users', { userName: 'ada@example.com', displayName: 'Ada Lovelace' })).body;
  const bob = (await scim('POST', '/Users', { userName: 'bob@example.com', name: { givenName: 'Bob', familyName: 'Builder' } })).body;
  assert.deepEqual(await accounts(), [
    { id: ada.id, email: 'ada@example.com', name: 'Ada Lovelace', active: 1 },
    { id: bob.id, email: 'bob@example.com', name: 'Bob Builder', active: 1 },
  ]);

  await scim('PATCH', `/Users/${ada.id}`, {
    schemas: [PATCH],
    Operations: [{ op: 'replace', value: { userName: 'ada.king@example.com', displayName: 'Ada King' } }],
  });
  await scim('PATCH', `/Users/${bob.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] });
  assert.deepEqual(await accounts(), [
    { id: ada.id, email: 'ada.king@example.com', name: 'Ada King', active: 1 },
    { id: bob.id, email: 'bob@example.com', name: 'Bob Builder', active: 0 },
  ]);
  await scim('PATCH', `/Users/${bob.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: true } }] });
  assert.equal((await accounts()).find((a) => a.id === bob.id)!.active, 1);

  const group = (await scim('POST', '/Groups', { displayName: 'Admins', members: [{ value: ada.id }, { value: bob.id }] })).body;
  await app.sync();
  const members = () =>
    app.accounts
      .prepare('select account_id from memberships where group_id = ? order by account_id')
      .all(group.id)
      .map((r: any) => r.account_id);
  assert.deepEqual(members(), [ada.id, bob.id].sort());
  await scim('PATCH', `/Groups/${group.id}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${bob.id}"]` }] });
  await app.sync();
  assert.deepEqual(members(), [ada.id]);
});

test('an application hook refuses a user beyond the seat limit, and nothing is written', async () => {
  assert.equal((await scim('POST', '/Users', { userName: 'cy@example.com' })).status, 201);
  const refused = await scim('POST', '/Users', { userName: 'dee@example.com' });
  assert.equal(refused.status, 403);
  assert.match(refused.body.detail, /seats/);
  assert.equal((await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "dee@example.com"')}`)).body.totalResults, 0);
  assert.equal((await accounts()).length, 3);
});

test('the onEvent subscription applies changes without an explicit sync', async () => {
  const eve = (
    await scim('PATCH', `/Users/${(await accounts())[0]!.id}`, {
      schemas: [PATCH],
      Operations: [{ op: 'replace', path: 'displayName', value: 'Renamed Live' }],
    })
  ).body;
  const t0 = Date.now();
  let row: any;
  while (Date.now() - t0 < 3000) {
    row = app.accounts.prepare('select name from accounts where id = ?').get(eve.id);
    if (row?.name === 'Renamed Live') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(row.name, 'Renamed Live');
});
