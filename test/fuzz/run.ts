// npm run fuzz: the seeded fuzz harness over filters, PATCH bodies, resource bodies, query
// parameters, headers and paths, on each engine. Knobs: FUZZ_CASES (per engine, default
// 100,000), FUZZ_SEED (default 1), FUZZ_ENGINES (default sqlite,postgres). Exits 1 on any 5xx,
// hang or 4xx without an RFC 7644 error body; a summary per engine goes to test/fuzz/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Engine } from '../support/engines.js';
import { fuzz } from './fuzz.js';

const cases = Number(process.env.FUZZ_CASES ?? 100_000);
const seed = Number(process.env.FUZZ_SEED ?? 1);
const engines = (process.env.FUZZ_ENGINES ?? 'sqlite,postgres').split(',').map((e) => e.trim()) as Engine[];
if (!Number.isInteger(cases) || cases < 1 || !Number.isInteger(seed)) throw new Error('FUZZ_CASES must be a positive integer and FUZZ_SEED an integer');

const out = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(out, { recursive: true });
let failed = 0;
for (const engine of engines) {
  const started = new Date();
  const report = await fuzz(engine, cases, seed, (done) =>
    process.stderr.write(`\r${engine}: ${done.toLocaleString('en-US')} / ${cases.toLocaleString('en-US')}`),
  );
  process.stderr.write('\n');
  failed += report.failures.length;
  const file = `${out}${started.toISOString().replace(/[:.]/g, '-').slice(0, 19)}Z-${engine}-seed${seed}.json`;
  writeFileSync(
    file,
    JSON.stringify(
      { ...report, failures: report.failures.slice(0, 50), failureCount: report.failures.length, node: process.version, started: started.toISOString() },
      null,
      2,
    ),
  );
  console.log(`${engine}: ${report.cases.toLocaleString('en-US')} cases in ${report.seconds.toFixed(1)} s, seed ${seed}; ${report.failures.length} failing`);
  console.log(
    `  answers: ${Object.entries(report.byStatus)
      .sort()
      .map(([s, n]) => `${s}×${n}`)
      .join(' ')}`,
  );
  console.log(
    `  kinds: ${Object.entries(report.byKind)
      .map(([k, n]) => `${k}×${n}`)
      .join(' ')}`,
  );
  for (const f of report.failures.slice(0, 10))
    console.log(`  #${f.n} ${f.why}: ${f.request.method} ${f.request.url.slice(0, 160)} -> ${f.body.slice(0, 160)}`);
  console.log(`  summary: ${file}`);
}
process.exit(failed > 0 ? 1 : 0);
