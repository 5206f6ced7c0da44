import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, writeFileSync, copyFileSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { eventually, run, scim, serve, start } from '../support/serve.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

/**
 * Issue 28 §3: `rollcall backup` copies a SQLite deployment while it serves, consistently, and a
 * backup killed midway leaves nothing that looks like one; `rollcall restore` checks a file before
 * it becomes a database. Real processes on real files.
 */
describe('rollcall backup and restore (SQLite)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-backup-'));

  test('a backup under write load holds every write acknowledged before it began; restored, it serves them with the same token', async () => {
    const db = join(dir, 'live.db');
    assert.equal((await run(['org', 'create', 'acme', '--database', db])).code, 0);
    const token = (JSON.parse((await run(['token', 'issue', 'acme', '--json', '--database', db])).stdout) as { token: string }).token;
    await run(['org', 'set', 'acme', 'rateLimit', '0', '--database', db]);
    const node = await serve(db);
    const acknowledged: string[] = [];
    let writing = true;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; writing && i < 10_000; i++) {
        const userName = `w${w}-${i}@x.test`;
        const r = await scim(node, token, 'POST', '/Users', { schemas: [USER], userName });
        if (r.status === 201) acknowledged.push(userName);
      }
    });
    try {
      await eventually(async () => acknowledged.length >= 40, '40 acknowledged writes');
      const before = [...acknowledged];
      const backup = join(dir, 'live.backup.db');
      const r = await run(['backup', '--to', backup, '--database', db, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const facts = JSON.parse(r.stdout) as { users: number; integrity: string; migration: string };
      assert.equal(facts.integrity, 'ok');
      assert.ok(facts.users >= before.length, `${facts.users} users in the backup, ${before.length} acknowledged before it`);
      writing = false;
      await Promise.all(writers);
      const restored = join(dir, 'restored.db');
      const back = await run(['restore', '--from', backup, '--to', restored, '--json']);
      assert.equal(back.code, 0, back.stderr);
      const copy = await serve(restored);
      try {
        for (const userName of before) {
          const found = await scim(copy, token, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
          assert.equal(found.body.totalResults, 1, `${userName}, acknowledged before the backup, is in it`);
        }
      } finally {
        await copy.stop();
      }
    } finally {
      writing = false;
      await Promise.all(writers);
      await node.stop();
    }
  });

  test('a backup killed midway leaves no backup file (only its partial, which restore refuses), or a complete one; never a partial one under the name', async () => {
    const db = join(dir, 'big.db');
    assert.equal((await run(['org', 'create', 'big', '--database', db])).code, 0);
    // Enough rows that the copy takes a moment: 20,000 users, through the product (a /Bulk of 1,000 at a time).
    const token = (JSON.parse((await run(['token', 'issue', 'big', '--json', '--database', db])).stdout) as { token: string }).token;
    await run(['org', 'set', 'big', 'rateLimit', '0', '--database', db]);
    const node = await serve(db);
    try {
      for (let b = 0; b < 20; b++) {
        const Operations = Array.from({ length: 1000 }, (_, i) => ({
          method: 'POST',
          path: '/Users',
          data: { schemas: [USER], userName: `u${b}-${i}@x.test`, displayName: 'x'.repeat(200) },
        }));
        const r = await scim(node, token, 'POST', '/Bulk', { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations });
        assert.equal(r.status, 200);
      }
    } finally {
      await node.stop();
    }
    const target = join(dir, 'big.backup.db');
    const child = start(['backup', '--to', target, '--database', db]);
    // Kill it as soon as its partial file appears (or it ends first: then the backup must be whole).
    await eventually(
      async () => readdirSync(dir).some((f) => f.startsWith('.big.backup.db.partial')) || child.child.exitCode !== null,
      'the backup to start writing',
    );
    child.child.kill('SIGKILL');
    await child.exited;
    if (existsSync(target)) {
      const check = await run(['restore', '--from', target, '--to', join(dir, 'check.db'), '--json']);
      assert.equal(check.code, 0, `a backup under its name is complete: ${check.stderr}`);
    } else {
      const partial = readdirSync(dir).find((f) => f.startsWith('.big.backup.db.partial'));
      if (partial) {
        const refused = await run(['restore', '--from', join(dir, partial), '--to', join(dir, 'from-partial.db')]);
        assert.notEqual(refused.code, 0, 'a partial copy is refused');
        assert.ok(!existsSync(join(dir, 'from-partial.db')), 'and nothing is created from it');
      }
    }
    // And the next backup works.
    const again = await run(['backup', '--to', join(dir, 'big.again.db'), '--database', db, '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as { users: number }).users, 20_000);
  });

  test('restore refuses, in words, what is not a whole Rollcall database of a version it knows; and an existing database without --force', async () => {
    const db = join(dir, 'small.db');
    await run(['org', 'create', 'small', '--database', db]);
    const good = join(dir, 'small.backup.db');
    assert.equal((await run(['backup', '--to', good, '--database', db])).code, 0);
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'not a database at all');
    assert.match((await run(['restore', '--from', junk, '--to', join(dir, 'x1.db')])).stderr, /is not a usable SQLite database/);
    const cut = join(dir, 'cut.db');
    copyFileSync(good, cut);
    truncateSync(cut, Math.floor(statSync(good).size / 2));
    const truncated = await run(['restore', '--from', cut, '--to', join(dir, 'x2.db')]);
    assert.notEqual(truncated.code, 0);
    assert.match(truncated.stderr, /integrity check|not a usable SQLite database|cannot be opened/);
    const { default: Database } = await import('better-sqlite3');
    const newer = join(dir, 'newer.db');
    copyFileSync(good, newer);
    const n = new Database(newer);
    n.prepare('insert into rollcall_migrations (name, timestamp) values (?, ?)').run('999-from-the-future', new Date().toISOString());
    n.close();
    assert.match(
      (await run(['restore', '--from', newer, '--to', join(dir, 'x3.db')])).stderr,
      /made by a newer Rollcall: it has migration 999-from-the-future/,
    );
    const foreign = join(dir, 'foreign.db');
    const f = new Database(foreign);
    f.exec('create table t (x)');
    f.close();
    assert.match((await run(['restore', '--from', foreign, '--to', join(dir, 'x4.db')])).stderr, /not Rollcall's/);
    for (const x of ['x1.db', 'x2.db', 'x3.db', 'x4.db']) assert.ok(!existsSync(join(dir, x)), `${x} not created`);
    assert.match((await run(['restore', '--from', good, '--to', db])).stderr, /exists: choose another file, or add --force/);
    assert.match((await run(['backup', '--to', 'x.db', '--database', 'postgres://u@127.0.0.1/db'])).stderr, /for PostgreSQL use pg_dump/);
  });
});
