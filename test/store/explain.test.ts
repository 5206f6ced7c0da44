import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { parseFilter, resolveFilter } from '../../src/protocol/filter/index.js';
import { userResourceType } from '../../src/protocol/schema/index.js';
import type { RequestContext } from '../../src/service/context.js';
import { Directory } from '../../src/service/directory.js';
import { SqlStore } from '../../src/store/sql/sql-store.js';
import { userListQuery } from '../../src/store/sql/session.js';
import { createStore, ENGINES } from '../support/engines.js';

const USERS = 2000;

/** The lookups identity providers make before they create or link an account. */
const LOOKUPS: [string, string, RegExp][] = [
  ['Okta: userName eq', 'userName eq "user1234@example.com"', /users_org_user_name/],
  ['Entra: externalId eq', 'externalId eq "ext-1234"', /users_org_external_id/],
  ['Entra: work email', 'emails[type eq "work"].value eq "user1234@example.com"', /user_values_lookup/],
  ['Ping: emails eq', 'emails eq "user1234@example.com"', /user_values_lookup/],
  ['displayName eq', 'displayName eq "User 1234"', /users_org_display_name/],
  ['userName sw (range)', 'userName sw "user1234@"', /users_org_user_name/],
];

for (const engine of ENGINES) {
  describe(`the lookups identity providers make use indexes on ${engine}`, () => {
    let store: Awaited<ReturnType<typeof createStore>>;
    let orgId: string;
    before(async () => {
      store = await createStore(engine);
      const directory = new Directory(store);
      const org = await directory.organizations.create('explain', undefined, {});
      orgId = org.id;
      const ctx: RequestContext = { org: { id: org.id, slug: org.slug, name: org.name, settings: org.settings }, baseUrl: 'http://x/scim/v2' };
      for (let i = 0; i < USERS; i++) {
        await directory.users.create(ctx, {
          userName: `user${i}@example.com`,
          externalId: `ext-${i}`,
          displayName: `User ${i}`,
          emails: [
            { value: `user${i}@example.com`, type: 'work', primary: true },
            { value: `user${i}@home.example.org`, type: 'home' },
          ],
        });
      }
      await sql`analyze`.execute((store as unknown as SqlStore).kysely);
    });
    after(() => store.dropAll());

    for (const [name, filter, index] of LOOKUPS) {
      test(`${name}: ${filter}`, async () => {
        const s = store as unknown as SqlStore;
        const resolved = resolveFilter(userResourceType, parseFilter(filter));
        const q = userListQuery(orgId, { filter: resolved, offset: 0, limit: 100 }, s.dialectAdapter);
        const explain = engine === 'sqlite' ? sql`explain query plan ` : sql`explain `;
        for (const statement of [q.page, q.count]) {
          const plan = await sql<Record<string, unknown>>`${explain}${statement}`.execute(s.kysely);
          const text = plan.rows.map((r) => String(r.detail ?? r['QUERY PLAN'])).join('\n');
          if (process.env.SHOW_PLANS) console.log(`-- ${engine} ${filter}\n${text}`);
          assert.match(text, index, text);
          // No full walk of the organization's users: neither a table scan nor a walk of the primary key.
          assert.doesNotMatch(text, engine === 'sqlite' ? /SCAN u\b(?! USING)/ : /Seq Scan on users|users_pkey/, text);
          assert.doesNotMatch(text, engine === 'sqlite' ? /SCAN (x|e)\b(?! USING)/ : /Seq Scan on user_values/, text);
        }
        const page = await s.listUsers(orgId, { filter: resolved, offset: 0, limit: 100 });
        assert.equal(page.total, 1, 'and the lookup finds exactly the one user');
      });
    }
  });
}
