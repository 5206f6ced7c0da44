import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createDatabase, ENGINES, type TestDatabase } from '../support/engines.js';
import { run } from '../support/serve.js';

for (const engine of ENGINES) {
  describe(`rollcall role and rollcall entitlement on ${engine}`, () => {
    let db: TestDatabase;
    let d: string[];
    before(async () => {
      db = await createDatabase(engine);
      d = ['--database', db.database];
      assert.equal((await run(['org', 'create', 'acme', ...d])).code, 0);
    });
    after(() => db.drop());

    test('role add, list and remove, with --json and one-line errors', async () => {
      const empty = await run(['role', 'list', 'acme', ...d]);
      assert.equal(empty.stdout.trim(), 'no roles declared: users\' "roles" may hold any value');
      const added = await run(['role', 'add', 'acme', 'admin', '--display', 'Administrator', ...d]);
      assert.equal(added.code, 0, added.stderr);
      assert.equal(added.stdout.trim(), 'added role "admin" to "acme" (Administrator)');
      assert.equal((await run(['role', 'add', 'acme', 'member', ...d])).code, 0);
      assert.equal((await run(['role', 'list', 'acme', ...d])).stdout, 'admin\tAdministrator\nmember\n');
      const json = JSON.parse((await run(['role', 'list', 'acme', '--json', ...d])).stdout);
      assert.deepEqual(
        json.map((r: { value: string; display: string | null; type: string | null }) => [r.value, r.display, r.type]),
        [
          ['admin', 'Administrator', null],
          ['member', null, null],
        ],
      );

      const dup = await run(['role', 'add', 'acme', 'ADMIN', ...d]);
      assert.equal(dup.code, 1);
      assert.equal(dup.stderr.trim().split('\n').length, 1, 'one line on stderr');
      assert.match(dup.stderr, /^rollcall: organization "acme" already declares that value/);
      assert.match((await run(['role', 'add', 'nobody', 'x', ...d])).stderr, /no organization "nobody"/);
      // --type belongs to entitlements.
      assert.notEqual((await run(['role', 'add', 'acme', 'x', '--type', 'License', ...d])).code, 0);

      const removed = await run(['role', 'remove', 'acme', 'Admin', ...d]);
      assert.equal(removed.code, 0, removed.stderr);
      assert.equal(removed.stdout.trim(), 'removed role "admin" from "acme"');
      const again = await run(['role', 'remove', 'acme', 'admin', ...d]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /declares no role "admin"/);
    });

    test('entitlement add with --type, list, remove; the roles setting writes the roles', async () => {
      const added = await run(['entitlement', 'add', 'acme', 'license.pro', '--display', 'Pro license', '--type', 'License', '--json', ...d]);
      assert.equal(added.code, 0, added.stderr);
      assert.deepEqual(
        { ...JSON.parse(added.stdout), created: undefined },
        { value: 'license.pro', display: 'Pro license', type: 'License', created: undefined },
      );
      assert.equal((await run(['entitlement', 'list', 'acme', ...d])).stdout, 'license.pro\tPro license\tLicense\n');
      assert.equal((await run(['entitlement', 'remove', 'acme', 'license.pro', ...d])).code, 0);
      assert.equal((await run(['entitlement', 'list', 'acme', '--json', ...d])).stdout.trim(), '[]');

      const set = await run(['org', 'set', 'acme', 'roles', 'owner,guest', ...d]);
      assert.equal(set.code, 0, set.stderr);
      assert.equal((await run(['role', 'list', 'acme', ...d])).stdout, 'owner\nguest\n', 'exactly the roles set');
    });

    test('role map, mappings, of and unmap', async () => {
      const map = await run(['role', 'map', 'acme', 'owner', '--group', 'Zulip Admins', ...d]);
      assert.equal(map.code, 0, map.stderr);
      assert.equal(map.stdout.trim(), 'role "owner" is granted to the members of groups with displayName "Zulip Admins" in "acme"');
      assert.equal((await run(['role', 'map', 'acme', 'guest', '--group-external-id', '00g-guests', ...d])).code, 0);
      assert.equal((await run(['role', 'mappings', 'acme', ...d])).stdout, 'owner\tdisplayName\tZulip Admins\nguest\texternalId\t00g-guests\n');
      const both = await run(['role', 'map', 'acme', 'owner', '--group', 'x', '--group-external-id', 'y', ...d]);
      assert.equal(both.code, 1);
      assert.match(both.stderr, /exactly one of --group <displayName> and --group-external-id <id>/);
      assert.match((await run(['role', 'map', 'acme', 'emperor', '--group', 'x', ...d])).stderr, /declares no role "emperor"/);
      const of = await run(['role', 'of', 'acme', 'no-such-user', ...d]);
      assert.equal(of.code, 1);
      assert.match(of.stderr, /has no user "no-such-user"/);
      const unmap = await run(['role', 'unmap', 'acme', 'owner', '--group', 'zulip admins', '--json', ...d]);
      assert.equal(unmap.code, 0, unmap.stderr);
      assert.equal(JSON.parse(unmap.stdout).value, 'Zulip Admins');
      assert.equal((await run(['role', 'mappings', 'acme', '--role', 'owner', ...d])).stdout.trim(), 'no group grants a role');
    });
  });
}
