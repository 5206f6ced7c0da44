import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ENGINES } from '../support/engines.js';
import { fuzz } from './fuzz.js';

// A slice of `npm run fuzz` (issue 11): seeded, so a failure names the case that replays it.
const CASES = 2000;
const SEED = 20261201;

describe('fuzzing: no 5xx, no hang, every 4xx an RFC 7644 error body', () => {
  for (const engine of ENGINES) {
    test(`${CASES} cases on ${engine} (seed ${SEED})`, { timeout: 300_000 }, async () => {
      const report = await fuzz(engine, CASES, SEED);
      const shown = report.failures
        .slice(0, 5)
        .map(
          (f) =>
            `#${f.n} ${f.why}: ${f.request.method} ${f.request.url.slice(0, 200)} ${String(f.request.payload ?? '').slice(0, 200)} -> ${f.body.slice(0, 200)}`,
        );
      assert.deepEqual(shown, [], `${report.failures.length} failing cases`);
      assert.equal(
        Object.values(report.byStatus).reduce((a, b) => a + b, 0),
        CASES,
      );
      assert.ok((report.byStatus['200'] ?? 0) > 0 && (report.byStatus['400'] ?? 0) > 0, `a mix of answers: ${JSON.stringify(report.byStatus)}`);
    });
  }
});
