import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pg from 'pg';
import { createRollcall } from '../../src/index.js';
import { createDatabase, ENGINES } from '../support/engines.js';

// An application that embeds Rollcall keeps its own pg behaviour: Rollcall parses int8 as a
// number on its own pool only.
describe('importing and opening Rollcall changes nothing process-wide', () => {
  test('pg still parses int8 as text for everyone else', () => {
    assert.equal(pg.types.getTypeParser(20, 'text')('9007199254740993'), '9007199254740993');
  });

  for (const engine of ENGINES.filter((e) => e === 'postgres')) {
    test(`${engine}: Rollcall's own pool reads sequence numbers as numbers, the global parser is untouched`, async () => {
      const db = await createDatabase(engine);
      const rollcall = await createRollcall({ database: db.database });
      try {
        await rollcall.directory.organizations.create('acme');
        await rollcall.directory.organizations.issueToken('acme', 'x');
        const [event] = await rollcall.events('acme', 0);
        assert.equal(typeof event!.seq, 'number');
        const client = new pg.Client(db.database);
        await client.connect();
        const { rows } = await client.query<{ n: unknown }>('select 9007199254740993::int8 as n');
        await client.end();
        assert.equal(rows[0]!.n, '9007199254740993');
      } finally {
        await rollcall.close();
        await db.drop();
      }
    });
  }
});
