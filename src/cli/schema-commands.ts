import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { AttributeDef } from '../protocol/schema/index.js';
import type { describeExtension } from '../service/schemas.js';
import { working } from './terminal.js';
import { CliError, databaseOption, withDirectory, type Io, type Print } from './common.js';

/** One line per attribute: name, type, and the characteristics that differ from RFC 7643's defaults. */
function attributeLines(attributes: readonly AttributeDef[], indent = '  '): string[] {
  const out: string[] = [];
  for (const a of attributes) {
    const notes = [
      a.multiValued ? 'multiValued' : '',
      a.required ? 'required' : '',
      a.caseExact ? 'caseExact' : '',
      a.mutability !== 'readWrite' ? a.mutability : '',
      a.returned !== 'default' ? `returned ${a.returned}` : '',
      a.uniqueness !== 'none' ? `unique (${a.uniqueness})` : '',
      a.canonicalValues ? `one of ${a.canonicalValues.join(', ')}` : '',
    ].filter(Boolean);
    out.push(`${indent}${a.name}\t${a.type}${notes.length ? `\t${notes.join('; ')}` : ''}`);
    if (a.subAttributes) out.push(...attributeLines(a.subAttributes, `${indent}  `));
  }
  return out;
}

/** `rollcall schema ...`: an organization's own schema extensions (docs/schema.md). */
/** describeExtension, loaded with the command (see common.ts). */
async function describer(): Promise<typeof describeExtension> {
  return (await import('../service/schemas.js')).describeExtension;
}

export function addSchemaCommands(program: Command, io: Io, print: Print): void {
  const schema = program.command('schema').description("manage an organization's schema extensions (docs/schema.md)");
  schema
    .command('add <slug> <file>')
    .description('declare an extension from an RFC 7643 §7 schema representation (JSON file, or - for stdin); declaring the same URN again adds attributes')
    .addOption(new Option('--resource <type>', 'the resource type it extends').choices(['User', 'Group']).default('User'))
    .option('--required', 'the extension is required: every create and replace must send it')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, file: string, o: { resource: 'User' | 'Group'; required?: boolean; json?: boolean; database: string }) => {
      let declaration: unknown;
      try {
        declaration = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8'));
      } catch (err) {
        throw new CliError(`cannot read ${file === '-' ? 'stdin' : file} as JSON: ${(err as Error).message}`);
      }
      const { extension, updated } = await withDirectory(o.database, (d) =>
        d.schemas.add(slug, declaration, { resource: o.resource, ...(o.required ? { required: true } : {}) }),
      );
      const extensionJson = await describer();
      print(!!o.json, extensionJson(extension), () => [
        `${updated ? 'updated' : 'added'} extension ${extension.schema.id} to ${extension.resource}s of "${slug}"${extension.required ? ' (required)' : ''}: ${extension.schema.attributes.length} attributes`,
      ]);
    });
  schema
    .command('list <slug>')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, o: { json?: boolean; database: string }) => {
      const list = await withDirectory(o.database, (d) => d.schemas.list(slug));
      const extensionJson = await describer();
      print(!!o.json, list.map(extensionJson), () =>
        list.length
          ? list.map(
              (e) => `${e.schema.id}\t${e.resource}\t${e.required ? 'required' : 'optional'}\t${e.schema.attributes.length} attributes\t${e.schema.name}`,
            )
          : ['no extensions'],
      );
    });
  schema
    .command('show <slug> <urn>')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, urn: string, o: { json?: boolean; database: string }) => {
      const e = await withDirectory(o.database, (d) => d.schemas.show(slug, urn));
      const extensionJson = await describer();
      print(!!o.json, extensionJson(e), () => [
        `id        ${e.schema.id}`,
        `name      ${e.schema.name}`,
        `resource  ${e.resource}`,
        `required  ${e.required}`,
        `added     ${e.added}`,
        ...(e.schema.description ? [`about     ${e.schema.description}`] : []),
        'attributes:',
        ...attributeLines(e.schema.attributes),
      ]);
    });
  schema
    .command('remove <slug> <urn>')
    .description('remove an extension: its attributes stop being accepted and returned at once, then its stored values are deleted')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, urn: string, o: { json?: boolean; database: string }) => {
      const r = await working(`removing ${urn} and its stored values`, () => withDirectory(o.database, (d) => d.schemas.remove(slug, urn)));
      print(!!o.json, r, () => [
        `removed extension ${r.urn} from "${slug}"; its values were deleted from ${r.documents} stored ${r.resource === 'Group' ? 'groups' : 'users'}`,
      ]);
    });
}
