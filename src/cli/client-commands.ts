import { Option, type Command } from 'commander';
import { DEFAULTS, orgIssuerPath, orgScimPath, orgTokenPath } from '../defaults.js';
import type { ClientInfo, SecretInfo } from '../service/clients.js';
import { CliError, databaseOption, expiresIn, origin, publicUrlOption, withDirectory, type Print } from './common.js';

const secretLine = (s: SecretInfo): string => `  secret ${s.id}\tcreated ${s.created}\texpires ${s.expires}${s.removed ? `\tremoved ${s.removed}` : ''}`;

/** Where an organization's clients get their tokens, under the public URL. */
function endpoints(publicUrl: string | undefined, slug: string) {
  const base = origin(publicUrl);
  return { tokenEndpoint: `${base}${orgTokenPath(slug)}`, scimBaseUrl: `${base}${orgScimPath(slug)}`, issuer: `${base}${orgIssuerPath(slug)}` };
}

/** `rollcall client ...`: an organization's OAuth 2.0 clients (docs/authentication.md). */
export function addClientCommands(program: Command, print: Print): void {
  const client = program
    .command('client')
    .description("an organization's OAuth 2.0 clients: client credentials for identity providers that require OAuth (Entra ID's gallery)");
  client
    .command('add <slug>')
    .description('add a client; its first secret is printed once')
    .addOption(
      new Option('--auth <method>', 'how it authenticates at the token endpoint').choices(['secret', 'private-key-jwt', 'federated']).makeOptionMandatory(),
    )
    .option('--label <label>', 'what the client is for (the identity provider)')
    .option('--allow-secret-in-body', 'also accept the secret in the request body (client_secret_post), for identity providers that need it; IPSIE forbids it')
    .option('--expires <duration>', "the first secret's lifetime, at most 3y", `${DEFAULTS.clientSecretDays}d`)
    .option('--json', 'print JSON')
    .addOption(publicUrlOption('the token endpoint and the SCIM base URL printed'))
    .addOption(databaseOption())
    .action(
      async (
        slug: string,
        o: { auth: string; label?: string; allowSecretInBody?: boolean; expires: string; json?: boolean; publicUrl?: string; database: string },
      ) => {
        if (o.auth !== 'secret')
          throw new CliError(`--auth ${o.auth} is not available yet: this version's clients authenticate with a client secret (--auth secret)`);
        const secretExpires = expiresIn(o.expires, DEFAULTS.clientSecretMaxDays / 365);
        const where = endpoints(o.publicUrl, slug);
        const added = await withDirectory(o.database, (d) =>
          d.clients.add(slug, { auth: 'secret', ...(o.label ? { label: o.label } : {}), allowSecretInBody: !!o.allowSecretInBody, secretExpires }),
        );
        const out = {
          clientId: added.client.clientId,
          clientSecret: added.secret,
          secretId: added.secretInfo.id,
          secretExpiresAt: added.secretInfo.expires,
          ...where,
          label: added.client.label,
          auth: added.client.auth,
          allowSecretInBody: added.client.allowSecretInBody,
        };
        print(!!o.json, out, () => [
          `added client ${out.clientId} (${out.label}) for "${slug}"${o.publicUrl ? '' : ` (no --public-url: URLs point at ${origin(undefined)})`}`,
          `token endpoint: ${out.tokenEndpoint}`,
          `SCIM base URL:  ${out.scimBaseUrl}`,
          `secret ${out.secretId} expires ${out.secretExpiresAt}; store it now, it is not shown again:`,
          out.clientSecret,
        ]);
      },
    );
  client
    .command('list <slug>')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, o: { json?: boolean; database: string }) => {
      const clients = await withDirectory(o.database, (d) => d.clients.list(slug));
      print(!!o.json, clients, () =>
        clients.length
          ? clients.flatMap((c: ClientInfo) => [
              `${c.clientId}\t${c.label}\t${c.auth}\tcreated ${c.created}${c.removed ? `\tremoved ${c.removed}` : ''}`,
              ...c.secrets.map(secretLine),
            ])
          : ['no clients'],
      );
    });
  client
    .command('remove <slug> <client-id>')
    .description('remove a client: its access tokens are refused on every node within a second')
    .addOption(databaseOption())
    .action(async (slug: string, id: string, o: { database: string }) => {
      await withDirectory(o.database, (d) => d.clients.remove(slug, id));
    });
  const secret = client.command('secret').description("a client's secrets: several may be active at once, for rotation");
  secret
    .command('add <slug> <client-id>')
    .option('--expires <duration>', 'its lifetime, at most 3y', `${DEFAULTS.clientSecretDays}d`)
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, id: string, o: { expires: string; json?: boolean; database: string }) => {
      const expires = expiresIn(o.expires, DEFAULTS.clientSecretMaxDays / 365);
      const added = await withDirectory(o.database, (d) => d.clients.addSecret(slug, id, expires));
      print(!!o.json, { secretId: added.secretInfo.id, clientSecret: added.secret, secretExpiresAt: added.secretInfo.expires }, () => [
        `secret ${added.secretInfo.id} of ${id} expires ${added.secretInfo.expires}; store it now, it is not shown again:`,
        added.secret,
      ]);
    });
  secret
    .command('remove <slug> <client-id> <secret-id>')
    .addOption(databaseOption())
    .action(async (slug: string, id: string, secretId: string, o: { database: string }) => {
      await withDirectory(o.database, (d) => d.clients.removeSecret(slug, id, secretId));
    });
}
