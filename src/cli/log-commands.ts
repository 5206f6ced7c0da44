import { Option, type Command } from 'commander';
import { CLIENT_IDS } from '../service/log/clients.js';
import type { LogEntry } from '../service/log/entry.js';
import type { Health } from '../service/log/health.js';
import { LogFilterError, parseDuration } from '../service/log/durations.js';
import type { LogFilter } from '../service/log/provisioning-log.js';
import { CliError, databaseOption, origin, publicUrlOption, withWiring, type Io, type Print } from './common.js';

function entryLine(e: LogEntry): string {
  const who = e.resource?.name ?? e.resource?.id ?? '';
  const parts = [e.at, String(e.status), `${e.method} ${e.path}`, `${e.ms} ms`, e.client, e.token ?? '-', who];
  if (e.status >= 400 && e.detail) parts.push(`${e.scimType ? `${e.scimType}: ` : ''}${e.detail}`);
  return parts.filter((p) => p !== '').join('  ');
}

const ago = (iso: string | null, now = Date.now()): string => {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  const text = s < 90 ? `${s} s` : s < 5400 ? `${Math.round(s / 60)} min` : s < 129600 ? `${Math.round(s / 3600)} h` : `${Math.round(s / 86400)} days`;
  return `${iso} (${text} ago)`;
};

export function healthLines(h: Health): string[] {
  const lines = [
    `${h.organization}: ${h.status}${h.clientName ? ` (${h.clientName})` : ''}`,
    `last request   ${ago(h.lastRequestAt)}`,
    `first request  ${ago(h.firstRequestAt)}`,
    `last hour      ${h.requests1h} requests, ${h.errors1h} refused (${h.clientErrors1h} 4xx, ${h.serverErrors1h} 5xx)`,
    `last 24 hours  ${h.requests24h} requests, ${h.errors24h} refused (${h.clientErrors24h} 4xx, ${h.serverErrors24h} 5xx)`,
  ];
  if (h.lastError)
    lines.push(`last error     ${h.lastError.status} ${h.lastError.request ?? ''} at ${h.lastError.at}${h.lastError.detail ? `: ${h.lastError.detail}` : ''}`);
  if (h.unattributed.requests24h)
    lines.push(
      `unattributed   ${h.unattributed.requests24h} refused in 24 hours without one of its credentials (a mistyped or another organization's token at its URL; not counted in its state)`,
    );
  if (h.tokens.length) {
    lines.push('credentials (worst first):');
    for (const t of h.tokens)
      lines.push(
        `  ${t.label ?? t.tokenId}\t${t.scope ?? 'deleted'}${t.revoked ? ' (revoked)' : ''}\t${t.status}\tlast request ${t.lastRequestAt ?? 'never'}${t.clientName ? `\t${t.clientName}` : ''}${t.expiring ? `\tEXPIRING ${t.expires}` : ''}`,
      );
  }
  const d = h.deprovisioning;
  const ms = (v: number | null) => (v === null ? '-' : v < 1000 ? `${v} ms` : `${(v / 1000).toFixed(1)} s`);
  lines.push(
    `deprovisioning ${d.count24h} deactivations and deletions in 24 hours; acknowledged (by ${d.acknowledgedBy}) in p50 ${ms(d.p50Ms)}, p95 ${ms(d.p95Ms)}, slowest ${ms(d.maxMs)}; ${d.pending} pending`,
  );
  if (d.overdue)
    lines.push(
      `warning: ${d.overdue} deactivation${d.overdue > 1 ? 's' : ''} not acknowledged by the application after 5 minutes: its webhook, feed reader or handler is behind (docs/integrating.md#proof-of-deprovisioning)`,
    );
  for (const t of h.tokens.filter((x) => x.expiring))
    lines.push(
      `warning: token "${t.label ?? t.tokenId}" is in use and expires ${t.expires}: issue a new one, give it to the identity provider, then revoke this one`,
    );
  return lines;
}

/** `rollcall log` and `rollcall org health`. */
export function addLogCommands(program: Command, org: Command, io: Io, print: Print): void {
  program
    .command('log <slug>')
    .description("an organization's provisioning log: every SCIM request, oldest first (the newest --limit)")
    .option('--status <status>', '4xx, 5xx, errors or one status code')
    .addOption(new Option('--client <client>', 'the identity provider').choices(CLIENT_IDS))
    .option('--since <when>', 'a duration back from now (90s, 15m, 1h, 7d) or an ISO time')
    .option('--resource <id-or-name>', 'a user or group id, userName or displayName')
    .option('--limit <n>', 'entries to print (at most 1000)', '50')
    .option('--json', 'one JSON object per line')
    .option('--follow', 'keep printing new entries until interrupted')
    .addOption(databaseOption())
    .action(
      async (
        slug: string,
        o: { status?: string; client?: string; since?: string; resource?: string; limit: string; json?: boolean; follow?: boolean; database: string },
      ) => {
        const limit = Number(o.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CliError(`invalid --limit "${o.limit}" (1 to 1000)`);
        const filter: LogFilter = {
          ...(o.status ? { status: o.status } : {}),
          ...(o.client ? { client: o.client } : {}),
          ...(o.since ? { since: o.since } : {}),
          ...(o.resource ? { resource: o.resource } : {}),
        };
        const show = (e: LogEntry) => io.out(o.json ? JSON.stringify(e) : entryLine(e));
        await withWiring(o.database, async (w) => {
          const log = w.log!;
          const target = await w.directory.organizations.get(slug);
          try {
            const entries = (await log.list(target, { ...filter, limit })).reverse();
            if (!o.json && !o.follow && entries.length === 0) io.out('no entries');
            for (const e of entries) show(e);
            if (!o.follow) return;
            // Polls once a second from the newest entry seen; --since applied only to the first read.
            let after = entries.length ? entries[entries.length - 1]!.id : ((await log.list(target, { limit: 1 }))[0]?.id ?? 0);
            const { since: _since, ...rest } = filter;
            let stopped = false;
            const stop = () => (stopped = true);
            process.once('SIGINT', stop);
            process.once('SIGTERM', stop);
            while (!stopped) {
              const next = await log.list(target, { ...rest, after, limit: 1000 });
              for (const e of next) show(e);
              if (next.length) after = next[next.length - 1]!.id;
              else await new Promise((r) => setTimeout(r, 1000));
            }
          } catch (err) {
            if (err instanceof LogFilterError) throw new CliError(err.message);
            throw err;
          }
        });
      },
    );

  org
    .command('health <slug>')
    .description("an organization's connection health: state, recent requests and errors, per token")
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, o: { json?: boolean; database: string }) => {
      const health = await withWiring(o.database, async (w) => w.log!.health(await w.directory.organizations.get(slug)));
      print(!!o.json, health, () => healthLines(health));
    });
}

