import assert from 'node:assert/strict';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Directory } from '../../src/service/directory.js';
import { openStore } from '../../src/store/open.js';
import { createDatabase, ENGINES, type TestDatabase } from '../support/engines.js';
import { run, serve, until } from '../support/serve.js';

const dir = mkdtempSync(join(tmpdir(), 'rollcall-brand-'));
const LOGO = join(dir, 'logo.svg');
writeFileSync(LOGO, '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>');
const NOT_A_LOGO = join(dir, 'logo.png');
writeFileSync(NOT_A_LOGO, 'GIF89a not a png');

/** Issue 25, branding "set once, in the configuration file, settings or the console": the CLI and the file. */
for (const engine of ENGINES) {
  describe(`rollcall branding, and the configuration file's brand (${engine})`, () => {
    let db: TestDatabase;
    before(async () => {
      db = await createDatabase(engine);
      const store = await openStore(db.database);
      const d = new Directory(store);
      await d.organizations.create('acme', 'Acme');
      await store.close();
    });
    after(() => db.drop());
    const d = () => ['--database', db.database];

    test('set, show and unset, in words and as JSON; a bad value sets nothing and names the limit', async () => {
      const none = JSON.parse((await run(['branding', 'show', '--json', ...d()])).stdout);
      assert.deepEqual(none, { productName: null, accent: null, logo: null });
      const set = await run(['branding', 'set', '--name', 'Acme HR', '--accent', '#4F46E5', '--logo', LOGO, '--json', ...d()]);
      assert.equal(set.code, 0, set.stderr);
      assert.deepEqual(JSON.parse(set.stdout), { productName: 'Acme HR', accent: '#4f46e5', logo: { type: 'image/svg+xml', bytes: statSync(LOGO).size } });
      const text = await run(['branding', 'show', ...d()]);
      assert.match(text.stdout, /^product name {2}Acme HR$/m);
      assert.match(text.stdout, /^logo {10}image\/svg\+xml, \d+ bytes$/m);
      for (const [args, error] of [
        [['--accent', 'indigo'], /the accent colour must be #rrggbb/],
        [['--logo', NOT_A_LOGO], /the logo must be a PNG, JPEG, WebP or SVG image/],
        [['--name', 'x'.repeat(61)], /longer than 60 characters/],
        [[], /nothing to set/],
      ] as const) {
        const r = await run(
          ['branding', 'set', '--name', 'Changed', ...args, ...d()].filter((a, i, all) => !(args.length === 0 && (a === '--name' || all[i - 1] === '--name'))),
        );
        assert.equal(r.code, 1, r.stdout);
        assert.match(r.stderr, error);
      }
      assert.equal(JSON.parse((await run(['branding', 'show', '--json', ...d()])).stdout).productName, 'Acme HR', 'nothing was set');
      const unset = JSON.parse((await run(['branding', 'unset', '--accent', '--json', ...d()])).stdout);
      assert.deepEqual([unset.productName, unset.accent], ['Acme HR', null]);
      assert.deepEqual(JSON.parse((await run(['branding', 'unset', '--json', ...d()])).stdout), { productName: null, accent: null, logo: null });
    });

    test('the configuration flags brand the setup pages of a real server; what is stored comes first; a bad logo stops the start with one line', async () => {
      const node = await serve(db.database, ['--brand-name', 'Globex Provisioning', '--brand-accent', '#0f766e', '--brand-logo', LOGO]);
      try {
        const origin = new URL(node.url).origin;
        const store = await openStore(db.database);
        const { secret } = await new Directory(store).access.createSetupLink('acme');
        await store.close();
        const start = await (await fetch(`${origin}/setup/${secret}`)).text();
        assert.match(start, /<title>Connect your identity provider · Globex Provisioning<\/title>/);
        assert.match(start, /<img src="\/setup\/assets\/logo\?v=[\w-]+" alt="" class="logo">Globex Provisioning/);
        assert.doesNotMatch(start, /Rollcall/);
        assert.match(await (await fetch(`${origin}/setup/assets/brand.css`)).text(), /--accent: #0f766e/);
        assert.equal((await run(['branding', 'set', '--name', 'Acme HR', ...d()])).code, 0);
        // Every node reads the stored branding at most every 5 seconds: wait for this one to see it.
        await until(
          async () => /<title>Connect your identity provider · Acme HR<\/title>/.test(await (await fetch(`${origin}/setup/${secret}`)).text()),
          15_000,
          'the stored name to come first on a running server',
        );
        await run(['branding', 'unset', ...d()]);
      } finally {
        await node.stop();
      }
      const bad = await run(['serve', '--port', '0', '--database', db.database, '--brand-logo', NOT_A_LOGO]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /the logo must be a PNG, JPEG, WebP or SVG image/);
      const accent = await run(['serve', '--port', '0', '--database', db.database, '--brand-accent', 'teal']);
      assert.equal(accent.code, 1);
      assert.match(accent.stderr, /invalid --brand-accent "teal" \(#rrggbb\)/);
    });
  });
}
