import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { buildApp } from '../../src/app.js';
import { Directory } from '../../src/service/directory.js';
import { openStore, SecretBox, type Store } from '../../src/store/open.js';
import type { SqlStore } from '../../src/store/sql/sql-store.js';
import { createDatabase, ENGINES } from '../support/engines.js';

/** Issue 23 defect 8: the SET signing keys and the cursor key are sealed at rest under the operator's key. */
const key = () => randomBytes(32).toString('base64');

async function stored(store: Store): Promise<string[]> {
  const db = (store as unknown as SqlStore).kysely;
  const secrets = await sql<{ v: string }>`select value as v from server_secrets`.execute(db);
  const keys = await sql<{ v: string }>`select private_jwk as v from signing_keys`.execute(db);
  return [...secrets.rows, ...keys.rows].map((r) => r.v);
}

/** Makes an organization sign a SET (its first key) and walk a cursor; returns whether both worked. */
async function use(store: Store): Promise<{ jwks: number; cursorOk: boolean }> {
  const directory = new Directory(store);
  if (!(await directory.organizations.list()).some((o) => o.slug === 'acme')) await directory.organizations.create('acme');
  const app = (await directory.organizations.issueToken('acme', 'app', 'app')).token;
  const scim = (await directory.organizations.issueToken('acme', 'idp')).token;
  const server = await buildApp({ store });
  try {
    const poll = () =>
      server.inject({
        method: 'POST',
        url: '/api/v1/security-events',
        headers: { authorization: `Bearer ${app}`, 'content-type': 'application/json' },
        payload: '{"returnImmediately":true}',
      });
    assert.equal((await poll()).statusCode, 200);
    for (let i = 0; i < 3; i++) {
      const res = await server.inject({
        method: 'POST',
        url: '/scim/v2/Users',
        headers: { authorization: `Bearer ${scim}`, 'content-type': 'application/scim+json' },
        payload: JSON.stringify({ userName: `u${Date.now()}${i}@example.com` }),
      });
      assert.equal(res.statusCode, 201, res.body);
    }
    // The SETs are signed with the organization's key (made by the first one).
    const sets = await poll();
    assert.ok(Object.keys(JSON.parse(sets.body).sets).length >= 3, sets.body);
    const jwks = await server.inject({ url: '/api/v1/organizations/acme/jwks.json' });
    const first = await server.inject({ url: '/scim/v2/Users?cursor=&count=1', headers: { authorization: `Bearer ${scim}` } });
    const next = await server.inject({
      url: `/scim/v2/Users?count=1&cursor=${encodeURIComponent(JSON.parse(first.body).nextCursor)}`,
      headers: { authorization: `Bearer ${scim}` },
    });
    return { jwks: JSON.parse(jwks.body).keys?.length ?? 0, cursorOk: next.statusCode === 200 };
  } finally {
    await server.close();
  }
}

for (const engine of ENGINES) {
  describe(`secrets at rest (${engine})`, () => {
    test('with a key, the private halves and the cursor key are sealed; rotation reseals; without the key the store refuses to start, naming it', async () => {
      const db = await createDatabase(engine);
      try {
        // Before any key: stored as they are (as before issue 23).
        let store = await openStore(db.database, { secretKeys: SecretBox.none() });
        assert.deepEqual(await use(store), { jwks: 1, cursorOk: true });
        assert.ok((await stored(store)).every((v) => SecretBox.keyIdOf(v) === null));
        await store.close();

        // The operator sets a key: everything is sealed under it at the next start.
        const k1 = `k1:${key()}`;
        store = await openStore(db.database, { secretKeys: SecretBox.parse(k1) });
        let values = await stored(store);
        assert.equal(values.length, 2);
        assert.ok(
          values.every((v) => SecretBox.keyIdOf(v) === 'k1'),
          values.join('\n'),
        );
        assert.ok(
          values.every((v) => !v.includes('"d"')),
          'no private key parameter in clear',
        );
        assert.deepEqual(await use(store), { jwks: 1, cursorOk: true });
        await store.close();

        // Rotation: the new key first, the old one still listed; then the old one dropped.
        const k2 = `k2:${key()}`;
        store = await openStore(db.database, { secretKeys: SecretBox.parse(`${k2},${k1}`) });
        values = await stored(store);
        assert.ok(
          values.every((v) => SecretBox.keyIdOf(v) === 'k2'),
          values.join('\n'),
        );
        await store.close();
        store = await openStore(db.database, { secretKeys: SecretBox.parse(k2) });
        assert.deepEqual(await use(store), { jwks: 1, cursorOk: true });
        await store.close();

        // A copy of the database without the key: nothing opens, and the start says why.
        await assert.rejects(
          openStore(db.database, { secretKeys: SecretBox.none() }),
          /sealed with the key "k2", which this process was not given: set ROLLCALL_SECRET_KEY/,
        );
        await assert.rejects(openStore(db.database, { secretKeys: SecretBox.parse(`k2:${key()}`) }), /does not open with the key given under that id/);
      } finally {
        await db.drop();
      }
    });

    test('keys are read from ROLLCALL_SECRET_KEY: 32 bytes each, ids derived when not given', () => {
      const box = SecretBox.fromEnvironment({ ROLLCALL_SECRET_KEY: key() });
      assert.match(box.current!, /^[A-Za-z0-9_-]{8}$/);
      assert.equal(box.open(box.seal('x')), 'x');
      assert.throws(() => SecretBox.parse('short'), /32 bytes/);
      assert.throws(() => SecretBox.parse(`a:${key()},a:${key()}`), /listed twice/);
      assert.equal(SecretBox.fromEnvironment({}).current, undefined);
    });
  });
}
