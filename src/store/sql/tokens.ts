import type { TokenStore } from '../store.js';
import type { OrganizationRow, TokenRow } from '../types.js';
import type { ActiveToken } from './auth-cache.js';
import type { SqlContext } from './context.js';
import { sql } from './fragment.js';

/** Bearer tokens, stored as hashes; the active ones are served from the store's AuthCache. */
export class SqlTokens implements TokenStore {
  constructor(private readonly c: SqlContext) {}

  async insert(row: TokenRow): Promise<void> {
    await this.c.write(() => this.c.db.insertInto('tokens').values(row).execute());
  }

  async findActive(hash: string): Promise<ActiveToken | undefined> {
    const { auth } = this.c.shared;
    // Served from the cache outside transactions only (a transaction reads its own state).
    const stamp = this.c.reader ? auth.stamp() : undefined;
    const cached = auth.get(hash, stamp);
    if (cached) return cached;
    const [r] = await this.c.rows<Record<string, string>>(sql`
      select t.id as t_id, t.label as t_label, t.hash as t_hash, t.created as t_created, t.last_used as t_last_used, t.scope as t_scope, t.link_id as t_link_id, t.expires_unused as t_expires_unused, t.expires as t_expires, t.last_address as t_last_address, t.client_id as t_client_id, t.grant_family as t_grant_family,
        o.id as o_id, o.slug as o_slug, o.name as o_name, o.settings as o_settings, o.extensions as o_extensions, o.created as o_created
      from tokens t join organizations o on o.id = t.org_id
      where t.hash = ${hash} and t.revoked is null`);
    if (!r) return undefined;
    const found: ActiveToken = {
      token: {
        id: r.t_id!,
        org_id: r.o_id!,
        label: r.t_label!,
        hash: r.t_hash!,
        created: r.t_created!,
        last_used: r.t_last_used ?? null,
        revoked: null,
        scope: r.t_scope as TokenRow['scope'],
        link_id: r.t_link_id ?? null,
        expires_unused: r.t_expires_unused ?? null,
        expires: r.t_expires ?? null,
        last_address: r.t_last_address ?? null,
        client_id: r.t_client_id ?? null,
        grant_family: r.t_grant_family ?? null,
      },
      org: { id: r.o_id!, slug: r.o_slug!, name: r.o_name!, settings: r.o_settings!, extensions: r.o_extensions!, created: r.o_created! },
    };
    auth.set(hash, found, stamp);
    return found;
  }

  async findRevoked(hash: string): Promise<{ token: TokenRow; org: OrganizationRow } | undefined> {
    const token = await this.c.db.selectFrom('tokens').selectAll().where('hash', '=', hash).where('revoked', 'is not', null).executeTakeFirst();
    if (!token) return undefined;
    const org = await this.c.db
      .selectFrom('organizations')
      .select(['id', 'slug', 'name', 'settings', 'extensions', 'created'])
      .where('id', '=', token.org_id)
      .executeTakeFirst();
    return org ? { token, org } : undefined;
  }

  list(orgId: string): Promise<TokenRow[]> {
    return this.c.db.selectFrom('tokens').selectAll().where('org_id', '=', orgId).orderBy('created').orderBy('id').execute();
  }

  async revoke(orgId: string, id: string, at: string): Promise<boolean> {
    const r = await this.c.db
      .updateTable('tokens')
      .set({ revoked: at })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('revoked', 'is', null)
      .executeTakeFirst();
    await this.c.changedAuth();
    return Number(r.numUpdatedRows) > 0;
  }

  async confirmUse(id: string, at: string): Promise<void> {
    await this.c.db.updateTable('tokens').set({ expires_unused: null, last_used: at }).where('id', '=', id).execute();
    await this.c.changedAuth();
  }

  async revokeIssuedBy(orgId: string, linkId: string, at: string, label?: string): Promise<string[]> {
    let q = this.c.db.updateTable('tokens').set({ revoked: at }).where('org_id', '=', orgId).where('link_id', '=', linkId).where('revoked', 'is', null);
    if (label !== undefined) q = q.where('label', '=', label);
    const rows = await q.returning('id').execute();
    if (rows.length > 0) await this.c.changedAuth();
    return rows.map((r) => r.id);
  }

  async expiringInUse(before: string, usedSince: string): Promise<{ slug: string; tokens: number }[]> {
    // Static tokens; an OAuth client's access tokens renew themselves, so for a secret client it
    // is the client that counts, when every live secret of it expires within the window.
    const rows = await this.c.rows<{ slug: string; n: number | string }>(sql`
      select slug, sum(n) as n from (
        select o.slug as slug, count(*) as n from tokens t join organizations o on o.id = t.org_id
        where t.revoked is null and t.expires is not null and t.expires < ${before} and t.last_used >= ${usedSince} and t.client_id is null
        group by o.slug
        union all
        select o.slug as slug, count(*) as n from oauth_clients c join organizations o on o.id = c.org_id
        where c.removed is null and c.auth = 'secret'
          and exists (select 1 from tokens t where t.client_id = c.id and t.last_used >= ${usedSince})
          and not exists (select 1 from oauth_client_secrets s where s.client_id = c.id and s.removed is null and s.expires >= ${before})
        group by o.slug
      ) x group by slug`);
    return rows.map((r) => ({ slug: r.slug, tokens: Number(r.n) }));
  }

  async touch(id: string, at: string, address: string | null): Promise<void> {
    await this.c.db.updateTable('tokens').set({ last_used: at, last_address: address }).where('id', '=', id).execute();
  }
}
