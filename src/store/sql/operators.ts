import type { AuditQuery, AuditStore, OperatorStore } from '../store.js';
import type { AuditRow, NewAuditRow, OperatorRow } from '../types.js';
import type { SqlContext } from './context.js';

/** The console's operators (migration 022). */
export class SqlOperators implements OperatorStore {
  constructor(private readonly c: SqlContext) {}

  async insert(row: OperatorRow): Promise<void> {
    await this.c.db.insertInto('operators').values(row).execute();
  }

  get(id: string): Promise<OperatorRow | undefined> {
    return this.c.db.selectFrom('operators').selectAll().where('id', '=', id).executeTakeFirst();
  }

  byEmail(emailCi: string): Promise<OperatorRow | undefined> {
    return this.c.db.selectFrom('operators').selectAll().where('email_ci', '=', emailCi).executeTakeFirst();
  }

  bySubject(iss: string, sub: string): Promise<OperatorRow | undefined> {
    return this.c.db.selectFrom('operators').selectAll().where('iss', '=', iss).where('sub', '=', sub).executeTakeFirst();
  }

  list(): Promise<OperatorRow[]> {
    return this.c.db.selectFrom('operators').selectAll().orderBy('email_ci').execute();
  }

  async update(id: string, changes: Partial<Omit<OperatorRow, 'id'>>): Promise<boolean> {
    const r = await this.c.db.updateTable('operators').set(changes).where('id', '=', id).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.c.db.deleteFrom('operators').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }

  async endSessions(operatorId: string, at: string): Promise<void> {
    await this.c.db.updateTable('console_sessions').set({ ended: at }).where('operator_id', '=', operatorId).where('ended', 'is', null).execute();
  }
}

/** The audit trail (migration 022): appended to, read, and trimmed by retention only. */
export class SqlAudit implements AuditStore {
  constructor(private readonly c: SqlContext) {}

  async insert(row: NewAuditRow): Promise<void> {
    await this.c.db.insertInto('audit_log').values(row).execute();
  }

  list(q: AuditQuery): Promise<AuditRow[]> {
    let s = this.c.db.selectFrom('audit_log').selectAll();
    if (q.orgId !== undefined) s = s.where('org_id', '=', q.orgId);
    if (q.orgSlug !== undefined) s = s.where('org', '=', q.orgSlug);
    if (q.orgIds !== undefined) s = q.orgIds.length ? s.where('org_id', 'in', q.orgIds) : s.where('org_id', '=', '\u0000none');
    if (q.actor !== undefined) s = s.where((eb) => eb.or([eb('actor', '=', q.actor!), eb('actor_id', '=', q.actor!)]));
    if (q.since !== undefined) s = s.where('at', '>=', q.since);
    if (q.outcome !== undefined) s = s.where('outcome', '=', q.outcome);
    if (q.after !== undefined) s = s.where('id', '>', q.after);
    if (q.before !== undefined) s = s.where('id', '<', q.before);
    return s
      .orderBy('id', q.order === 'asc' ? 'asc' : 'desc')
      .limit(q.limit)
      .execute();
  }

  async prune(before: string): Promise<number> {
    const r = await this.c.db.deleteFrom('audit_log').where('at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
