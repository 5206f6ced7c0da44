import type { Command } from 'commander';
import { orgScimPath } from '../defaults.js';
import type { Directory } from '../service/directory.js';
import type { RequestContext } from '../service/context.js';
import type { ScimResource } from '../service/resource.js';
import { CliError, databaseOption, origin, publicUrlOption, withDirectory, type Print } from './common.js';

type Kind = 'user' | 'group';

/**
 * A user or group by id, or else by its name (userName, displayName): what Rollcall holds, as its
 * SCIM representation (with the user's groups, or the group's members).
 */
async function find(d: Directory, slug: string, kind: Kind, key: string, publicUrl: string | undefined): Promise<ScimResource> {
  const [{ parseListRequest }, { ScimError }] = await Promise.all([import('../protocol/query.js'), import('../protocol/messages/index.js')]);
  const org = await d.organizations.get(slug);
  const ctx: RequestContext = {
    org: { id: org.id, slug: org.slug, name: org.name, settings: org.settings, schema: org.schema },
    baseUrl: `${origin(publicUrl)}${orgScimPath(org.slug)}`,
  };
  try {
    return kind === 'user' ? await d.users.get(ctx, key, { groups: true }) : await d.groups.get(ctx, key, { members: true });
  } catch (err) {
    if (!(err instanceof ScimError) || err.status !== 404) throw err;
  }
  const attribute = kind === 'user' ? 'userName' : 'displayName';
  const filter = `${attribute} eq ${JSON.stringify(key)}`;
  const req = parseListRequest(kind === 'user' ? org.schema.user : org.schema.group, { filter, count: '2' }, 2);
  const page = kind === 'user' ? await d.users.list(ctx, req, { groups: true }) : await d.groups.list(ctx, req, { members: true });
  if (page.resources.length === 0) throw new CliError(`no ${kind} "${key}" in "${slug}" (by id or ${attribute})`);
  if (page.resources.length > 1) throw new CliError(`several groups are named "${key}" in "${slug}": give the id (rollcall group show ${slug} <id>)`);
  return page.resources[0]!;
}

const valuesOf = (v: unknown): string =>
  Array.isArray(v)
    ? v
        .map((x) =>
          typeof x === 'object' && x ? String((x as { display?: unknown; value?: unknown }).display ?? (x as { value?: unknown }).value) : String(x),
        )
        .join(', ')
    : '';

function lines(kind: Kind, r: ScimResource): string[] {
  const meta = r.meta as { created?: string; lastModified?: string };
  if (kind === 'user') {
    const emails = r.emails as { value?: string; type?: string; primary?: boolean }[] | undefined;
    return [
      `${String(r.userName)}\t${r.active === false ? 'inactive' : 'active'}\tid ${r.id}`,
      ...(r.displayName ? [`displayName  ${String(r.displayName)}`] : []),
      ...(r.externalId ? [`externalId   ${String(r.externalId)}`] : []),
      ...(emails?.length ? [`emails       ${emails.map((e) => `${e.value}${e.type ? ` (${e.type}${e.primary ? ', primary' : ''})` : ''}`).join(', ')}`] : []),
      `groups       ${valuesOf(r.groups) || 'none'}`,
      `created ${meta.created ?? '?'}, last modified ${meta.lastModified ?? '?'}`,
    ];
  }
  const members = (r.members as unknown[] | undefined) ?? [];
  return [
    `${String(r.displayName)}\tid ${r.id}`,
    ...(r.externalId ? [`externalId   ${String(r.externalId)}`] : []),
    `members      ${members.length}${members.length ? `: ${valuesOf(members.slice(0, 20))}${members.length > 20 ? ', …' : ''}` : ''}`,
    `created ${meta.created ?? '?'}, last modified ${meta.lastModified ?? '?'}`,
  ];
}

/** `rollcall user show` and `rollcall group show`: what Rollcall holds for a person or a group, without the console. */
export function addResourceCommands(program: Command, print: Print): void {
  for (const kind of ['user', 'group'] as const) {
    program
      .command(kind)
      .description(kind === 'user' ? "an organization's users" : "an organization's groups")
      .command(`show <slug> <${kind === 'user' ? 'id|userName' : 'id|name'}>`)
      .description(`what Rollcall holds for a ${kind}, found by id or by ${kind === 'user' ? 'userName' : 'displayName'}`)
      .option('--json', 'print the SCIM representation')
      .addOption(publicUrlOption('the URLs in meta.location'))
      .addOption(databaseOption())
      .action(async (slug: string, key: string, o: { json?: boolean; publicUrl?: string; database: string }) => {
        const r = await withDirectory(o.database, (d) => find(d, slug, kind, key, o.publicUrl));
        print(!!o.json, r, () => lines(kind, r));
      });
  }
}
