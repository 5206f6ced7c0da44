/**
 * An application that embeds Rollcall: its own fastify server serves SCIM at /scim/v2 and keeps
 * its own `accounts` table in sync from Rollcall's events (create, rename, deactivate, reactivate,
 * group membership). It reads the durable feed from a stored cursor, so nothing is lost across
 * restarts, and is woken by `onEvent` as changes commit.
 */
import Database from 'better-sqlite3';
import Fastify, { type FastifyInstance } from 'fastify';
import { createRollcall, ScimError, type DirectoryEvent, type Rollcall } from 'rollcall';

export interface ExampleOptions {
  /** Rollcall's database. */
  readonly database: string;
  /** The application's own database. */
  readonly accountsFile: string;
  /** The organization whose directory feeds the accounts. */
  readonly org: string;
  /** Refuse new users beyond this many active accounts. */
  readonly seats?: number;
}

export interface ExampleApp {
  readonly server: FastifyInstance;
  readonly rollcall: Rollcall;
  readonly accounts: Database.Database;
  /** Applies every event not yet applied; resolves when caught up. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export async function createExampleApp(options: ExampleOptions): Promise<ExampleApp> {
  const accounts = new Database(options.accountsFile);
  accounts.exec(`
    create table if not exists accounts (id text primary key, email text not null, name text, active integer not null);
    create table if not exists memberships (account_id text not null, group_id text not null, primary key (account_id, group_id));
    create table if not exists sync_state (org text primary key, cursor integer not null);
  `);

  const rollcall = await createRollcall({
    database: options.database,
    hooks: {
      // An application rule Rollcall knows nothing of: a seat limit.
      beforeUserCreate() {
        const { n } = accounts.prepare('select count(*) as n from accounts where active = 1').get() as { n: number };
        if (options.seats !== undefined && n >= options.seats) {
          throw new ScimError(403, `All ${options.seats} seats are taken; unassign someone or buy more seats.`);
        }
      },
    },
  });

  // The application owns one organization; create it on the first run.
  if (!(await rollcall.directory.organizations.list()).some((o) => o.slug === options.org)) await rollcall.directory.organizations.create(options.org);

  const cursor = () => (accounts.prepare('select cursor from sync_state where org = ?').get(options.org) as { cursor: number } | undefined)?.cursor ?? 0;
  const apply = accounts.transaction((event: DirectoryEvent) => {
    const data = event.data as Record<string, any>;
    switch (event.type) {
      case 'user.created': {
        const u = data.user;
        accounts
          .prepare('insert or replace into accounts (id, email, name, active) values (?, ?, ?, ?)')
          .run(u.id, u.userName, u.displayName ?? [u.name?.givenName, u.name?.familyName].filter(Boolean).join(' ') ?? null, u.active === false ? 0 : 1);
        break;
      }
      case 'user.updated': {
        const after = data.after as Record<string, unknown>;
        if ('userName' in after) accounts.prepare('update accounts set email = ? where id = ?').run(after.userName, event.resourceId);
        if ('displayName' in after) accounts.prepare('update accounts set name = ? where id = ?').run(after.displayName, event.resourceId);
        break;
      }
      case 'user.deactivated':
        accounts.prepare('update accounts set active = 0 where id = ?').run(event.resourceId);
        break;
      case 'user.reactivated':
        accounts.prepare('update accounts set active = 1 where id = ?').run(event.resourceId);
        break;
      case 'user.deleted':
        accounts.prepare('delete from accounts where id = ?').run(event.resourceId);
        accounts.prepare('delete from memberships where account_id = ?').run(event.resourceId);
        break;
      case 'group.members_added':
        for (const id of data.members as string[]) accounts.prepare('insert or ignore into memberships values (?, ?)').run(id, event.resourceId);
        break;
      case 'group.members_removed':
        for (const id of data.members as string[]) accounts.prepare('delete from memberships where account_id = ? and group_id = ?').run(id, event.resourceId);
        break;
      case 'group.deleted':
        accounts.prepare('delete from memberships where group_id = ?').run(event.resourceId);
        break;
      default:
        // Other events (groups' names, roles, tokens, schemas) do not touch this application's tables.
        break;
    }
    accounts.prepare('insert into sync_state (org, cursor) values (?, ?) on conflict(org) do update set cursor = excluded.cursor').run(options.org, event.seq);
  });

  let running: Promise<void> = Promise.resolve();
  const sync = () => {
    running = running.then(async () => {
      for (;;) {
        const batch = await rollcall.events(options.org, cursor(), 500);
        for (const event of batch) apply(event);
        if (batch.length < 500) return;
      }
    });
    return running;
  };
  const unsubscribe = rollcall.onEvent((event) => {
    if (event.organization === options.org) void sync();
  });

  const server = Fastify();
  await server.register(rollcall.scim, { prefix: '/scim/v2' });
  server.get('/accounts', async () => accounts.prepare('select * from accounts order by email').all());
  await sync();

  return {
    server,
    rollcall,
    accounts,
    sync,
    async close() {
      unsubscribe();
      await running;
      await server.close();
      await rollcall.close();
      accounts.close();
    },
  };
}
