import { Option, type Command } from 'commander';
import { DEFAULTS, orgIssuerPath, orgScimPath, orgTokenPath } from '../defaults.js';
import { readFile } from 'node:fs/promises';
import type { ClientAuth, ClientInfo, SecretInfo } from '../service/clients.js';
import { CliError, databaseOption, expiresIn, origin, privateJwksOption, publicUrlOption, withDirectory, type Print } from './common.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

interface AddOptions {
  auth: string;
  redirectUri: string[];
  pkce?: string;
  label?: string;
  allowSecretInBody?: boolean;
  expires: string;
  jwksUri?: string;
  jwksFile?: string;
  issuer?: string;
  subject?: string;
  audience?: string;
  entraTenant?: string;
  allowPrivateJwks?: boolean;
  json?: boolean;
  publicUrl?: string;
  database: string;
}

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
    .description('add a client; a secret client gets its first secret, printed once')
    .addOption(
      new Option('--auth <method>', 'how it authenticates at the token endpoint').choices(['secret', 'private-key-jwt', 'federated']).makeOptionMandatory(),
    )
    .option('--label <label>', 'what the client is for (the identity provider)')
    .option(
      '--allow-secret-in-body',
      'secret: also accept the secret in the request body (client_secret_post), for identity providers that need it; IPSIE forbids it',
    )
    .option('--expires <duration>', "secret: the first secret's lifetime, at most 3y", `${DEFAULTS.clientSecretDays}d`)
    .option(
      '--redirect-uri <uri>',
      "secret: a redirect URI of the authorization code grant (Okta's OAuth; repeat for several); the client then uses that grant",
      collect,
      [],
    )
    .addOption(new Option('--pkce <mode>', 'with --redirect-uri: whether a code challenge (PKCE, S256) is required').choices(['required', 'optional']))
    .option('--jwks-uri <url>', "private-key-jwt, federated: where the assertions' signing keys are published (https)")
    .option('--jwks-file <file>', 'private-key-jwt: a JWKS file of the public keys the client signs with')
    .option('--issuer <iss>', "federated: the assertions' issuer (iss)")
    .option('--subject <sub>', "federated: the assertions' subject (sub), the identity the issuer vouches for")
    .option('--audience <aud>', "federated: the assertions' audience (aud); default: the organization's issuer or token endpoint")
    .option('--entra-tenant <tenant-id>', "federated: a Microsoft Entra ID tenant; fills in Entra's issuer and JWKS URL, and requires its tid")
    .option('--json', 'print JSON')
    .addOption(privateJwksOption())
    .addOption(publicUrlOption('the token endpoint and the SCIM base URL printed'))
    .addOption(databaseOption())
    .action(async (slug: string, o: AddOptions) => {
      const auth = o.auth as ClientAuth;
      const secretExpires = auth === 'secret' ? expiresIn(o.expires, DEFAULTS.clientSecretMaxDays / 365) : undefined;
      if (auth !== 'secret' && o.expires !== `${DEFAULTS.clientSecretDays}d`)
        throw new CliError(`--expires applies to secret clients; a ${auth} client has keys, not secrets`);
      let jwks: unknown;
      if (o.jwksFile !== undefined) {
        try {
          jwks = JSON.parse(await readFile(o.jwksFile, 'utf8'));
        } catch (err) {
          throw new CliError(`cannot read --jwks-file ${o.jwksFile}: ${(err as Error).message}`);
        }
      }
      const where = endpoints(o.publicUrl, slug);
      const added = await withDirectory(
        o.database,
        (d) =>
          d.clients.add(slug, {
            auth,
            label: o.label,
            allowSecretInBody: o.allowSecretInBody,
            secretExpires,
            redirectUris: o.redirectUri,
            pkce: o.pkce as 'required' | 'optional' | undefined,
            jwksUri: o.jwksUri,
            jwks,
            issuer: o.issuer,
            subject: o.subject,
            audience: o.audience,
            entraTenant: o.entraTenant,
          }),
        { allowPrivateJwks: !!o.allowPrivateJwks },
      );
      const c = added.client;
      const out = {
        clientId: c.clientId,
        ...(added.secret !== undefined ? { clientSecret: added.secret, secretId: added.secretInfo!.id, secretExpiresAt: added.secretInfo!.expires } : {}),
        ...where,
        label: c.label,
        auth: c.auth,
        ...(auth === 'secret' ? { allowSecretInBody: c.allowSecretInBody } : {}),
        grantTypes: c.grantTypes,
        ...(c.redirectUris ? { authorizationEndpoint: `${where.issuer}/oauth/authorize`, redirectUris: c.redirectUris, pkce: c.pkce } : {}),
        ...(c.jwksUri !== undefined ? { jwksUri: c.jwksUri } : {}),
        ...(c.federation !== undefined ? { federation: c.federation } : {}),
      };
      print(!!o.json, out, () => [
        `added client ${out.clientId} (${out.label}, ${auth}) for "${slug}"${o.publicUrl ? '' : ` (no --public-url: URLs point at ${origin(undefined)})`}`,
        `token endpoint: ${out.tokenEndpoint}`,
        `SCIM base URL:  ${out.scimBaseUrl}`,
        ...(c.redirectUris ? [`authorize URL:  ${where.issuer}/oauth/authorize (the consent is given in a setup-link session)`] : []),
        ...(auth === 'secret'
          ? [`secret ${out.secretId} expires ${out.secretExpiresAt}; store it now, it is not shown again:`, out.clientSecret!]
          : auth === 'private-key-jwt'
            ? [
                `assertions: iss and sub "${out.clientId}", aud "${where.issuer}" or "${where.tokenEndpoint}", signed with a key from ${c.jwksUri ?? 'the JWKS file'}`,
              ]
            : [
                `assertions: iss "${c.federation!.issuer}", sub "${c.federation!.subject}", aud ${c.federation!.audience !== undefined ? `"${c.federation!.audience}"` : `"${where.issuer}" or "${where.tokenEndpoint}"`}, keys from ${c.jwksUri}${c.federation!.tenant ? `, tid ${c.federation!.tenant}` : ''}`,
              ]),
      ]);
    });
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
              ...(c.redirectUris ? [`  authorization code (PKCE ${c.pkce}) to ${c.redirectUris.join(', ')}`] : []),
              ...(c.jwksUri ? [`  keys ${c.jwksUri}`] : c.jwks ? [`  keys: ${c.jwks.keys.length} in the JWKS given`] : []),
              ...(c.federation
                ? [
                    `  assertions from iss ${c.federation.issuer} about sub ${c.federation.subject}${c.federation.audience ? ` for aud ${c.federation.audience}` : ''}${c.federation.tenant ? `, tid ${c.federation.tenant}` : ''}`,
                  ]
                : []),
              ...c.secrets.map(secretLine),
            ])
          : ['no clients'],
      );
    });
  client
    .command('remove <slug> <client-id>')
    .description('remove a client: its access tokens are refused on every node within a second')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, id: string, o: { json?: boolean; database: string }) => {
      await withDirectory(o.database, (d) => d.clients.remove(slug, id));
      print(!!o.json, { removed: id }, () => [`removed client ${id}`]);
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
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, id: string, secretId: string, o: { json?: boolean; database: string }) => {
      await withDirectory(o.database, (d) => d.clients.removeSecret(slug, id, secretId));
      print(!!o.json, { removed: secretId, client: id }, () => [`removed secret ${secretId} of ${id}`]);
    });
}
