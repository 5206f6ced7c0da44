import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENGINES } from '../support/engines.js';
import { ENTERPRISE, Harness, USER_SCHEMA, type Org } from '../support/harness.js';

/** Every attribute path a schema declares, as "urn:attr" and "urn:attr.sub". */
function declaredPaths(schema: any, onlyWritable = false): Set<string> {
  const out = new Set<string>();
  const writable = (a: any) => !onlyWritable || a.mutability === 'readWrite' || a.mutability === 'immutable';
  for (const a of schema.attributes) {
    if (!writable(a)) continue;
    out.add(`${schema.id}:${a.name}`);
    for (const s of a.subAttributes ?? []) if (writable(s)) out.add(`${schema.id}:${a.name}.${s.name}`);
  }
  return out;
}

/** Every attribute path present in a User representation. */
function presentPaths(user: Record<string, any>): string[] {
  const out: string[] = [];
  const walk = (urn: string, obj: Record<string, any>) => {
    for (const [k, v] of Object.entries(obj)) {
      if (urn === USER_SCHEMA && ['schemas', 'id', 'externalId', 'meta', ENTERPRISE].includes(k)) continue;
      out.push(`${urn}:${k}`);
      const items = Array.isArray(v) ? v : [v];
      for (const item of items) if (item && typeof item === 'object') for (const sub of Object.keys(item)) out.push(`${urn}:${k}.${sub}`);
    }
  };
  walk(USER_SCHEMA, user);
  if (user[ENTERPRISE]) walk(ENTERPRISE, user[ENTERPRISE]);
  return out;
}

for (const engine of ENGINES) {
  describe(`discovery endpoints on ${engine}`, () => {
    let h: Harness;
    let org: Org;
    before(async () => {
      h = await Harness.start(engine, { bodyLimit: 2 * 1024 * 1024 });
      org = await h.org('acme', { maxResults: 250 });
    });
    after(() => h.close());

    test('ServiceProviderConfig states what this server does, for this organization', async () => {
      const res = await h.request('GET', '/ServiceProviderConfig', { org });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.schemas, ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig']);
      assert.equal(res.body.etag.supported, true);
      assert.equal(res.body.filter.maxResults, 250);
      assert.equal(res.body.bulk.maxPayloadSize, 2 * 1024 * 1024);
      assert.equal(res.body.authenticationSchemes[0].type, 'oauthbearertoken');
      for (const k of ['patch', 'bulk', 'filter', 'changePassword', 'sort', 'etag']) assert.equal(typeof res.body[k].supported, 'boolean', k);
    });

    test('ResourceTypes lists User with the enterprise extension; lookup by name', async () => {
      const list = await h.request('GET', '/ResourceTypes', { org });
      assert.equal(list.status, 200);
      assert.equal(list.body.totalResults, list.body.Resources.length);
      const user = list.body.Resources.find((r: any) => r.id === 'User');
      assert.equal(user.endpoint, '/Users');
      assert.equal(user.schema, USER_SCHEMA);
      assert.deepEqual(user.schemaExtensions, [{ schema: ENTERPRISE, required: false }]);
      const one = await h.request('GET', '/ResourceTypes/user', { org });
      assert.deepEqual(one.body, user);
      assert.equal((await h.request('GET', '/ResourceTypes/Nope', { org })).status, 404);
    });

    test('Schemas lists the core and enterprise User schemas with full characteristics', async () => {
      const list = await h.request('GET', '/Schemas', { org });
      assert.equal(list.status, 200);
      const ids = list.body.Resources.map((s: any) => s.id);
      assert.ok(ids.includes(USER_SCHEMA) && ids.includes(ENTERPRISE));
      assert.ok(list.text.includes('User Account'));
      const user = list.body.Resources.find((s: any) => s.id === USER_SCHEMA);
      const userName = user.attributes.find((a: any) => a.name === 'userName');
      assert.deepEqual(
        {
          required: userName.required,
          caseExact: userName.caseExact,
          uniqueness: userName.uniqueness,
          mutability: userName.mutability,
          returned: userName.returned,
        },
        { required: true, caseExact: false, uniqueness: 'server', mutability: 'readWrite', returned: 'default' },
      );
      const password = user.attributes.find((a: any) => a.name === 'password');
      assert.equal(password.returned, 'never');
      assert.equal(password.mutability, 'writeOnly');
      const groups = user.attributes.find((a: any) => a.name === 'groups');
      assert.equal(groups.mutability, 'readOnly');
      for (const s of list.body.Resources) {
        for (const a of s.attributes) {
          for (const k of ['name', 'type', 'multiValued', 'description', 'required', 'caseExact', 'mutability', 'returned', 'uniqueness'])
            assert.ok(k in a, `${s.id}:${a.name} lacks ${k}`);
        }
      }
      const one = await h.request('GET', `/Schemas/${ENTERPRISE}`, { org });
      assert.equal(one.body.id, ENTERPRISE);
      assert.equal((await h.request('GET', '/Schemas/urn:nope', { org })).status, 404);
    });

    test('every attribute the server accepts and returns appears in /Schemas', async () => {
      const schemas = (await h.request('GET', '/Schemas', { org })).body.Resources;
      const declared = new Set<string>();
      for (const s of schemas) for (const p of declaredPaths(s)) declared.add(p);
      const { readFileSync } = await import('node:fs');
      const full = JSON.parse(readFileSync(new URL('../fixtures/full-user.json', import.meta.url), 'utf8'));
      const created = await h.request('POST', '/Users', { org, body: full });
      assert.equal(created.status, 201);
      const present = presentPaths(created.body);
      assert.ok(present.length > 60, `the fixture exercises many attributes (${present.length})`);
      for (const p of present) assert.ok(declared.has(p), `${p} is returned but not declared in /Schemas`);
      // And the other way: every declared readWrite attribute of the fixture's schemas round-trips.
      const userSchemas = schemas.filter((s: any) => s.id === USER_SCHEMA || s.id === ENTERPRISE);
      const writable: string[] = userSchemas.flatMap((s: any) => [...declaredPaths(s, true)]);
      const missing = writable.filter((p) => !present.includes(p));
      assert.deepEqual(missing, [], 'the full-user fixture covers every writable attribute');
    });
  });
}