function lifetime(text: string, name: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new CliError(`invalid ${name} "${text}" (a duration such as 30m, 12h, 7d)`);
  return ms;
}

/** `rollcall org setup-link` and `rollcall admin login-link`: one-time URLs, alone on the last line. */
export function addLinkCommands(program: Command, org: Command, io: Io): Command {
  org
    .command('setup-link <slug>')
    .description("a one-time link for the organization's IT admin to connect their identity provider (printed alone on the last line)")
    .option('--expires <duration>', 'how long the link (and the session it opens) lasts', '7d')
    .option('--json', 'print JSON: id, url, expires')
    .addOption(publicUrlOption())
    .addOption(databaseOption())
    .action(async (slug: string, o: { expires: string; json?: boolean; publicUrl?: string; database: string }) => {
      const ms = lifetime(o.expires, '--expires');
      const base = origin(o.publicUrl);
      const { secret, link } = await withWiring(o.database, (w) => w.directory.access.createSetupLink(slug, ms));
      if (o.json) return io.out(JSON.stringify({ id: link.id, organization: slug, url: `${base}/setup/${secret}`, expires: link.expires }, null, 2));
      io.out(`setup link ${link.id} for "${slug}", valid once until ${link.expires}${o.publicUrl ? '' : ` (no --public-url: pointing at ${base})`}:`);
      io.out(`${base}/setup/${secret}`);
    });
  org
    .command('setup-links <slug>')
    .description("the organization's setup links: created, expires, opened, revoked (never the links themselves)")
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, o: { json?: boolean; database: string }) => {
      const links = await withWiring(o.database, (w) => w.directory.access.listSetupLinks(slug));
      if (o.json) return io.out(JSON.stringify(links, null, 2));
      if (links.length === 0) return io.out('no setup links');
      for (const l of links)
        io.out(`${l.id}\tcreated ${l.created}\texpires ${l.expires}\t${l.revoked ? `revoked ${l.revoked}` : l.used ? `opened ${l.used}` : 'not opened'}`);
    });
  org
    .command('revoke-setup-link <slug> <link-id>')
    .description('revoke a setup link, end the session it opened, revoke the tokens it issued and remove the clients its page added')
    .option('--json', 'print JSON: the link, and the tokens and clients it took with it')
    .addOption(databaseOption())
    .action(async (slug: string, id: string, o: { json?: boolean; database: string }) => {
      const r = await withWiring(o.database, (w) => w.directory.access.revokeSetupLink(slug, id));
      if (o.json) return io.out(JSON.stringify({ revoked: id, tokens: r.tokens, clients: r.clients }, null, 2));
      io.out(`revoked setup link ${id}${r.tokens.length ? `, ${r.tokens.length} token(s)` : ''}${r.clients.length ? `, ${r.clients.length} client(s)` : ''}`);
    });
  const admin = program.command('admin').description('the operator console: login links, operators');
  admin
    .command('login-link')
    .description("a one-time link that opens a console session (printed alone on the last line): a named operator's, or a break-glass admin's")
    .option('--expires <duration>', 'how long the link stays usable', '15m')
    .option('--operator <email>', 'the operator the session acts as (their role and organizations); without it, an admin recorded as the link')
    .option('--json', 'print JSON: url, expires, operator')
    .addOption(publicUrlOption())
    .addOption(databaseOption())
    .action(async (o: { expires: string; operator?: string; json?: boolean; publicUrl?: string; database: string }) => {
      const ms = lifetime(o.expires, '--expires');
      const base = origin(o.publicUrl);
      const { secret, link, operator } = await withWiring(o.database, async (w) => {
        const named = o.operator === undefined ? undefined : await w.directory.operators.get(o.operator);
        return { ...(await w.directory.access.createLoginLink(ms, named?.id ?? null)), operator: named };
      });
      if (o.json) return io.out(JSON.stringify({ url: `${base}/admin/login/${secret}`, expires: link.expires, operator: operator?.email ?? null }, null, 2));
      io.out(
        `console login link${operator ? ` for ${operator.email} (${operator.role})` : ' (break-glass: an admin, recorded as the link)'}, valid once until ${link.expires}${o.publicUrl ? '' : ` (no --public-url: pointing at ${base})`}:`,
      );
      io.out(`${base}/admin/login/${secret}`);
    });
  return admin;
}
