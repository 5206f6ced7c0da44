import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runChecks, type CheckReport } from '../../src/check/framework.js';
import { SUITES } from '../../src/check/suites.js';
import { PROFILE_SUITES } from '../../src/check/profiles.js';
import { ENGINES } from '../support/engines.js';
import { Harness } from '../support/harness.js';
import { BrokenServer, type Defect } from './broken-server.js';
import { run as cli } from '../support/serve.js';

const ALL = [SUITES.okta, SUITES.entra, SUITES.generic];
const failed = (r: CheckReport) => r.results.filter((x) => x.outcome === 'fail').map((x) => x.id);
/** No check failed; the failures, with their exchanges, are the message when one did. */
const noFailures = (r: CheckReport) =>
  assert.deepEqual(
    failed(r),
    [],
    JSON.stringify(
      r.results.filter((x) => x.outcome === 'fail'),
      null,
      2,
    ).slice(0, 4000),
  );

for (const engine of ENGINES) {
  describe(`rollcall check against Rollcall on ${engine}`, () => {
    let h: Harness;
    let base: string;
    before(async () => {
      h = await Harness.start(engine, { provisioningLog: false });
      await h.app.listen({ host: '127.0.0.1', port: 0 });
      base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}/scim/v2`;
    });
    after(() => h.close());

    test('every check of every suite passes, none is skipped, and nothing is left behind', async () => {
      const org = await h.org('checked', { rateLimit: 0 });
      const report = await runChecks({ baseUrl: base, token: org.token, suites: ALL });
      noFailures(report);
      assert.deepEqual(
        report.results.filter((r) => r.outcome === 'skip').map((r) => r.id),
        [],
      );
      assert.ok(report.results.length >= 40, `${report.results.length} checks`);
      assert.deepEqual(report.leftBehind, []);
      for (const kind of ['Users', 'Groups']) {
        const left = await h.request('GET', `/${kind}?filter=${encodeURIComponent(`${kind === 'Users' ? 'userName' : 'displayName'} sw "${report.run}"`)}`, {
          org,
        });
        assert.equal(left.body.totalResults, 0, `no ${kind} of the run remain`);
      }
    });

    /**
     * Rollcall behind a proxy that alters answers, standing in for a server with one defect or
     * one dialect: `alter` gets the request's method and URL and the answer's JSON, and returns it changed.
     */
    const behind = async (alter: (method: string, url: URL, body: any) => any): Promise<{ base: string; close: () => Promise<void> }> => {
      const { createServer } = await import('node:http');
      const target = new URL(base).origin;
      const server = createServer((req, res) => {
        let raw = '';
        req.on('data', (d) => (raw += d));
        req.on('end', async () => {
          const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k))) as Record<
            string,
            string
          >;
          const answer = await fetch(`${target}${req.url}`, { method: req.method!, headers, ...(raw ? { body: raw } : {}) });
          const text = await answer.text();
          const url = new URL(req.url!, target);
          const out = text && answer.headers.get('content-type')?.includes('json') ? JSON.stringify(alter(req.method!, url, JSON.parse(text))) : text;
          res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/scim+json' }).end(out);
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return {
        base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/scim/v2`,
        close: () => new Promise<void>((r) => server.close(() => r())),
      };
    };

    test('one check per filter rule: a server that breaks only "not" fails generic.filter-not alone, and the others pass', async () => {
      const org = await h.org('filter-rules', { rateLimit: 0 });
      const proxy = await behind((method, url, body) =>
        method === 'GET' && /\bnot \(/.test(url.searchParams.get('filter') ?? '') ? { ...body, totalResults: 0, itemsPerPage: 0, Resources: [] } : body,
      );
      try {
        const report = await runChecks({ baseUrl: proxy.base, token: org.token, suites: [SUITES.generic], only: '/^generic\\.filter-/' });
        assert.deepEqual(failed(report), ['generic.filter-not']);
        assert.equal(report.results.filter((r) => r.outcome === 'pass').length, 7);
        assert.match(report.results.find((r) => r.id === 'generic.filter-not')!.detail!, /^not \(title pr\): exactly one user \(b\), got 0$/);
      } finally {
        await proxy.close();
      }
    });

    test('a /Bulk answered with relative locations, or none: the check passes on the answer, and what the Bulk made is deleted (SCIMMY answers relative ones)', async () => {
      const org = await h.org('bulk-relative', { rateLimit: 0 });
      for (const form of ['relative', 'none'] as const) {
        const proxy = await behind((method, url, body) => {
          if (method !== 'POST' || !url.pathname.endsWith('/Bulk')) return body;
          for (const op of body.Operations ?? []) {
            if (form === 'none') delete op.location;
            else op.location = new URL(op.location).pathname.replace(/^.*(\/(Users|Groups)\/)/, '$1');
          }
          return body;
        });
        try {
          const report = await runChecks({ baseUrl: proxy.base, token: org.token, suites: [SUITES.generic], only: 'generic.bulk' });
          assert.deepEqual(
            report.results.map((r) => [r.id, r.outcome, r.detail]),
            [['generic.bulk', 'pass', undefined]],
            form,
          );
          assert.deepEqual(report.leftBehind, []);
          for (const [kind, attr] of [
            ['Users', 'userName'],
            ['Groups', 'displayName'],
          ] as const) {
            const left = await h.request('GET', `/${kind}?filter=${encodeURIComponent(`${attr} sw "${report.run}"`)}`, { org });
            assert.equal(left.body.totalResults, 0, `${form}: no ${kind} of the run remain`);
          }
        } finally {
          await proxy.close();
        }
      }
    });

    test('--profile interop: an interop organization passes every MUST; a compatible one departs exactly where the profile is stricter', async () => {
      const strict = await h.org('profile-interop', { rateLimit: 0, profile: 'interop' });
      const report = await runChecks({ baseUrl: base, token: strict.token, suites: [PROFILE_SUITES.interop] });
      noFailures(report);
      assert.ok(report.results.every((r) => r.level === 'MUST' && r.outcome === 'pass'));
      assert.deepEqual(report.leftBehind, []);
      const tolerant = await h.org('profile-compatible', { rateLimit: 0 });
      const departures = await runChecks({ baseUrl: base, token: tolerant.token, suites: [PROFILE_SUITES.interop] });
      assert.deepEqual(failed(departures).sort(), [
        'interop.claim',
        'interop.filtered-path',
        'interop.patch-path-required',
        'interop.unknown-attribute',
        'interop.unknown-schema',
      ]);
      // The CLI: MUST and SHOULD apart, exit 0 when every MUST passes.
      const r = await cli(['check', base, '--token', strict.token, '--profile', 'interop']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^interop: MUST 11 passed, 0 failed, 0 skipped; SHOULD 0 passed, 0 failed, 0 skipped$/m);
      const compat = await cli(['check', base, '--token', tolerant.token, '--profile', 'interop']);
      assert.equal(compat.code, 1);
      assert.match(compat.stdout, /^✖ interop\.patch-path-required: .* \[MUST\]$/m);
    });

    test('--profile ipsie-al1: an ipsie-al1 organization passes every MUST it can see; what SCIM cannot show is skipped with the reason; a compatible one offers a password', async () => {
      const al1 = await h.org('profile-ipsie', { rateLimit: 0, profile: 'ipsie-al1' });
      const report = await runChecks({ baseUrl: base, token: al1.token, suites: [PROFILE_SUITES['ipsie-al1']] });
      noFailures(report);
      assert.deepEqual(
        report.results.filter((r) => r.outcome === 'skip').map((r) => [r.id, r.level]),
        [
          ['ipsie.rate-limit', 'MUST'],
          ['ipsie.logged', 'MUST'],
          ['ipsie.cut-within-5-minutes', 'SHOULD'],
        ],
      );
      assert.deepEqual(report.leftBehind, []);
      // With a limit to reach, the 429 and its Retry-After are checked.
      const limited = await h.org('profile-ipsie-limited', { rateLimit: 5, rateBurst: 10, profile: 'ipsie-al1' });
      const rate = await runChecks({ baseUrl: base, token: limited.token, suites: [PROFILE_SUITES['ipsie-al1']], only: 'ipsie.rate-limit' });
      assert.deepEqual(
        rate.results.map((r) => [r.id, r.outcome]),
        [['ipsie.rate-limit', 'pass']],
      );
      const tolerant = await h.org('profile-ipsie-compatible', { rateLimit: 0 });
      const departures = await runChecks({ baseUrl: base, token: tolerant.token, suites: [PROFILE_SUITES['ipsie-al1']] });
      assert.deepEqual(failed(departures), ['ipsie.no-password']);
    });

    test('with OAuth client credentials: the token endpoint suite passes for a secret and for a private key (through the CLI), and the SCIM suites run on the access token', async () => {
      await h.org('oauthcheck', { rateLimit: 0 });
      const origin = new URL(base).origin;
      const tokenUrl = `${origin}/o/oauthcheck/oauth/token`;
      const { client: c, secret } = await h.wiring.directory.clients.add('oauthcheck', {
        auth: 'secret',
        secretExpires: new Date(Date.now() + 86_400_000).toISOString(),
      });
      const report = await runChecks({
        baseUrl: `${origin}/o/oauthcheck/scim/v2`,
        oauth: { tokenUrl, clientId: c.clientId, clientSecret: secret! },
        suites: [SUITES.generic],
      });
      noFailures(report);
      const oauth = report.results.filter((r) => r.suite === 'oauth');
      assert.deepEqual(
        oauth.map((r) => [r.id, r.outcome]),
        [
          ['oauth.grant', 'pass'],
          ['oauth.lifetime', 'pass'],
          ['oauth.scope', 'pass'],
          ['oauth.bad-credentials', 'pass'],
          ['oauth.grant-type', 'pass'],
          ['oauth.secret-in-body', 'pass'],
          ['oauth.replay', 'skip'],
          ['oauth.resource', 'pass'],
        ],
      );
      assert.ok(!JSON.stringify(report).includes(secret!.slice(4)), 'the secret is never in the report');

      // A private key, through the command line: the replay check runs.
      const { generateKeyPair, exportJWK } = await import('jose');
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      const pk = await h.wiring.directory.clients.add('oauthcheck', {
        auth: 'private-key-jwt',
        jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'ck' }] },
      });
      const dir = join(process.cwd(), '.tmp');
      mkdirSync(dir, { recursive: true });
      const keyFile = join(dir, `check-key-${process.pid}.json`);
      (await import('node:fs')).writeFileSync(keyFile, JSON.stringify({ ...(await exportJWK(privateKey)), alg: 'ES256', kid: 'ck' }));
      try {
        const r = await cli([
          'check',
          `${origin}/o/oauthcheck/scim/v2`,
          '--client-id',
          pk.client.clientId,
          '--private-key',
          keyFile,
          '--token-url',
          tokenUrl,
          '--idp',
          'generic',
          '--json',
        ]);
        assert.equal(r.code, 0, r.stderr + r.stdout.slice(0, 3000));
        const json = JSON.parse(r.stdout) as CheckReport;
        assert.equal(json.results.find((x) => x.id === 'oauth.replay')!.outcome, 'pass');
        assert.equal(json.results.find((x) => x.id === 'oauth.secret-in-body')!.outcome, 'skip');
      } finally {
        rmSync(keyFile, { force: true });
      }
      // Wrong credentials: the grant's failure is the whole report, and says why.
      const wrong = await runChecks({
        baseUrl: `${origin}/o/oauthcheck/scim/v2`,
        oauth: { tokenUrl, clientId: c.clientId, clientSecret: 'rcs_wrong' },
        suites: [SUITES.generic],
      });
      assert.deepEqual(failed(wrong), ['oauth.grant']);
      assert.match(wrong.results[0]!.detail!, /got 401 invalid_client/);
      assert.equal(wrong.results[0]!.exchange!.requestHeaders.authorization, 'Basic ***');
      // A client that may send its secret in the body: IPSIE's rule fails, and the report says which.
      const lax = await h.wiring.directory.clients.add('oauthcheck', {
        auth: 'secret',
        allowSecretInBody: true,
        secretExpires: new Date(Date.now() + 86_400_000).toISOString(),
      });
      const laxReport = await runChecks({
        baseUrl: `${origin}/o/oauthcheck/scim/v2`,
        oauth: { tokenUrl, clientId: lax.client.clientId, clientSecret: lax.secret! },
        suites: [],
        only: 'oauth',
      });
      assert.deepEqual(failed(laxReport), ['oauth.secret-in-body']);
      assert.equal(
        laxReport.results.find((r) => r.id === 'oauth.secret-in-body')!.exchange!.requestBody,
        `grant_type=client_credentials&client_id=${lax.client.clientId}&client_secret=***`,
      );
      assert.match((await cli(['check', base, '--client-id', 'x'])).stderr, /OAuth needs --client-id and --token-url/);
      assert.match((await cli(['check', base])).stderr, /give --token, or OAuth client credentials/);
    });

    test('--keep leaves what the run created; --only runs the matching checks', async () => {
      const org = await h.org('kept', { rateLimit: 0 });
      const report = await runChecks({ baseUrl: base, token: org.token, suites: [SUITES.okta], only: 'okta.02-create-with', keep: true });
      assert.deepEqual(
        report.results.map((r) => r.id),
        ['okta.02-create-with-okta-s-full-body'],
      );
      assert.equal(report.leftBehind.length, 1);
      assert.equal((await h.request('GET', report.leftBehind[0]!, { org })).status, 200);
      const regexp = await runChecks({ baseUrl: base, token: org.token, suites: ALL, only: '/^generic\\.(filter-not|paging)$/' });
      assert.deepEqual(
        regexp.results.map((r) => r.id),
        ['generic.filter-not', 'generic.paging'],
      );
    });
  });
}

