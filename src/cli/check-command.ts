import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { CliError, positive, type Io } from './common.js';

/**
 * `rollcall check <base-url> --token T` (docs/check.md): Okta's and Entra ID's conversations and
 * RFC 7643/7644 checks against any SCIM 2.0 server. Exit 0 when every check passes, 1 otherwise.
 */
export function addCheckCommand(program: Command, io: Io): void {
  program
    .command('check <base-url>')
    .description('test any SCIM 2.0 server: Okta and Entra ID conversations, RFC 7643/7644 rules; deletes what it creates')
    .addOption(new Option('--token <token>', 'bearer token of the server under test').env('ROLLCALL_CHECK_TOKEN').makeOptionMandatory())
    .addOption(new Option('--idp <idp>', 'which suites').choices(['okta', 'entra', 'generic', 'all']).default('all'))
    .option('--only <pattern>', 'only checks whose id or title contains this, or matches /regexp/')
    .option('--json', 'print the report as JSON')
    .option('--junit <file>', 'also write a JUnit XML report')
    .option('--keep', 'keep what the checks create (default: delete it)')
    .option('--timeout <seconds>', 'per request', '10')
    .action(async (baseUrl: string, o: { token: string; idp: string; only?: string; json?: boolean; junit?: string; keep?: boolean; timeout: string }) => {
      let url: URL;
      try {
        url = new URL(baseUrl);
      } catch {
        throw new CliError(`invalid base URL "${baseUrl}" (for example https://scim.example.com/scim/v2)`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`invalid base URL "${baseUrl}": http or https only`);
      const [{ runChecks }, { SUITES }, report] = await Promise.all([
        import('../check/framework.js'),
        import('../check/suites.js'),
        import('../check/report.js'),
      ]);
      const suites = o.idp === 'all' ? [SUITES.okta, SUITES.entra, SUITES.generic] : [SUITES[o.idp as 'okta' | 'entra' | 'generic']];
      const live = !o.json && process.stdout.isTTY !== undefined;
      if (!o.json) io.out(`rollcall check ${url.href}: ${suites.map((s) => s.title).join(', ')}`);
      const result = await runChecks({
        baseUrl: url.href,
        token: o.token,
        suites,
        ...(o.only ? { only: o.only } : {}),
        keep: !!o.keep,
        timeoutMs: positive('--timeout', o.timeout) * 1000,
        ...(live ? { onResult: (r) => io.out(report.progressLine(r)) } : {}),
      });
      if (o.junit) writeFileSync(o.junit, report.junit(result));
      if (o.json) io.out(JSON.stringify(result, null, 2));
      else io.out(report.summary(result));
      if (result.results.length === 0) throw new CliError(`no check matched --only "${o.only}"`);
      const failed = result.results.filter((r) => r.outcome === 'fail').length;
      if (failed > 0) throw new CliError(`${failed} check${failed === 1 ? '' : 's'} failed`);
    });
}
