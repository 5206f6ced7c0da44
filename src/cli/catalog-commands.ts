import type { Command } from 'commander';
import type { CatalogKind } from '../protocol/schema/catalog.js';
import type { CatalogEntry } from '../service/catalog.js';
import { CliError, databaseOption, withDirectory, type Io, type Print } from './common.js';

const line = (e: CatalogEntry): string => [e.value, e.display ?? '', e.type ?? ''].join('\t').replace(/\t+$/, '');

/**
 * `rollcall role ...` and `rollcall entitlement ...`: what an organization's users may hold,
 * served read-only at /Roles and /Entitlements (docs/roles.md).
 */
export function addCatalogCommands(program: Command, _io: Io, print: Print): void {
  for (const kind of ['role', 'entitlement'] as const satisfies readonly CatalogKind[]) {
    const plural = `${kind}s`;
    const cmd = program
      .command(kind)
      .description(`manage an organization's declared ${plural}, served at /${kind === 'role' ? 'Roles' : 'Entitlements'} (docs/roles.md)`);
    const add = cmd
      .command('add <slug> <value>')
      .description(`declare a ${kind}: users' "${plural}" may then hold it (once any is declared, only declared ones)`)
      .option('--display <text>', 'a human-readable name (what identity providers show)');
    if (kind === 'entitlement') add.option('--type <type>', 'what kind of entitlement it is (License, Permission, ...)');
    add
      .option('--json', 'print JSON')
      .addOption(databaseOption())
      .action(async (slug: string, value: string, o: { display?: string; type?: string; json?: boolean; database: string }) => {
        const e = await withDirectory(o.database, (d) =>
          d.catalog.add(slug, kind, { value, ...(o.display !== undefined ? { display: o.display } : {}), ...(o.type !== undefined ? { type: o.type } : {}) }),
        );
        print(!!o.json, e, () => [`added ${kind} "${e.value}" to "${slug}"${e.display ? ` (${e.display})` : ''}`]);
      });
    cmd
      .command('list <slug>')
      .description(`the ${plural} declared, oldest first: value, display name${kind === 'entitlement' ? ', type' : ''}`)
      .option('--json', 'print JSON')
      .addOption(databaseOption())
      .action(async (slug: string, o: { json?: boolean; database: string }) => {
        const list = await withDirectory(o.database, (d) => d.catalog.list(slug, kind));
        print(!!o.json, list, () => (list.length ? list.map(line) : [`no ${plural} declared: users' "${plural}" may hold any value`]));
      });
    cmd
      .command('remove <slug> <value>')
      .description(`remove a declared ${kind}: it can no longer be assigned; users who hold it keep it until their identity provider removes it`)
      .option('--json', 'print JSON')
      .addOption(databaseOption())
      .action(async (slug: string, value: string, o: { json?: boolean; database: string }) => {
        const e = await withDirectory(o.database, (d) => d.catalog.remove(slug, kind, value));
        print(!!o.json, e, () => [`removed ${kind} "${e.value}" from "${slug}"`]);
      });
    if (kind === 'role') addMappingCommands(cmd, print);
  }
}

/** Which groups a `role map` or `role unmap` names: by displayName or by externalId, one of them. */
function groupMatch(o: { group?: string; groupExternalId?: string }): { match: 'displayName' | 'externalId'; value: string } {
  if ((o.group === undefined) === (o.groupExternalId === undefined))
    throw new CliError('give exactly one of --group <displayName> and --group-external-id <id>');
  return o.group !== undefined ? { match: 'displayName', value: o.group } : { match: 'externalId', value: o.groupExternalId! };
}

/** `rollcall role map|unmap|mappings|of`: groups that grant roles (docs/roles.md#groups-that-grant-roles). */
function addMappingCommands(role: Command, print: Print): void {
  role
    .command('map <slug> <role>')
    .description('grant a declared role to the members of the groups with this displayName (any case) or externalId, nested groups included')
    .option('--group <displayName>', 'the groups with this displayName, compared case-insensitively')
    .option('--group-external-id <id>', 'the groups with this externalId, compared exactly')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, value: string, o: { group?: string; groupExternalId?: string; json?: boolean; database: string }) => {
      const g = groupMatch(o);
      const m = await withDirectory(o.database, (d) => d.catalog.map(slug, value, g.match, g.value));
      print(!!o.json, m, () => [`role "${m.role}" is granted to the members of groups with ${m.match} "${m.value}" in "${slug}"`]);
    });
  role
    .command('unmap <slug> <role>')
    .description('stop granting a role to a group (its members keep it only if another group or their own roles give it)')
    .option('--group <displayName>', 'the mapping by displayName')
    .option('--group-external-id <id>', 'the mapping by externalId')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, value: string, o: { group?: string; groupExternalId?: string; json?: boolean; database: string }) => {
      const g = groupMatch(o);
      const m = await withDirectory(o.database, (d) => d.catalog.unmap(slug, value, g.match, g.value));
      print(!!o.json, m, () => [`role "${m.role}" is no longer granted to groups with ${m.match} "${m.value}" in "${slug}"`]);
    });
  role
    .command('mappings <slug>')
    .description('the groups that grant each role: role, displayName or externalId, the value')
    .option('--role <role>', 'only this role')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, o: { role?: string; json?: boolean; database: string }) => {
      const list = await withDirectory(o.database, (d) => d.catalog.mappings(slug, o.role));
      print(!!o.json, list, () => (list.length ? list.map((m) => `${m.role}\t${m.match}\t${m.value}`) : ['no group grants a role']));
    });
  role
    .command('of <slug> <user-id>')
    .description("a user's effective roles, and where each comes from (its own roles, the groups that grant one)")
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, userId: string, o: { json?: boolean; database: string }) => {
      const r = await withDirectory(o.database, (d) => d.catalog.rolesOf(slug, userId));
      print(!!o.json, r, () => [
        `${r.userName}: ${r.effective.length ? r.effective.join(', ') : 'no roles'}`,
        ...r.direct.map((v) => `  ${v}\tits own roles`),
        ...r.granted.map((g) => `  ${g.role}\tgranted by group "${g.group.displayName}" (${g.group.id})`),
      ]);
    });
}
