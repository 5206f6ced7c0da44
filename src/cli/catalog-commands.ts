import type { Command } from 'commander';
import type { CatalogKind } from '../protocol/schema/catalog.js';
import type { CatalogEntry } from '../service/catalog.js';
import { databaseOption, withDirectory, type Io, type Print } from './common.js';

const line = (e: CatalogEntry): string => [e.value, e.display ?? '', e.type ?? ''].join('\t').replace(/\t+$/, '');

/**
 * `rollcall role ...` and `rollcall entitlement ...`: what an organization's users may hold,
 * served read-only at /Roles and /Entitlements (docs/roles.md).
 */
export function addCatalogCommands(program: Command, _io: Io, print: Print): void {
  for (const kind of ['role', 'entitlement'] as const satisfies readonly CatalogKind[]) {
    const plural = `${kind}s`;
    const cmd = program.command(kind).description(`manage an organization's declared ${plural}, served at /${kind === 'role' ? 'Roles' : 'Entitlements'} (docs/roles.md)`);
    const add = cmd
      .command('add <slug> <value>')
      .description(`declare a ${kind}: users' "${plural}" may then hold it (once any is declared, only declared ones)`)
      .option('--display <text>', 'a human-readable name (what identity providers show)');
    if (kind === 'entitlement') add.option('--type <type>', 'what kind of entitlement it is (License, Permission, ...)');
    add
      .option('--json', 'print JSON')
      .addOption(databaseOption())
      .action(async (slug: string, value: string, o: { display?: string; type?: string; json?: boolean; database: string }) => {
        const e = await withDirectory(o.database, (d) => d.catalog.add(slug, kind, { value, ...(o.display !== undefined ? { display: o.display } : {}), ...(o.type !== undefined ? { type: o.type } : {}) }));
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
  }
}
