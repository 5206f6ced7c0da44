import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createDatabase, ENGINES, type TestDatabase } from '../support/engines.js';
import { run } from '../support/serve.js';

const BIN = fileURLToPath(new URL('../../bin/rollcall.js', import.meta.url));
const URN = 'urn:zulip:params:scim:schemas:extension:zulip:2.0:User';
const declaration = {
  id: URN,
  name: 'ZulipUser',
  description: 'Zulip custom profile fields',
  attributes: [
    { name: 'pronouns', type: 'string' },
    { name: 'role', type: 'string', canonicalValues: ['owner', 'member'] },
    { name: 'team', type: 'complex', subAttributes: [{ name: 'name' }, { name: 'lead', type: 'boolean' }] },
  ],
};

/** The binary with a declaration on stdin. */
function runWithInput(args: string[], input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

for (const engine of ENGINES) {
  describe(`rollcall schema on ${engine}`, () => {
    let db: TestDatabase;
    let d: string[];
    const file = join(tmpdir(), `rollcall-schema-${process.pid}-${engine}.json`);
    before(async () => {
      db = await createDatabase(engine);
      d = ['--database', db.database];
      assert.equal((await run(['org', 'create', 'acme', ...d])).code, 0);
      writeFileSync(file, JSON.stringify(declaration));
    });
    after(() => db.drop());

    test('add, list, show and remove an extension, with --json and one-line errors', async () => {
      const added = await run(['schema', 'add', 'acme', file, ...d]);
      assert.equal(added.code, 0, added.stderr);
      assert.equal(added.stdout.trim(), `added extension ${URN} to Users of "acme": 3 attributes`);

      const list = await run(['schema', 'list', 'acme', '--json', ...d]);
      const listed = JSON.parse(list.stdout);
      assert.equal(listed.length, 1);
      assert.equal(listed[0].id, URN);
      assert.equal(listed[0].resource, 'User');
      assert.equal(listed[0].required, false);
      assert.equal(listed[0].attributes[0].mutability, 'readWrite', 'every characteristic is filled in');
      assert.match((await run(['schema', 'list', 'acme', ...d])).stdout, new RegExp(`^${URN}\\tUser\\toptional\\t3 attributes\\tZulipUser`));

      const show = await run(['schema', 'show', 'acme', URN.toUpperCase(), ...d]);
      assert.equal(show.code, 0, show.stderr);
      assert.match(show.stdout, /role\tstring\tone of owner, member/);
      assert.match(show.stdout, /  team\tcomplex\n    name\tstring\n    lead\tboolean/);

      const shown = await run(['org', 'show', 'acme', ...d]);
      assert.match(shown.stdout, new RegExp(`extensions: ${URN} \\(User\\)`));

      const bad = await runWithInput(
        ['schema', 'add', 'acme', '-', ...d],
        JSON.stringify({ ...declaration, id: 'urn:acme:x', attributes: [{ name: 'n', type: 'number' }] }),
      );
      assert.equal(bad.code, 1);
      assert.equal(bad.stderr.trim().split('\n').length, 1, 'one line on stderr');
      assert.match(bad.stderr, /^rollcall: attribute "n": unknown type "number"/);

      const notJson = await runWithInput(['schema', 'add', 'acme', '-', ...d], '{ nope');
      assert.equal(notJson.code, 1);
      assert.match(notJson.stderr, /cannot read stdin as JSON/);

      const group = await runWithInput(
        ['schema', 'add', 'acme', '-', '--resource', 'Group', '--required', '--json', ...d],
        JSON.stringify({ id: 'urn:acme:params:scim:schemas:extension:acme:2.0:Group', name: 'AcmeGroup', attributes: [{ name: 'channel' }] }),
      );
      assert.equal(group.code, 0, group.stderr);
      assert.equal(JSON.parse(group.stdout).resource, 'Group');
      assert.equal(JSON.parse(group.stdout).required, true);

      const removed = await run(['schema', 'remove', 'acme', URN, ...d]);
      assert.equal(removed.code, 0, removed.stderr);
      assert.equal(removed.stdout.trim(), `removed extension ${URN} from "acme"; its values were deleted from 0 stored users`);
      const again = await run(['schema', 'show', 'acme', URN, ...d]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /has no extension/);
      assert.equal(JSON.parse((await run(['schema', 'list', 'acme', '--json', ...d])).stdout).length, 1);
    });
  });
}
