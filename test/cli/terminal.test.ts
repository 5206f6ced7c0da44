import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { colourWanted, highlight, working } from '../../src/cli/terminal.js';
import { Directory } from '../../src/service/directory.js';
import { openStore } from '../../src/store/open.js';
import { createDatabase, type TestDatabase } from '../support/engines.js';
import { run } from '../support/serve.js';

const ESC = '\u001b[';

/** Issue 25, "Colour on a terminal (respecting NO_COLOR)". */
describe('colour on a terminal, never in a pipe, and NO_COLOR obeyed', () => {
  test('who gets colour: a terminal; not a pipe, not TERM=dumb; NO_COLOR beats FORCE_COLOR', () => {
    assert.equal(colourWanted({ isTTY: true }, {}), true);
    assert.equal(colourWanted({ isTTY: false }, {}), false);
    assert.equal(colourWanted({ isTTY: true }, { TERM: 'dumb' }), false);
    assert.equal(colourWanted({ isTTY: true }, { NO_COLOR: '1' }), false);
    assert.equal(colourWanted({ isTTY: false }, { FORCE_COLOR: '1' }), true);
    assert.equal(colourWanted({ isTTY: false }, { FORCE_COLOR: '1', NO_COLOR: '1' }), false);
    assert.equal(colourWanted({ isTTY: true }, { NO_COLOR: '' }), true, 'an empty NO_COLOR is unset (no-color.org)');
  });

  test('state words are coloured by what they mean, and nothing else changes', () => {
    assert.equal(highlight(false, 'acme: failing'), 'acme: failing');
    assert.equal(highlight(true, 'acme: failing (Okta)'), `acme: ${ESC}31mfailing${ESC}0m (Okta)`);
    assert.equal(highlight(true, '  okta\tscim\thealthy'), `  okta\tscim\t${ESC}32mhealthy${ESC}0m`);
    assert.equal(highlight(true, 'x\tdegraded'), `x\t${ESC}33mdegraded${ESC}0m`);
    assert.equal(highlight(true, 'the never-connected-ish label'), 'the never-connected-ish label', 'only whole words');
  });

  test('a slow step says it is still working after a second, then clears the line; a fast one and a pipe show nothing', async () => {
    const written: string[] = [];
    let shown: () => void = () => {};
    const terminal = {
      isTTY: true,
      write: (text: string) => {
        written.push(text);
        if (text.includes('1 s')) shown();
        return true;
      },
    } as unknown as NodeJS.WriteStream;
    // The step ends when the line has been shown: waiting on the condition, not on a duration. (The
    // indicator's timer does not hold the process open; a real step's I/O does, this keeps it here.)
    const alive = setInterval(() => {}, 60_000);
    const result = await working('deleting "acme"', () => new Promise<string>((resolve) => (shown = () => resolve('done'))), terminal);
    clearInterval(alive);
    assert.equal(result, 'done');
    assert.ok(
      written.some((w) => /^\r. deleting "acme"… 1 s/.test(w)),
      JSON.stringify(written),
    );
    assert.equal(written[written.length - 1], '\r\u001b[K', 'cleared at the end');
    const fast: string[] = [];
    await working('fast', async () => 1, { isTTY: true, write: (t: string) => fast.push(t) } as unknown as NodeJS.WriteStream);
    assert.deepEqual(fast, []);
    const pipe: string[] = [];
    await working('piped', async () => 1, { isTTY: false, write: (t: string) => pipe.push(t) } as unknown as NodeJS.WriteStream);
    assert.deepEqual(pipe, []);
  });

  describe('the CLI', () => {
    let db: TestDatabase;
    before(async () => {
      db = await createDatabase('sqlite');
      const store = await openStore(db.database);
      await new Directory(store).organizations.create('acme', 'Acme');
      await store.close();
    });
    after(() => db.drop());

    test('org health and errors coloured with FORCE_COLOR; plain in a pipe and with NO_COLOR', async () => {
      const forced = await run(['org', 'health', 'acme', '--database', db.database], { FORCE_COLOR: '1', NO_COLOR: '' });
      assert.match(forced.stdout, new RegExp(`acme: \\u001b\\[33mnever-connected\\u001b\\[0m`));
      const error = await run(['org', 'health', 'nobody', '--database', db.database], { FORCE_COLOR: '1', NO_COLOR: '' });
      assert.match(error.stderr, new RegExp(`^\\u001b\\[31mrollcall:\\u001b\\[0m no organization "nobody"`));
      const piped = await run(['org', 'health', 'acme', '--database', db.database], { FORCE_COLOR: '', NO_COLOR: '' });
      assert.ok(!piped.stdout.includes(ESC), 'a pipe gets plain text');
      const off = await run(['org', 'health', 'acme', '--database', db.database], { FORCE_COLOR: '1', NO_COLOR: '1' });
      assert.ok(!off.stdout.includes(ESC) && !off.stderr.includes(ESC), 'NO_COLOR wins');
      const json = await run(['org', 'health', 'acme', '--json', '--database', db.database], { FORCE_COLOR: '1', NO_COLOR: '' });
      assert.ok(!json.stdout.includes(ESC), 'JSON is never coloured');
    });
  });
});
