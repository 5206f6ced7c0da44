import type { ClientStore } from '../store.js';
import type { OAuthClientRow, OAuthClientSecretRow, OAuthCodeRow, OAuthRefreshTokenRow } from '../types.js';
import type { SqlContext } from './context.js';

/** OAuth clients and their secrets; removing a client revokes its access tokens (the token cache hears of it on every node). */
export class SqlClients implements ClientStore {
  constructor(private readonly c: SqlContext) {}

  async insert(row: OAuthClientRow): Promise<void> {
    await this.c.db.insertInto('oauth_clients').values(row).execute();
  }

  get(orgId: string, id: string): Promise<OAuthClientRow | undefined> {
    return this.c.db.selectFrom('oauth_clients').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  }

  list(orgId: string): Promise<OAuthClientRow[]> {
    return this.c.db.selectFrom('oauth_clients').selectAll().where('org_id', '=', orgId).orderBy('created').orderBy('id').execute();
  }

  async remove(orgId: string, id: string, at: string): Promise<boolean> {
    const r = await this.c.db
      .updateTable('oauth_clients')
      .set({ removed: at })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('removed', 'is', null)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return false;
    await this.c.db.updateTable('tokens').set({ revoked: at }).where('org_id', '=', orgId).where('client_id', '=', id).where('revoked', 'is', null).execute();
    await this.c.changedAuth();
    return true;
  }

  async insertSecret(row: OAuthClientSecretRow): Promise<void> {
    await this.c.db.insertInto('oauth_client_secrets').values(row).execute();
  }

  secrets(clientId: string): Promise<OAuthClientSecretRow[]> {
    return this.c.db.selectFrom('oauth_client_secrets').selectAll().where('client_id', '=', clientId).orderBy('created').orderBy('id').execute();
  }

  async removeSecret(clientId: string, id: string, at: string): Promise<boolean> {
    const r = await this.c.db
      .updateTable('oauth_client_secrets')
      .set({ removed: at })
      .where('client_id', '=', clientId)
      .where('id', '=', id)
      .where('removed', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async forgetAssertionIds(before: string): Promise<void> {
    await this.c.db.deleteFrom('oauth_assertion_ids').where('expires', '<', before).execute();
  }

  async useAssertionId(clientId: string, jtiHash: string, expires: string): Promise<boolean> {
    const r = await this.c.db
      .insertInto('oauth_assertion_ids')
      .values({ client_id: clientId, jti_hash: jtiHash, expires })
      .onConflict((oc) => oc.columns(['client_id', 'jti_hash']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async insertCode(row: OAuthCodeRow): Promise<void> {
    // Codes live a minute: the expired ones go as new ones come.
    await this.c.db
      .deleteFrom('oauth_codes')
      .where('expires', '<', new Date(Date.now() - 86_400_000).toISOString())
      .execute();
    await this.c.db.insertInto('oauth_codes').values(row).execute();
  }

  async takeCode(hash: string, at: string): Promise<{ row: OAuthCodeRow; first: boolean } | undefined> {
    const r = await this.c.db.updateTable('oauth_codes').set({ used: at }).where('hash', '=', hash).where('used', 'is', null).executeTakeFirst();
    const row = await this.c.db.selectFrom('oauth_codes').selectAll().where('hash', '=', hash).executeTakeFirst();
    return row ? { row, first: Number(r.numUpdatedRows) > 0 } : undefined;
  }

  async insertRefreshToken(row: OAuthRefreshTokenRow): Promise<void> {
    await this.c.db.insertInto('oauth_refresh_tokens').values(row).execute();
  }

  async takeRefreshToken(hash: string, at: string): Promise<{ row: OAuthRefreshTokenRow; first: boolean } | undefined> {
    const r = await this.c.db
      .updateTable('oauth_refresh_tokens')
      .set({ used: at })
      .where('hash', '=', hash)
      .where('used', 'is', null)
      .where('revoked', 'is', null)
      .executeTakeFirst();
    const row = await this.c.db.selectFrom('oauth_refresh_tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
    return row ? { row, first: Number(r.numUpdatedRows) > 0 } : undefined;
  }

  async revokeFamily(family: string, at: string): Promise<void> {
    await this.c.db.updateTable('oauth_refresh_tokens').set({ revoked: at }).where('family', '=', family).where('revoked', 'is', null).execute();
    await this.c.db.updateTable('tokens').set({ revoked: at }).where('grant_family', '=', family).where('revoked', 'is', null).execute();
    await this.c.changedAuth();
  }
}
