import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENGINES } from '../support/engines.js';
import { Harness, USER_SCHEMA, type Org } from '../support/harness.js';

// A startIndex walk says totalResults on every page: counted once while nothing changes, counted
// again after any change (SQLite: by the database's version; PostgreSQL: by the organization's
// change counter, read in the page's own statement).
for (const engine of ENGINES) {
  describe(`list totals on ${engine}`, () => {
    let h: Harness;
    let org: Org;
    before(async () => {
      h = await Harness.start(engine, { provisioningLog: false });
      org = await h.org('totals', { rateLimit: 0 });
      for (let i = 0; i < 12; i++) await h.request('POST', '/Users', { org, body: { schemas: [USER_SCHEMA], userName: `t${i}` } });
    });
    after(() => h.close());

    const total = async (startIndex: number) => (await h.request('GET', `/Users?startIndex=${startIndex}&count=5`, { org })).body.totalResults as number;

    test('a later page knows the total, and it follows every change', async () => {
      assert.equal(await total(6), 12);
      assert.equal(await total(11), 12);
      const u = await h.request('POST', '/Users', { org, body: { schemas: [USER_SCHEMA], userName: 't-new' } });
      assert.equal(await total(6), 13, 'a create');
      await h.request('DELETE', `/Users/${u.body.id}`, { org });
      assert.equal(await total(6), 12, 'a delete');
      await h.request('POST', '/Bulk', { org, body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [1, 2].map((n) => ({ method: 'POST', path: '/Users', data: { schemas: [USER_SCHEMA], userName: `bulk-${n}` } })) } });
      assert.equal(await total(6), 14, 'a /Bulk run written together');
      const other = await h.org('totals-other', { rateLimit: 0 });
      await h.request('POST', '/Users', { org: other, body: { schemas: [USER_SCHEMA], userName: 'elsewhere' } });
      assert.equal(await total(6), 14, "another organization's change is not this one's");
    });

    if (engine === 'postgres') {
      test('PostgreSQL counts once while the organization does not change, and again when it does', async () => {
        await h.request('POST', '/Users', { org, body: { schemas: [USER_SCHEMA], userName: 't-first' } });
        const before = await total(6);
        // A row written behind Rollcall's back, moving no change counter: the total counted
        // before it is still served, which shows it is not counted again.
        const { sql } = await import('kysely');
        const id = (await h.directory.organizations.get('totals')).id;
        await sql`update users set user_name = user_name where org_id = ${id}`.execute((h.store as unknown as { kysely: never }).kysely);
        await sql`delete from users where org_id = ${id} and user_name = 't0'`.execute((h.store as unknown as { kysely: never }).kysely);
        assert.equal(await total(6), before, 'the same total: not counted again');
        assert.equal(await total(11), before);
        // Any change through Rollcall moves the counter: counted again.
        await h.request('POST', '/Users', { org, body: { schemas: [USER_SCHEMA], userName: 't-again' } });
        assert.equal(await total(6), before, 'one deleted behind its back, one created: counted again, the truth');
        const direct = await h.request('GET', `/Users?filter=${encodeURIComponent('userName sw "t"')}&startIndex=2&count=2`, { org });
        assert.equal(direct.body.totalResults, before - 2, 'another list is counted on its own (the two bulk-* users do not match)');
      });
    }
  });
}
