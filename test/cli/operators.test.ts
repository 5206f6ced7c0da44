import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exportPKCS8, generateKeyPair } from 'jose';
import type { Command } from 'commander';
import { CLI_ACTIONS, CLI_UNAUDITED, pathOf } from '../../src/cli/audit-cli.js';
import { buildCli } from '../../src/cli/main.js';
import { Directory } from '../../src/service/directory.js';
import { openStore } from '../../src/store/open.js';
import { createDatabase, ENGINES, type TestDatabase } from '../support/engines.js';
import { run, serve } from '../support/serve.js';

const leaves = (c: Command): Command[] => c.commands.flatMap((s) => (s.commands.length ? leaves(s) : [s]));

/** Issue 26 from the command line: operators, break-glass links for a named operator, and the CLI's audit entries. */
describe('every command that changes state writes an audit entry (the command tree, walked)', () => {
  test('each command is audited or declared read-only; a new one in neither fails here', () => {
    const program = buildCli({ out() {}, err() {} });
    const paths = leaves(program).map(pathOf);
    const unknown = paths.filter((p) => !CLI_ACTIONS[p] && !CLI_UNAUDITED.has(p));
    assert.deepEqual(unknown, [], 'commands neither audited nor declared read-only');
    const stale = [...Object.keys(CLI_ACTIONS), ...CLI_UNAUDITED].filter((p) => !paths.includes(p));
    assert.deepEqual(stale, [], 'listed commands that do not exist');
  });
});

