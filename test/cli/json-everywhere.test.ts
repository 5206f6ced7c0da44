import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Command } from 'commander';
import { buildCli, howToRun } from '../../src/cli/main.js';

/** Issue 25: every command that prints has --json (the docs say so; scripts rely on it). */
test('every command that prints has --json (serve and worker run, they do not print a result)', () => {
  const program = buildCli({ out: () => {}, err: () => {} });
  const missing: string[] = [];
  const walk = (c: Command, path: string[]) => {
    for (const sub of c.commands) {
      const p = [...path, sub.name()];
      if (sub.commands.length) walk(sub, p);
      else if (!['serve', 'worker'].includes(p.join(' ')) && !sub.options.some((o) => o.long === '--json')) missing.push(p.join(' '));
    }
  };
  walk(program, []);
  assert.deepEqual(missing, []);
});

test('the command people are told to type is one that works where the server was started from', () => {
  assert.equal(howToRun('/home/me/rollcall/bin/rollcall.js', '/home/me/rollcall'), 'node bin/rollcall.js');
  assert.equal(howToRun('/srv/app/node_modules/.bin/rollcall', '/srv/app'), 'npx rollcall');
  assert.equal(howToRun('/srv/app/node_modules/rollcall/bin/rollcall.js', '/srv/app'), 'npx rollcall');
  assert.equal(howToRun('/usr/local/bin/rollcall', '/tmp'), 'rollcall');
  assert.equal(howToRun('/elsewhere/rollcall/bin/rollcall.js', '/tmp'), 'node /elsewhere/rollcall/bin/rollcall.js');
});
