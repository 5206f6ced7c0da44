import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Directory } from '../../src/service/directory.js';
import type { RequestContext } from '../../src/service/context.js';
import { openStore } from '../../src/store/open.js';
import { createDatabase, ENGINES, type TestDatabase } from '../support/engines.js';
import { run } from '../support/serve.js';

/** Issue 25: "what does Rollcall hold for jane@acme?" answered from the command line. */
for (const engine of ENGINES) {
  describe(`rollcall user show and group show (${engine})`, () => {
    let db: TestDatabase;
    let userId = '';
    before(async () => {
      db = await createDatabase(engine);
      const store = await openStore(db.database);
      const d = new Directory(store);
      const org = await d.organizations.create('acme', 'Acme');
      const ctx: RequestContext = {
        org: { id: org.id, slug: org.slug, name: org.name, settings: org.settings, schema: org.schema },
        baseUrl: 'https://scim.example.com/o/acme/scim/v2',
      };
      const user = await d.users.create(ctx, {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'jane@acme.com',
        displayName: 'Jane Doe',
        emails: [{ value: 'jane@acme.com', type: 'work', primary: true }],
      });
      userId = user.id;
      await d.groups.create(
        ctx,
        { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Engineering', members: [{ value: user.id }] },
        { members: true },
      );
      await store.close();
    });
    after(() => db.drop());
    const d = () => ['--database', db.database];

    test('by userName or id, in words and as JSON; by group name; a clear error for nobody', async () => {
      const text = await run(['user', 'show', 'acme', 'jane@acme.com', ...d()]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^jane@acme\.com\tactive\tid /m);
      assert.match(text.stdout, /groups {7}Engineering/);
      assert.match(text.stdout, /emails {7}jane@acme\.com \(work, primary\)/);
      const json = JSON.parse((await run(['user', 'show', 'acme', userId, '--json', '--public-url', 'https://scim.example.com', ...d()])).stdout);
      assert.equal(json.userName, 'jane@acme.com');
      assert.equal(json.meta.location, `https://scim.example.com/o/acme/scim/v2/Users/${userId}`);
      const group = await run(['group', 'show', 'acme', 'Engineering', ...d()]);
      assert.match(group.stdout, /members {6}1: Jane Doe|members {6}1: jane@acme\.com/);
      const none = await run(['user', 'show', 'acme', 'nobody@acme.com', ...d()]);
      assert.equal(none.code, 1);
      assert.match(none.stderr, /no user "nobody@acme\.com" in "acme" \(by id or userName\)/);
    });
  });
}
