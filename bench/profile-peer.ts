/**
 * `rollcall check --profile` against a peer (issue 27): the SCIM interoperability profile's and
 * IPSIE SCIM AL1's checks run against SCIMMY (the bench's in-memory peer, bench/peers), and
 * against Rollcall in its compatible mode and in each profile, side by side. Writes
 * bench/results/<time>-profiles.json and prints the table docs/profiles.md records.
 *
 *   cd bench && node --import tsx profile-peer.ts
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { buildApp, wire } from '../src/app.js';
import { runChecks, type CheckReport } from '../src/check/framework.js';
import { PROFILE_SUITES } from '../src/check/profiles.js';
import { openStore } from '../src/store/open.js';
import { Directory } from '../src/service/directory.js';
import { PEER_NAME } from './groups.js';
import { startScimmyPeer } from './peers/scimmy-server.js';

const suites = [PROFILE_SUITES.interop, PROFILE_SUITES['ipsie-al1']];
const runs: { target: string; report: CheckReport }[] = [];

const peer = await startScimmyPeer();
try {
  const token = peer.headers.authorization!.replace(/^Bearer /, '');
  runs.push({ target: PEER_NAME, report: await runChecks({ baseUrl: `${peer.origin}${peer.prefix}`, token, suites }) });
} finally {
  await peer.close();
}

const store = await openStore(join(mkdtempSync(join(tmpdir(), 'rollcall-profiles-')), 'p.db'));
const app = await buildApp({ store, wiring: wire({ store }) });
await app.listen({ host: '127.0.0.1', port: 0 });
try {
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/scim/v2`;
  const directory = new Directory(store);
  for (const profile of ['compatible', 'interop', 'ipsie-al1'] as const) {
    await directory.organizations.create(profile, undefined, { profile, rateLimit: 0 });
    const { token } = await directory.organizations.issueToken(profile);
    runs.push({ target: `Rollcall, profile ${profile}`, report: await runChecks({ baseUrl: base, token, suites }) });
  }
} finally {
  await app.close();
  await store.close();
}

const ids = [...new Set(runs.flatMap((r) => r.report.results.map((x) => x.id)))];
const mark = { pass: 'pass', fail: '**fail**', skip: 'skip' } as const;
const lines = [
  `| check | level | ${runs.map((r) => r.target).join(' | ')} |`,
  `| --- | --- | ${runs.map(() => '---').join(' | ')} |`,
  ...ids.map((id) => {
    const any = runs.flatMap((r) => r.report.results).find((x) => x.id === id)!;
    return `| \`${id}\` | ${any.level ?? ''} | ${runs.map((r) => mark[r.report.results.find((x) => x.id === id)?.outcome ?? 'skip']).join(' | ')} |`;
  }),
];
console.log(lines.join('\n'));
for (const r of runs) {
  const failed = r.report.results.filter((x) => x.outcome === 'fail');
  if (failed.length) console.log(`\n${r.target}:\n${failed.map((f) => `- ${f.id}: ${f.detail}`).join('\n')}`);
}
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
const file = new URL(`./results/${new Date().toISOString().replace(/:/g, '-').slice(0, 19)}Z-profiles.json`, import.meta.url);
writeFileSync(
  file,
  JSON.stringify(
    runs.map((r) => ({ target: r.target, results: r.report.results.map(({ exchange: _e, ...x }) => x) })),
    null,
    2,
  ),
);
console.log(`\nraw: ${file.pathname}`);