for (const engine of ENGINES) {
  describe(`rollcall admin operator, login-link --operator and audit (${engine})`, () => {
    let db: TestDatabase;
    before(async () => {
      db = await createDatabase(engine);
      const store = await openStore(db.database);
      await new Directory(store).organizations.create('acme', 'Acme');
      await store.close();
    });
    after(() => db.drop());
    const d = () => ['--database', db.database];

    test('operators added, listed, re-roled and removed, as text and JSON, each change in the trail with the host user; bad input refused and recorded', async () => {
      const added = await run(['admin', 'operator', 'add', 'Ada@Acme.com', '--role', 'viewer', '--org', 'acme', '--json', ...d()]);
      assert.equal(added.code, 0, added.stderr);
      assert.deepEqual([JSON.parse(added.stdout).email, JSON.parse(added.stdout).role, JSON.parse(added.stdout).orgs], ['Ada@Acme.com', 'viewer', ['acme']]);
      const dup = await run(['admin', 'operator', 'add', 'ada@acme.com', '--role', 'admin', ...d()]);
      assert.equal(dup.code, 1);
      assert.match(dup.stderr, /operator ada@acme\.com already exists/);
      const bad = await run(['admin', 'operator', 'add', 'bob@acme.com', '--role', 'wizard', ...d()]);
      assert.match(bad.stderr, /unknown role "wizard"; roles are: viewer, operator, admin/);
      const nowhere = await run(['admin', 'operator', 'add', 'bob@acme.com', '--role', 'viewer', '--org', 'nowhere', ...d()]);
      assert.match(nowhere.stderr, /no organization "nowhere"/);
      const role = await run(['admin', 'operator', 'set-role', 'ada@acme.com', '--role', 'operator', '--org', '*', '--json', ...d()]);
      assert.deepEqual([JSON.parse(role.stdout).role, JSON.parse(role.stdout).orgs], ['operator', null]);
      const list = await run(['admin', 'operator', 'list', ...d()]);
      assert.match(list.stdout, /^Ada@Acme\.com\toperator\tevery organization\tnever signed in$/m);
      const link = await run(['admin', 'login-link', '--operator', 'ada@acme.com', '--json', ...d()]);
      assert.equal(JSON.parse(link.stdout).operator, 'Ada@Acme.com');
      const none = await run(['admin', 'login-link', '--operator', 'nobody@acme.com', ...d()]);
      assert.match(none.stderr, /no operator nobody@acme\.com/);
      assert.equal((await run(['admin', 'operator', 'remove', 'ada@acme.com', ...d()])).code, 0);

      const trail = (await run(['audit', '--json', ...d()])).stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      for (const e of trail) {
        for (const key of ['at', 'actor', 'via', 'action', 'org', 'target', 'outcome']) assert.ok(key in e, `${key} in every entry`);
        assert.equal(e.via, 'cli');
        assert.match(String(e.actor), /^cli \S+@\S+$/);
      }
      assert.deepEqual(
        trail.map((e) => `${e.action} ${e.outcome}`),
        [
          'operator.add ok',
          'operator.add failed',
          'operator.add failed',
          'operator.add failed',
          'operator.set-role ok',
          'login-link.create ok',
          'login-link.create failed',
          'operator.remove ok',
        ],
      );
      assert.equal(trail[0]!.target, 'Ada@Acme.com --role viewer --org acme');
      assert.equal(trail[5]!.target, '--operator ada@acme.com --expires 15m');
      const text = await run(['audit', '--outcome', 'failed', ...d()]);
      assert.equal(text.stdout.trim().split('\n').length, 4);
      assert.match((await run(['audit', '--since', 'yesterday', ...d()])).stderr, /--since/);
    });

    test('admin oidc set, show and unset: https issuers only (loopback http for development), a secret or a private key, never printed nor in the trail', async () => {
      const secret = 'oidc-client-secret-do-not-print-0123456789';
      const refused = await run(['admin', 'oidc', 'set', '--issuer', 'http://idp.example.com', '--client-id', 'c', '--client-secret', secret, ...d()]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /the issuer must be https \(http only on loopback, for development\)/);
      const set = await run([
        'admin',
        'oidc',
        'set',
        '--issuer',
        'https://acme.okta.com/',
        '--client-id',
        '0oa1',
        '--client-secret',
        secret,
        '--allowed-domains',
        'Acme.com,acme.co.uk',
        '--name',
        'Acme Okta',
        '--public-url',
        'https://scim.example.com',
        ...d(),
      ]);
      assert.equal(set.code, 0, set.stderr);
      assert.match(set.stdout, /^https:\/\/scim\.example\.com\/admin\/oidc\/callback$/m, 'the redirect URI to register, alone on its line');
      const shown = JSON.parse((await run(['admin', 'oidc', 'show', '--json', '--public-url', 'https://scim.example.com', ...d()])).stdout);
      assert.deepEqual(
        [shown.issuer, shown.clientId, shown.authentication, shown.allowedDomains, shown.name, shown.redirectUri],
        ['https://acme.okta.com', '0oa1', 'client_secret_basic', ['acme.com', 'acme.co.uk'], 'Acme Okta', 'https://scim.example.com/admin/oidc/callback'],
      );
      const everything = set.stdout + JSON.stringify(shown) + (await run(['audit', '--json', ...d()])).stdout;
      assert.ok(!everything.includes(secret), 'the client secret is never printed or recorded');
      // A private key instead of the secret (private_key_jwt): its algorithm and kid are shown, never the key.
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      const pem = await exportPKCS8(privateKey);
      const keyFile = join(mkdtempSync(join(tmpdir(), 'rollcall-oidc-')), 'console.pem');
      writeFileSync(keyFile, pem);
      const keyed = await run(['admin', 'oidc', 'set', '--issuer', 'https://acme.okta.com', '--client-id', '0oa2', '--private-key', keyFile, '--json', ...d()]);
      assert.equal(keyed.code, 0, keyed.stderr);
      assert.match(JSON.parse(keyed.stdout).authentication, /^private_key_jwt \(ES256, kid [\w-]{43}\)$/);
      assert.ok(!keyed.stdout.includes(pem.split('\n')[1]!), 'the key is never printed');
      const both = await run([
        'admin',
        'oidc',
        'set',
        '--issuer',
        'https://acme.okta.com',
        '--client-id',
        '0oa2',
        '--private-key',
        keyFile,
        '--client-secret',
        'x',
        ...d(),
      ]);
      assert.match(both.stderr, /give the client secret or the private key, one of them/);
      assert.equal((await run(['admin', 'oidc', 'unset', ...d()])).code, 0);
      assert.match((await run(['admin', 'oidc', 'show', ...d()])).stdout, /not configured/);
    });

    test('admin oidc set with groups: scopes, the groups claim, allowed groups and group roles; an unknown organization or role refused in words', async () => {
      const args = ['admin', 'oidc', 'set', '--issuer', 'https://acme.okta.com', '--client-id', '0oa3', '--client-secret', 'group-test-secret'];
      const unknownOrg = await run([...args, '--group-roles', 'Initech Support=viewer:initech', ...d()]);
      assert.equal(unknownOrg.code, 1);
      assert.match(unknownOrg.stderr, /--group-roles: group "Initech Support" names the organization "initech", which does not exist/);
      const badRole = await run([...args, '--group-roles', 'Admins=root', ...d()]);
      assert.match(badRole.stderr, /the role for group "Admins" is "root"; roles are: viewer, operator, admin/);
      assert.match((await run(['admin', 'oidc', 'show', ...d()])).stdout, /not configured/, 'a refused set stored nothing');
      const set = await run([
        ...args,
        '--scopes',
        'groups',
        '--allowed-groups',
        'Staff,Contractors',
        '--group-roles',
        'Rollcall Admins=admin;Acme Support=viewer:acme',
        ...d(),
      ]);
      assert.equal(set.code, 0, set.stderr);
      assert.match(set.stdout, /members of "Acme Support" sign in as viewer of acme/);
      const shown = JSON.parse((await run(['admin', 'oidc', 'show', '--json', ...d()])).stdout);
      assert.deepEqual(
        [shown.scopes, shown.groupsClaim, shown.allowedGroups, shown.groupRoles],
        [
          ['openid', 'email', 'profile', 'groups'],
          'groups',
          ['Staff', 'Contractors'],
          [
            { group: 'Rollcall Admins', role: 'admin', orgs: null },
            { group: 'Acme Support', role: 'viewer', orgs: ['acme'] },
          ],
        ],
      );
      const text = (await run(['admin', 'oidc', 'show', ...d()])).stdout;
      assert.match(text, /group roles {5}Rollcall Admins=admin\n {16}Acme Support=viewer:acme/);
      assert.equal((await run(['admin', 'oidc', 'unset', ...d()])).code, 0);
    });

    test('the configuration flags offer the sign-in on a real server; a bad issuer or a missing secret stops the start with one line', async () => {
      const node = await serve(db.database, [
        '--console-oidc-issuer',
        'https://acme.okta.com',
        '--console-oidc-client-id',
        '0oa9',
        '--console-oidc-client-secret',
        'from-the-environment-really',
        '--console-oidc-name',
        'Acme Okta',
      ]);
      try {
        const page = await (await fetch(`${new URL(node.url).origin}/admin`)).text();
        assert.match(page, /<a class="button primary" href="\/admin\/oidc\/start">Sign in with Acme Okta<\/a>/);
        assert.ok(!node.output().includes('from-the-environment-really'));
      } finally {
        await node.stop();
      }
      const http = await run([
        'serve',
        '--port',
        '0',
        '--database',
        db.database,
        '--console-oidc-issuer',
        'http://idp.example.com',
        '--console-oidc-client-id',
        'x',
        '--console-oidc-client-secret',
        'y',
      ]);
      assert.equal(http.code, 1);
      assert.match(http.stderr, /the issuer must be https/);
      const none = await run([
        'serve',
        '--port',
        '0',
        '--database',
        db.database,
        '--console-oidc-issuer',
        'https://acme.okta.com',
        '--console-oidc-client-id',
        'x',
      ]);
      assert.match(none.stderr, /give the client secret or the private key, one of them/);
      const mapping = await run([
        'serve',
        '--port',
        '0',
        '--database',
        db.database,
        '--console-oidc-issuer',
        'https://acme.okta.com',
        '--console-oidc-client-id',
        'x',
        '--console-oidc-client-secret',
        'y',
        '--console-oidc-group-roles',
        'Admins',
      ]);
      assert.equal(mapping.code, 1);
      assert.match(mapping.stderr, /"Admins" is not group=role/);
    });

    test("an organization's changes are found by --org, even after it is deleted", async () => {
      assert.equal((await run(['org', 'set', 'acme', 'rateLimit', '40', ...d()])).code, 0);
      assert.equal((await run(['org', 'delete', 'acme', '--yes', ...d()])).code, 0);
      const entries = (await run(['audit', '--org', 'acme', '--json', ...d()])).stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { action: string; target: string | null });
      assert.deepEqual(
        entries.map((e) => [e.action, e.target]),
        [
          ['org.settings', 'rateLimit 40'],
          ['org.delete', null],
        ],
      );
    });
  });
}
