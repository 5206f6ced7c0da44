import { writeFileSync } from 'node:fs';
import { colourWanted, highlight } from './terminal.js';
import { Option, type Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { CliError, positive, type Io } from './common.js';
import type { OAuthCredentials } from '../check/oauth.js';

interface CheckFlags {
  token?: string;
  clientId?: string;
  clientSecret?: string;
  privateKey?: string;
  keyId?: string;
  keyAlg?: string;
  tokenUrl?: string;
  idp: string;
  profile?: string;
  only?: string;
  json?: boolean;
  junit?: string;
  keep?: boolean;
  timeout: string;
}

/** The OAuth client the run authenticates as, when one is named; a clear error for an incomplete one. */
async function credentialsOf(o: CheckFlags): Promise<OAuthCredentials | undefined> {
  const oauth = o.clientId !== undefined || o.tokenUrl !== undefined || o.clientSecret !== undefined || o.privateKey !== undefined;
  if (!oauth) {
    if (!o.token) throw new CliError('give --token, or OAuth client credentials: --client-id, --token-url and --client-secret or --private-key');
    return undefined;
  }
  if (o.token) throw new CliError('give --token or OAuth client credentials, not both');
  if (!o.clientId || !o.tokenUrl) throw new CliError('OAuth needs --client-id and --token-url');
  if ((o.clientSecret === undefined) === (o.privateKey === undefined)) throw new CliError('OAuth needs one of --client-secret and --private-key');
  let tokenUrl: URL;
  try {
    tokenUrl = new URL(o.tokenUrl);
  } catch {
    throw new CliError(`invalid --token-url "${o.tokenUrl}"`);
  }
  if (o.clientSecret !== undefined) return { tokenUrl: tokenUrl.href, clientId: o.clientId, clientSecret: o.clientSecret };
  const { importJWK, importPKCS8 } = await import('jose');
  let text: string;
  try {
    text = await readFile(o.privateKey!, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read --private-key ${o.privateKey}: ${(err as Error).message}`);
  }
  try {
    if (text.trim().startsWith('{')) {
      const jwk = JSON.parse(text) as { alg?: string; kid?: string };
      const alg = o.keyAlg ?? jwk.alg ?? 'RS256';
      const kid = o.keyId ?? jwk.kid;
      return { tokenUrl: tokenUrl.href, clientId: o.clientId, privateKey: { key: (await importJWK(jwk, alg)) as never, alg, ...(kid ? { kid } : {}) } };
    }
    const alg = o.keyAlg ?? 'RS256';
    return { tokenUrl: tokenUrl.href, clientId: o.clientId, privateKey: { key: await importPKCS8(text, alg), alg, ...(o.keyId ? { kid: o.keyId } : {}) } };
  } catch (err) {
    throw new CliError(
      `--private-key ${o.privateKey} is not a private key for ${o.keyAlg ?? 'its algorithm'} (PEM PKCS#8 or a JWK): ${(err as Error).message}`,
    );
  }
}

/**
 * `rollcall check <base-url> --token T` (docs/check.md): Okta's and Entra ID's conversations and
 * RFC 7643/7644 checks against any SCIM 2.0 server. Exit 0 when every check passes, 1 otherwise.
 */
export function addCheckCommand(program: Command, io: Io): void {
  program
    .command('check <base-url>')
    .description('test any SCIM 2.0 server: Okta and Entra ID conversations, RFC 7643/7644 rules; deletes what it creates')
    .addOption(new Option('--token <token>', 'bearer token of the server under test (or OAuth: --client-id and --token-url)').env('ROLLCALL_CHECK_TOKEN'))
    .option('--client-id <id>', 'OAuth: obtain the token with the client credentials grant as this client, and check the token endpoint')
    .addOption(new Option('--client-secret <secret>', "OAuth: the client's secret (sent in HTTP Basic)").env('ROLLCALL_CHECK_CLIENT_SECRET'))
    .option('--private-key <file>', "OAuth: the client's private key (PEM PKCS#8 or a JWK), to sign assertions (private_key_jwt)")
    .option('--key-id <kid>', "OAuth: the private key's kid")
    .option('--key-alg <alg>', "OAuth: the assertions' algorithm (default: the JWK's alg, else RS256)")
    .option('--token-url <url>', "OAuth: the authorization server's token endpoint")
    .addOption(new Option('--idp <idp>', 'which suites').choices(['okta', 'entra', 'generic', 'all']).default('all'))
    .addOption(
      new Option('--profile <profile>', 'instead: test the server against a 2026 profile, requirement by requirement (MUST and SHOULD apart)').choices([
        'interop',
        'ipsie-al1',
      ]),
    )
    .option('--only <pattern>', 'only checks whose id or title contains this, or matches /regexp/')
    .option('--json', 'print the report as JSON')
    .option('--junit <file>', 'also write a JUnit XML report')
    .option('--keep', 'keep what the checks create (default: delete it)')
    .option('--timeout <seconds>', 'per request', '10')
    .action(async (baseUrl: string, o: CheckFlags) => {
      let url: URL;
      try {
        url = new URL(baseUrl);
      } catch {
        throw new CliError(`invalid base URL "${baseUrl}" (for example https://scim.example.com/scim/v2)`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`invalid base URL "${baseUrl}": http or https only`);
      const [{ runChecks }, { SUITES }, { PROFILE_SUITES }, report] = await Promise.all([
        import('../check/framework.js'),
        import('../check/suites.js'),
        import('../check/profiles.js'),
        import('../check/report.js'),
      ]);
      const oauth = await credentialsOf(o);
      const suites = o.profile
        ? [PROFILE_SUITES[o.profile as 'interop' | 'ipsie-al1']]
        : o.idp === 'all'
          ? [SUITES.okta, SUITES.entra, SUITES.generic]
          : [SUITES[o.idp as 'okta' | 'entra' | 'generic']];
      const live = !o.json && process.stdout.isTTY !== undefined;
      if (!o.json) io.out(`rollcall check ${url.href}: ${suites.map((s) => s.title).join(', ')}`);
      const result = await runChecks({
        baseUrl: url.href,
        ...(oauth ? { oauth } : { token: o.token! }),
        suites,
        ...(o.only ? { only: o.only } : {}),
        keep: !!o.keep,
        timeoutMs: positive('--timeout', o.timeout) * 1000,
        ...(live ? { onResult: (r) => io.out(highlight(colourWanted(process.stdout), report.progressLine(r))) } : {}),
      });
      if (o.junit) writeFileSync(o.junit, report.junit(result));
      if (o.json) io.out(JSON.stringify(result, null, 2));
      else io.out(report.summary(result));
      if (result.results.length === 0) throw new CliError(`no check matched --only "${o.only}"`);
      // A profile's SHOULD that fails is reported, not fatal.
      const failed = result.results.filter((r) => r.outcome === 'fail' && r.level !== 'SHOULD').length;
      if (failed > 0) throw new CliError(`${failed} check${failed === 1 ? '' : 's'} failed`);
    });
}