test('the client reaches nothing but the base URL: a path that leaves it is refused, redirects are not followed', async () => {
  const { CheckClient } = await import('../../src/check/framework.js');
  const c = new CheckClient('https://scim.example.com/scim/v2/', 't', 1000);
  assert.equal(c.urlOf('/Users?filter=x'), 'https://scim.example.com/scim/v2/Users?filter=x');
  for (const escape of ['/../admin', '/%2e%2e/%2e%2e/etc', '/..']) {
    assert.throws(() => c.urlOf(escape), /refused|must start/, escape);
  }
  assert.throws(() => c.urlOf('Users'), /must start with "\/"/);
  assert.equal(new URL(c.urlOf('//evil.example.com/x')).host, 'scim.example.com', 'a doubled slash stays on the server');
  const server = new BrokenServer();
  const base = await server.start();
  try {
    // A server that redirects elsewhere: the check fails on the 3xx, nothing follows it.
    const { createServer } = await import('node:http');
    const redirecting = createServer((_req, res) => res.writeHead(302, { location: `${base}/Users` }).end());
    await new Promise<void>((r) => redirecting.listen(0, '127.0.0.1', r));
    const port = (redirecting.address() as AddressInfo).port;
    const report = await runChecks({ baseUrl: `http://127.0.0.1:${port}/scim/v2`, token: 'x', suites: [SUITES.okta], only: 'okta.01-connection-probe' });
    assert.equal(report.results[0]!.outcome, 'fail');
    assert.equal(server.requests, 0, 'the redirect target got nothing');
    redirecting.close();
  } finally {
    await server.stop();
  }
});

