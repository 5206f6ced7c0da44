import { Option, type Command } from 'commander';
import type { SetForm } from '../events/security-events.js';
import type { WebhookFormat } from '../events/webhooks.js';
import { CliError, databaseOption, positive, privateWebhooksOption, withWebhooks, type Io, type Print } from './common.js';

/** `rollcall webhook ...`: endpoints, their delivery log, and a test send. */
export function addWebhookCommands(program: Command, io: Io, print: Print): void {
  const webhook = program.command('webhook').description('manage webhook endpoints');
  webhook
    .command('add <slug> <url>')
    .description('add an endpoint; its signing secret is printed once, alone on the last line')
    .option('--events <types>', 'comma-separated event types (default: all)')
    .option('--secret <secret>', 'signing secret (default: generated)')
    .option('--format <format>', 'json (Rollcall events) or set (security event tokens, RFC 8935)', 'json')
    .option('--set-form <form>', 'for --format set: full (with the data) or notice (attribute names only)', 'full')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .addOption(privateWebhooksOption())
    .action(
      async (
        slug: string,
        url: string,
        o: { events?: string; secret?: string; format: string; setForm: string; json?: boolean; database: string; allowPrivateWebhooks?: boolean },
      ) => {
        const created = await withWebhooks(
          o.database,
          (w) =>
            w.add(slug, {
              url,
              ...(o.events
                ? {
                    events: o.events
                      .split(',')
                      .map((e) => e.trim())
                      .filter(Boolean),
                  }
                : {}),
              ...(o.secret ? { secret: o.secret } : {}),
              format: o.format as WebhookFormat,
              form: o.setForm as SetForm,
            }),
          !!o.allowPrivateWebhooks,
        );
        const kind = created.format === 'set' ? `security event tokens, ${created.form} form; verify them with the organization's JWKS` : 'Rollcall events';
        print(!!o.json, created, () => [
          `added webhook ${created.id} -> ${created.url} (${created.events.length ? created.events.join(',') : 'all events'}; ${kind}); signing secret, shown once:`,
          created.secret,
        ]);
      },
    );
  webhook
    .command('list <slug>')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, o: { json?: boolean; database: string }) => {
      const list = await withWebhooks(o.database, (w) => w.list(slug));
      print(!!o.json, list, () =>
        list.length
          ? list.map(
              (h) =>
                `${h.id}\t${h.url}\t${h.state}\tdelivered through ${h.cursor}\t${h.events.length ? h.events.join(',') : 'all events'}${h.attempts ? `\t${h.attempts} failed attempts` : ''}${h.format === 'set' ? `\tsecurity event tokens (${h.form})` : ''}`,
            )
          : ['no webhooks'],
      );
    });
  webhook
    .command('remove <slug> <webhook-id>')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, id: string, o: { json?: boolean; database: string }) => {
      await withWebhooks(o.database, (w) => w.remove(slug, id));
      print(!!o.json, { removed: id }, () => [`removed webhook ${id}`]);
    });
  webhook
    .command('enable <slug> <webhook-id>')
    .description('re-enable an endpoint (a failing one resumes from its last delivered event)')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, id: string, o: { json?: boolean; database: string }) => {
      await withWebhooks(o.database, (w) => w.update(slug, id, { enabled: true }));
      print(!!o.json, { enabled: id }, () => [`enabled webhook ${id}`]);
    });
  webhook
    .command('disable <slug> <webhook-id>')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, id: string, o: { json?: boolean; database: string }) => {
      await withWebhooks(o.database, (w) => w.update(slug, id, { enabled: false }));
      print(!!o.json, { disabled: id }, () => [`disabled webhook ${id}`]);
    });
  webhook
    .command('test <slug> <webhook-id>')
    .description('send a signed webhook.test event now (to a "set" endpoint: a verification SET) and show the outcome')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .addOption(privateWebhooksOption())
    .addOption(new Option('--public-url <url>', "the servers' public URL, named in a test SET's iss").env('ROLLCALL_PUBLIC_URL'))
    .action(async (slug: string, id: string, o: { json?: boolean; database: string; allowPrivateWebhooks?: boolean; publicUrl?: string }) => {
      const r = await withWebhooks(o.database, (w) => w.test(slug, id), !!o.allowPrivateWebhooks, o.publicUrl);
      print(!!o.json, r, () => [r.error ? `failed: ${r.error} (${r.latencyMs} ms)` : `delivered: HTTP ${r.status} (${r.latencyMs} ms)`]);
      if (r.error) throw new CliError(`webhook test failed: ${r.error}`);
    });
  webhook
    .command('deliveries <slug> <webhook-id>')
    .description('the delivery log, newest first')
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, id: string, o: { limit: string; json?: boolean; database: string }) => {
      const list = await withWebhooks(o.database, (w) => w.deliveries(slug, id, positive('--limit', o.limit)));
      print(!!o.json, list, () =>
        list.length
          ? list.map((d) => `${d.at}\tevent ${d.eventSeq}\tattempt ${d.attempt}\t${d.status ?? '-'}\t${d.latencyMs} ms${d.error ? `\t${d.error}` : ''}`)
          : ['no deliveries'],
      );
    });
}
