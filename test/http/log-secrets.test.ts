import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import pino from 'pino';
import type { SqlStore } from '../../src/store/sql/sql-store.js';
import { ENGINES } from '../support/engines.js';
import { Harness, userBody, type Org } from '../support/harness.js';

/**
 * The provisioning log never holds a token, a password or an Authorization header: every secret
 * a test sends is searched for in the whole database (SQLite: the file and its WAL; PostgreSQL:
 * every row of every table as text) and in everything the server logged.
 */
for (const engine of ENGINES) {
  describe(`no secret reaches the log or the database on ${engine}`, () => {
    let h: Harness;
    let acme: Org;
    const output: string[] = [];
    const password = `Pw-${Math.random().toString(36).slice(2)}-secret`;
    const secondPassword = `Pw2-${Math.random().toString(36).slice(2)}`;
    const bogusToken = `rc_${Math.random().toString(36).slice(2)}bogus`;
    const thirds: string[] = [];
    const oauthSecrets: string[] = [];
    before(async () => {
      const stream = new Writable({
        write(chunk, _enc, done) {
          output.push(String(chunk));
          done();
        },
      });
      h = await Harness.start(engine, { logger: pino({ level: 'trace' }, stream) });
      acme = await h.org('acme');
    });
    after(() => h.close());

    test('requests carrying secrets in bodies, PATCH values, query strings and headers', async () => {
      const created = await h.request('POST', '/Users', { org: acme, body: userBody('jane@acme.com', { password }) });
      assert.equal(created.status, 201);
      assert.equal(created.body.password, undefined, 'passwords are never returned');
      const id = created.body.id;
      await h.request('PATCH', `/Users/${id}`, {
        org: acme,
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'password', value: secondPassword }] },
      });
      await h.request('PATCH', `/Users/${id}`, {
        org: acme,
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { password: secondPassword } }] },
      });
      await h.request('PUT', `/Users/${id}`, { org: acme, body: userBody('jane@acme.com', { password: secondPassword }) });
      await h.request('GET', `/Users?access_token=${acme.token}`, { org: acme });
      await h.request('GET', '/Users', { token: bogusToken });
      await h.request('GET', '/Users', { headers: { authorization: acme.token } });
      // Issue 23 defect 2: Entra ID's capitalised members, inside /Bulk too, and a filter on password.
      const third = `Hunter2-${Math.random().toString(36).slice(2)}`;
      thirds.push(third);
      const patchOp = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ Op: 'Replace', Path: 'password', Value: third }] };
      assert.ok([200, 204].includes((await h.request('PATCH', `/Users/${id}`, { org: acme, body: patchOp })).status));
      const bulk = await h.request('POST', '/Bulk', {
        org: acme,
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [{ method: 'PATCH', path: `/Users/${id}`, data: patchOp }] },
      });
      assert.equal(bulk.status, 200);
      await h.request('GET', `/Users?filter=${encodeURIComponent(`password eq "${third}"`)}`, { org: acme });
      await h.request('GET', `/Users?filter=password+eq+%22${third}%22`, { org: acme });
      await h.request('POST', '/.search', {
        org: acme,
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: `password eq "${third}"` },
      });
      // Issue 23 defect 8: a request id carrying a credential is not kept.
      await h.request('GET', '/Users', { org: acme, headers: { 'x-request-id': `Bearer ${acme.token}` } });
      await h.request('GET', '/Users', { org: acme, headers: { 'x-request-id': 'x'.repeat(5000) } });
      // A refused request whose body carries the token and a password.
      await h.request('POST', '/Users', { org: acme, body: { userName: 'x', password, note: `Bearer ${acme.token}` } });
      // Issue 24: OAuth's secrets. A client secret sent right and wrong, the access token it got
      // used, and a refresh token, a code and the secret pasted into a body: recognised by form.
      const { client: oauthClient, secret: clientSecret } = await h.directory.clients.add('acme', {
        auth: 'secret',
        secretExpires: new Date(Date.now() + 86_400_000).toISOString(),
      });
      oauthSecrets.push(clientSecret!);
      const granted = await h.clientCredentials('acme', oauthClient.clientId, clientSecret!);
      assert.equal(granted.statusCode, 200);
      oauthSecrets.push(granted.json().access_token);
      assert.equal((await h.clientCredentials('acme', oauthClient.clientId, `${clientSecret}x`)).statusCode, 401);
      assert.equal((await h.request('GET', '/Users', { token: granted.json().access_token })).status, 200);
      const refresh = `rcr_${'r'.repeat(20)}${Math.random().toString(36).slice(2)}`;
      const code = `rca_${'c'.repeat(20)}${Math.random().toString(36).slice(2)}`;
      oauthSecrets.push(refresh, code);
      await h.request('POST', '/Users', { org: acme, body: { userName: 'y', note: `${refresh} ${code} ${clientSecret}` } });
      await h.flushLog();
      const entries = await h.store.log.list((await h.directory.organizations.get('acme')).id, { limit: 100 });
      assert.ok(entries.length >= 13, `${entries.length} entries written`);
      assert.ok(
        entries.every((e) => e.req_id.length <= 128),
        'request ids are capped',
      );
      // What the application API serves of the log is what was stored.
      const app = (await h.directory.organizations.issueToken('acme', 'app', 'app')).token;
      for (const e of entries) {
        const served = await h.request('GET', `/api/v1/log/${e.id}`, { token: app });
        assert.equal(served.status, 200);
        assert.ok(!thirds.some((t) => served.text.includes(t)), `the password in /api/v1/log/${e.id}: ${served.text.slice(0, 300)}`);
      }
      await h.store.optimize();

      const haystacks: [string, string][] = [['server log output', output.join('')]];
      if (engine === 'sqlite') {
        for (const suffix of ['', '-wal']) {
          const file = h.store.target + suffix;
          if (existsSync(file)) haystacks.push([file, readFileSync(file).toString('latin1')]);
        }
      } else {
        const db = (h.store as unknown as SqlStore).kysely;
        const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = current_schema()`.execute(db);
        for (const { table_name } of tables.rows) {
          const rows = await sql<{ t: string }>`select t::text as t from ${sql.table(table_name)} t`.execute(db);
          haystacks.push([table_name, rows.rows.map((r) => r.t).join('\n')]);
        }
      }
      assert.ok(haystacks.length >= 2);
      for (const [where, text] of haystacks) {
        for (const [name, secret] of [
          ['the token', acme.token],
          ['the password', password],
          ['the second password', secondPassword],
          ['the refused token', bogusToken],
          ["the capitalised PATCH's password", thirds[0]!],
          ...oauthSecrets.map((x, i) => [`OAuth secret ${i} (client secret, access token, refresh token, code)`, x] as const),
        ] as const) {
          assert.ok(!text.includes(secret), `${name} found in ${where}`);
        }
        assert.ok(!/authorization"?\s*[:=]\s*"?bearer/i.test(text), `an Authorization header in ${where}`);
      }
    });
  });
}