describe('rollcall check against a deliberately broken server', () => {
  test('with no defect on, the checks each defect breaks pass', async () => {
    const server = new BrokenServer();
    const base = await server.start();
    try {
      const report = await runChecks({ baseUrl: base, token: server.token, suites: ALL });
      for (const id of [
        'okta.02-upper-case-username-lookup-finds-the-same-user',
        'okta.02-unknown-id',
        'generic.error-not-found',
        'generic.patch',
        'okta.03-read',
        'okta.02-create-again-409-uniqueness',
      ]) {
        assert.equal(
          report.results.find((r) => r.id === id)?.outcome,
          'pass',
          `${id} on the correct server: ${JSON.stringify(report.results.find((r) => r.id === id))}`,
        );
      }
      assert.equal(report.results.find((r) => r.id === 'generic.sort')?.outcome, 'skip', 'sorting is not advertised, so not checked');
      assert.equal(server.stored, 0, 'the run deleted what it created');
      assert.ok(
        server.paths.every((p) => p.startsWith('/scim/v2/')),
        'no request outside the base URL',
      );
    } finally {
      await server.stop();
    }
  });

  const DEFECTS: [Defect, string[], RegExp][] = [
    ['case-sensitive-username', ['okta.02-upper-case-username-lookup-finds-the-same-user'], /^body\.totalResults: 1, got 0$/],
    ['plain-error-body', ['okta.02-unknown-id', 'generic.error-not-found'], /^body\.schemas: an array, got undefined$/],
    ['patch-ignores-remove', ['okta.03-read', 'generic.patch'], /^body\.members: 1 elements, got 2$/],
    ['no-uniqueness', ['okta.02-create-again-409-uniqueness'], /HTTP 409/],
  ];
  for (const [defect, caught, because] of DEFECTS) {
    test(`defect "${defect}" is caught by ${caught.join(' and ')}, and the report says why`, async () => {
      const server = new BrokenServer(new Set([defect]));
      const base = await server.start();
      try {
        const report = await runChecks({ baseUrl: base, token: server.token, suites: ALL });
        const ids = failed(report);
        for (const id of caught) assert.ok(ids.includes(id), `${id} fails with ${defect}: failures are ${ids.join(', ')}`);
        const failure = report.results.find((r) => r.id === caught[0])!;
        assert.match(failure.detail!, because);
        assert.ok(failure.exchange, 'the failure shows the exchange');
        assert.equal(failure.exchange!.requestHeaders.authorization, 'Bearer ***', 'the token is never shown');
        assert.match(failure.ref, /RFC|Okta|Entra/);
      } finally {
        await server.stop();
      }
    });
  }

  test('the command: a table per suite, each failure with request, response, expectation and reference; exit 1; JSON and JUnit', async () => {
    const server = new BrokenServer(new Set<Defect>(['case-sensitive-username', 'plain-error-body']));
    const base = await server.start();
    const dir = join(process.cwd(), '.tmp', `check-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    try {
      const junitFile = join(dir, 'report.xml');
      const r = await cli(['check', base, '--token', server.token, '--junit', junitFile]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, /^suite +passed +failed +skipped$/m);
      assert.match(r.stdout, /^okta +\d+ +[1-9]\d* +\d+$/m);
      assert.match(r.stdout, /^✖ okta\.02-upper-case-username-lookup-finds-the-same-user: upper-case userName lookup finds the same user$/m);
      assert.match(r.stdout, /^ {4}because: +Okta's SCIM 2\.0 provisioning \(test\/conformance\/fixtures\/okta\/02-user-lifecycle\.json\)$/m);
      assert.match(r.stdout, /^ {4}request: +GET http:\/\/127\.0\.0\.1:\d+\/scim\/v2\/Users\?filter=userName%20eq%20%22RCHECK-/m);
      assert.match(r.stdout, /^ {4}response: HTTP 200$/m);
      assert.ok(!r.stdout.includes(server.token), 'the token is never printed');
      assert.match(r.stderr, /checks? failed/);
      // Off a terminal, why each check was skipped is in the summary.
      assert.match(r.stdout, /^skipped:$/m);
      assert.match(r.stdout, /^- generic\.sort: ServiceProviderConfig does not advertise sort\.supported$/m);
      const xml = readFileSync(junitFile, 'utf8');
      assert.match(xml, /<testsuite name="okta" tests="\d+" failures="[1-9]/);
      assert.match(xml, /<testcase classname="rollcall-check\.okta" name="okta\.02-upper-case-username-lookup-finds-the-same-user: /);
      assert.match(xml, /<failure message="/);

      const json = await cli(['check', base, '--token', server.token, '--json', '--idp', 'okta']);
      const report = JSON.parse(json.stdout) as CheckReport;
      assert.ok(report.results.every((x) => x.suite === 'okta'));
      assert.ok(failed(report).includes('okta.02-upper-case-username-lookup-finds-the-same-user'));
      const none = await cli(['check', base, '--token', server.token, '--only', 'no-such-check']);
      assert.match(none.stderr, /no check matched --only "no-such-check"/);
      const badUrl = await cli(['check', 'ftp://example.com', '--token', 'x']);
      assert.match(badUrl.stderr, /http or https only/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await server.stop();
    }
  });
});
