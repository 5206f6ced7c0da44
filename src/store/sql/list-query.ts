import type { DialectAdapter } from '../dialects/dialect.js';
import type { Page, ResourceQuery } from '../store.js';
import { USER_TABLE, type ResourceTable } from './columns.js';
import type { SqlContext } from './context.js';
import { compileFilter, sortExpression } from './filter-to-sql.js';
import { sql, type Fragment } from './fragment.js';

/** The statements of a list: the total and the page. */
export interface ListStatements {
  readonly count: Fragment;
  readonly page: Fragment;
  /** The list without its page: what identifies it for keyset paging. */
  readonly list: Fragment;
}

/**
 * The statements of a list query (RFC 7644 §3.4.2): filter, sort and page of one resource table,
 * all in the database. Exported for EXPLAIN tests.
 */
export function listQuery(
  orgId: string,
  query: ResourceQuery & { afterSeq?: number },
  adapter: DialectAdapter,
  table: ResourceTable,
  extra: readonly Fragment[] = [],
): ListStatements {
  const a = table.alias;
  const where = query.filter ? compileFilter(query.filter, orgId, adapter, table) : sql`1 = 1`;
  const seq = sql.ref(`${a}.seq`);
  // With a filter, `seq + 0` keeps the planner from walking the whole table in seq order hoping
  // to meet enough matches for the LIMIT early (PostgreSQL does that on a misestimate): the
  // filter's indexes find the matches, which are then sorted.
  const bySeq = query.filter ? sql`${seq} + 0` : seq;
  // LIMIT is written into the statement: SQLite plans a bound LIMIT more slowly (about 12 µs a
  // lookup), and page sizes are few. It is an integer checked here, never request text.
  if (!Number.isSafeInteger(query.limit) || query.limit < 0) throw new Error(`invalid limit ${query.limit}`);
  const limit = sql.raw(String(query.limit));
  let order: Fragment = bySeq;
  if (query.sortBy) {
    const key = sortExpression(query.sortBy, table);
    order = query.descending ? sql`(${key} is null), ${key} desc, ${seq}` : sql`(${key} is null), ${key}, ${seq}`;
  }
  const cols = sql.join([...table.select.map((c) => sql.ref(`${a}.${c}`)), sql`${seq} as _seq`, ...extra]);
  const from = sql`from ${sql.raw(table.table)} ${sql.raw(a)} where ${sql.ref(`${a}.org_id`)} = ${orgId} and ${where}`;
  return {
    count: sql`select count(*) as n ${from}`,
    list: from,
    page:
      query.afterSeq !== undefined
        ? sql`select ${cols} ${from} and ${seq} > ${query.afterSeq} order by ${bySeq} limit ${limit}`
        : sql`select ${cols} ${from} order by ${order} limit ${limit} offset ${query.offset}`,
  };
}

/**
 * One page of a list. Without sortBy, pages follow creation order (`seq`), and a page that
 * continues a page this process served starts after the last `seq` it returned (keyset
 * pagination) instead of skipping rows with OFFSET, so walking a large organization costs the
 * same at its end as at its start.
 */
export async function readPage<R>(c: SqlContext, orgId: string, query: ResourceQuery, build: (q: ResourceQuery & { afterSeq?: number }) => ListStatements): Promise<Page<R & { _seq?: number }>> {
  const q = build(query);
  if (query.limit === 0) return { total: await count(c, q.count), rows: [] };
  let page = q.page;
  // The list's cursor key is computed only when a cursor is read (a later page) or written (a
  // full page): a lookup answering one user needs neither.
  const cursors = c.shared.cursors;
  let key: string | undefined;
  const keyOf = () => (key ??= cursors.key(orgId, q.list, query.offset));
  const afterSeq = !query.sortBy && query.offset > 0 ? cursors.get(keyOf()) : undefined;
  if (afterSeq !== undefined) page = build({ ...query, afterSeq }).page;
  const rows = await c.rows<R & { _seq?: number }>(page);
  if (!query.sortBy && rows.length === query.limit) cursors.set(cursors.next(keyOf(), query.offset + query.limit), Number(rows[rows.length - 1]!._seq));
  // A first page that is not full holds every match: no count needed (the IdP lookup case).
  if (query.offset === 0 && rows.length < query.limit) return { total: rows.length, rows };
  return { total: await count(c, q.count), rows };
}

async function count(c: SqlContext, statement: Fragment): Promise<number> {
  const [r] = await c.rows<{ n: number | string }>(statement);
  return Number(r?.n ?? 0);
}

/**
 * Where pages end, per list: (organization, filter) and offset → the `seq` of the row before that
 * offset. In-process and bounded; another process (or an evicted entry) falls back to OFFSET.
 */
export class PageCursors {
  private readonly entries = new Map<string, number>();

  /** The key of a page: the list (the statement without its page) and the offset. */
  key(orgId: string, list: Fragment, offset: number): string {
    const { sql: text, parameters } = list.render('question');
    return `${orgId}\u0000${text}\u0000${JSON.stringify(parameters)}\u0000${offset}`;
  }

  /** The key of the page at `offset` in the same list as `key`. */
  next(key: string, offset: number): string {
    return `${key.slice(0, key.lastIndexOf('\u0000'))}\u0000${offset}`;
  }

  get(key: string): number | undefined {
    return this.entries.get(key);
  }

  set(key: string, seq: number): void {
    if (this.entries.size >= 10_000) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, seq);
  }
}

/** The user list statements (EXPLAIN tests). */
export function userListQuery(orgId: string, query: ResourceQuery, adapter: DialectAdapter): ListStatements {
  return listQuery(orgId, query, adapter, USER_TABLE);
}
