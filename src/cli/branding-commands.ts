import type { Command } from 'commander';
import type { Branding, Logo } from '../service/branding.js';
import { CliError, databaseOption, withDirectory, type Print } from './common.js';

/** What the CLI prints of a branding: the logo by its type and size, never its bytes. */
function view(b: Branding) {
  return {
    productName: b.productName ?? null,
    accent: b.accent ?? null,
    logo: b.logo ? { type: b.logo.type, bytes: b.logo.data.length } : null,
  };
}

function lines(b: Branding): string[] {
  return [
    `product name  ${b.productName ?? '(none: the setup pages say "Provisioning setup" and "this application")'}`,
    `accent        ${b.accent ?? '(none)'}`,
    `logo          ${b.logo ? `${b.logo.type}, ${b.logo.data.length} bytes` : '(none)'}`,
  ];
}

/**
 * `rollcall branding`: the product name, accent colour and logo of the pages the customer's IT
 * admin sees. Stored in the database (every node, the console), before the configuration file's
 * `brand`; `unset` returns a field to the file's.
 */
export function addBrandingCommands(program: Command, print: Print): void {
  const branding = program.command('branding').description("the customer-facing setup pages' product name, accent colour and logo");
  branding
    .command('show')
    .description("the branding the setup pages use (what was set here or in the console; the configuration file's is applied by `serve`)")
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (o: { json?: boolean; database: string }) => {
      const b = await withDirectory(o.database, (d) => d.branding.current());
      print(!!o.json, view(b), () => lines(b));
    });
  branding
    .command('set')
    .description('set the product name, accent colour or logo (each checked first: one bad value sets nothing)')
    .option('--name <name>', 'the product name (1 to 60 characters)')
    .option('--accent <#rrggbb>', 'the accent colour')
    .option('--logo <file>', 'a PNG, JPEG, WebP or SVG file, at most 256 KiB')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (o: { name?: string; accent?: string; logo?: string; json?: boolean; database: string }) => {
      if (o.name === undefined && o.accent === undefined && o.logo === undefined) throw new CliError('nothing to set: give --name, --accent or --logo');
      const { checkLogo } = await import('../service/branding.js');
      const { readFile } = await import('node:fs/promises');
      let logo: Logo | undefined;
      if (o.logo !== undefined) {
        const data = await readFile(o.logo).catch((err: NodeJS.ErrnoException) => {
          throw new CliError(`cannot read the logo file ${o.logo}: ${err.code ?? err.message}`);
        });
        logo = checkLogo(data);
      }
      const b = await withDirectory(o.database, (d) =>
        d.branding.set({
          ...(o.name !== undefined ? { productName: o.name } : {}),
          ...(o.accent !== undefined ? { accent: o.accent } : {}),
          ...(logo ? { logo } : {}),
        }),
      );
      print(!!o.json, view(b), () => lines(b));
    });
  branding
    .command('unset')
    .description("return fields to the configuration file's (all of them when none is named)")
    .option('--name', 'the product name')
    .option('--accent', 'the accent colour')
    .option('--logo', 'the logo')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (o: { name?: boolean; accent?: boolean; logo?: boolean; json?: boolean; database: string }) => {
      const all = !o.name && !o.accent && !o.logo;
      const b = await withDirectory(o.database, (d) =>
        d.branding.set({
          ...(all || o.name ? { productName: null } : {}),
          ...(all || o.accent ? { accent: null } : {}),
          ...(all || o.logo ? { logo: null } : {}),
        }),
      );
      print(!!o.json, view(b), () => lines(b));
    });
}
