import type { Command } from 'commander';
import type { SigningKeyInfo } from '../events/signing-keys.js';
import { databaseOption, withWiring, type Print } from './common.js';

const line = (k: SigningKeyInfo): string => `${k.kid}\t${k.alg}\t${k.status}\tcreated ${k.created}${k.expires ? `\tpublished until ${k.expires}` : ''}`;

/** `rollcall org keys ...`: an organization's Security Event Token signing keys (docs/integrating.md). */
export function addKeyCommands(org: Command, print: Print): void {
  const keys = org.command('keys').description("an organization's signing keys for security event tokens (RFC 9967)");
  keys
    .command('rotate <slug>')
    .description('make a new signing key; the old one stays in the JWKS for the grace period, then is deleted')
    .option('--grace <duration>', 'how long the old key stays published: seconds, or a number with s, m, h or d', '7d')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, o: { grace: string; json?: boolean; database: string }) => {
      const { parseGrace } = await import('../events/signing-keys.js');
      const grace = parseGrace(o.grace);
      const r = await withWiring(o.database, async (w) => w.keys.rotate((await w.directory.organizations.get(slug)).id, grace));
      print(!!o.json, r, () => [
        `new signing key ${r.key.kid} (${r.key.alg}) for "${slug}"`,
        r.retired ? `retired ${r.retired}: published for ${o.grace} more, then deleted` : "it is the organization's first key",
      ]);
    });
  keys
    .command('list <slug>')
    .description('the keys in the JWKS: the active one and those in their grace period (never the private halves)')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, o: { json?: boolean; database: string }) => {
      const list = await withWiring(o.database, async (w) => w.keys.list((await w.directory.organizations.get(slug)).id));
      print(!!o.json, list, () => (list.length ? list.map(line) : [`no signing keys yet: the first SET makes one, or run rollcall org keys rotate ${slug}`]));
    });
}
