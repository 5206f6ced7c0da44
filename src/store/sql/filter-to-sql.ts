import { ScimError } from '../../protocol/messages/error.js';
import type { ResolvedFilter } from '../../protocol/filter/index.js';
import { fold } from '../../protocol/fold.js';
import type { AttributeDef, ResolvedAttribute } from '../../protocol/schema/index.js';
import type { DialectAdapter } from '../dialects/dialect.js';
import { sql, type Fragment } from './fragment.js';
import { GROUP_TABLE, type MembershipAttribute, type ResourceTable } from './columns.js';
import { ELEMENT_MARKER, SIMPLE, attrKey, sortableNumber } from './user-values.js';

type Sql = Fragment;
type Compare = Extract<ResolvedFilter, { kind: 'compare' }>;
type Op = Exclude<Compare['op'], 'ne'>;

const TRUE: Sql = sql`1 = 1`;
const FALSE: Sql = sql`1 = 0`;
/** The largest code point: `prefix + MAX` bounds every string that starts with `prefix`. */
const MAX_CHAR = '\u{10FFFF}';

/** How one resource type's table answers filters: ./columns.ts decides. */
export type FilterTarget = ResourceTable;

/**
 * Compiles a resolved filter into a parameterized SQL condition over the target's table of one
 * organization (RFC 7644 §3.4.2.2). Values are always bound parameters, never SQL text; no
 * operator uses LIKE, so `%`, `_` and `\` in values are plain characters. Every condition is
 * two-valued (never NULL), so `not` is exact. Semantics match test/support/filter-oracle.ts:
 * `ne` is `not eq`; other operators are false on absent attributes; a multi-valued attribute
 * matches when any element does.
 */
export function compileFilter(filter: ResolvedFilter, orgId: string, dialect: DialectAdapter, target: FilterTarget): Sql {
  return new Compiler(orgId, dialect, target).node(filter);
}

/**
 * Compiles the inner filter of `members[...]` into a condition on one memberships row `m`
 * (PATCH removes by value filter: `members[value eq "id"]`).
 */
export function compileMemberFilter(filter: ResolvedFilter, orgId: string, dialect: DialectAdapter): Sql {
  return new Compiler(orgId, dialect, GROUP_TABLE).memberElement(filter);
}

/** The SQL expression `sortBy` orders by (RFC 7644 §3.4.2.3), NULL when the resource has no value. */
export function sortExpression(attr: ResolvedAttribute, target: FilterTarget): Sql {
  const column = columnOf(attr, target);
  if (column) return sql.ref(`${target.alias}.${column}`);
  if (attr.common || !valuesOf(attr, target)) throw ScimError.invalidValue(`sortBy "${displayName(attr)}" is not sortable.`);
  const { table, owner } = target.values;
  const a = target.alias;
  return sql`(select sv.v from ${sql.raw(table)} sv where sv.org_id = ${sql.ref(`${a}.org_id`)} and ${sql.ref(`sv.${owner}`)} = ${sql.ref(`${a}.id`)} and sv.attr = ${attrKey(attr)} and sv.sub = ${subOf(attr)} and sv.idx = 0)`;
}

/** Whether the attribute has indexed values (./columns.ts says which). */
function valuesOf(attr: ResolvedAttribute, target: FilterTarget): boolean {
  return target.values.core || attr.inExtension;
}

function columnOf(attr: ResolvedAttribute, target: FilterTarget): string | undefined {
  if (attr.inExtension) return undefined;
  return target.columns[attr.subAttribute ? `${attr.attribute.name}.${attr.subAttribute.name}` : attr.attribute.name];
}

function subOf(attr: ResolvedAttribute): string {
  return attr.subAttribute?.name ?? SIMPLE;
}

function displayName(attr: ResolvedAttribute): string {
  return attr.subAttribute ? `${attr.attribute.name}.${attr.subAttribute.name}` : attr.attribute.name;
}

/** The bound parameter for a comparison value, folded unless the attribute is caseExact. */
function param(def: AttributeDef, value: string | number | boolean): string {
  if (typeof value === 'number' && (def.type === 'integer' || def.type === 'decimal')) return sortableNumber(value);
  if (typeof value !== 'string') return String(value);
  if (def.type === 'dateTime') return new Date(value).toISOString();
  return def.caseExact ? value : fold(value);
}

class Compiler {
  private readonly self: Sql;

  constructor(
    private readonly orgId: string,
    private readonly dialect: DialectAdapter,
    private readonly target: FilterTarget,
  ) {
    this.self = sql.ref(`${target.alias}.id`);
  }

  node(f: ResolvedFilter): Sql {
    switch (f.kind) {
      case 'and':
        return sql`(${this.node(f.left)} and ${this.node(f.right)})`;
      case 'or':
        return sql`(${this.node(f.left)} or ${this.node(f.right)})`;
      case 'not':
        return sql`(not ${this.node(f.filter)})`;
      case 'present':
        return this.present(f.attr);
      case 'compare':
        return this.compare(f);
      case 'valuePath':
        return this.valuePath(f.attr, f.filter);
    }
  }

  private present(attr: ResolvedAttribute): Sql {
    this.checkFilterable(attr);
    const membership = this.membership(attr);
    if (membership) return this.membershipValue(membership, attr, undefined);
    if (attr.attribute.type === 'complex' && !attr.subAttribute) {
      // A complex attribute is present when any of its sub-attributes is.
      const subs = (attr.attribute.subAttributes ?? []).map((sub) => this.present({ ...attr, subAttribute: sub }));
      return sql`(${sql.join(subs, sql` or `)})`;
    }
    const column = columnOf(attr, this.target);
    if (column && this.target.alwaysPresent.has(column)) return TRUE;
    if (column) return sql`(${this.col(column)} is not null and ${this.col(column)} <> '')`;
    if (attr.common && attr.attribute.name === 'meta') return TRUE;
    return this.anyValue(attr, undefined);
  }

  private compare(f: Compare): Sql {
    this.checkFilterable(f.attr);
    if (f.value === null) {
      const present = this.present(f.attr);
      return f.op === 'ne' ? present : sql`(not ${present})`;
    }
    if (f.op === 'ne') return sql`(not ${this.compare({ ...f, op: 'eq' })})`;
    const op = f.op;
    const def = f.attr.subAttribute ?? f.attr.attribute;
    const value = param(def, f.value);
    if (f.attr.common && f.attr.attribute.name === 'meta' && f.attr.subAttribute?.name === 'resourceType') {
      return matchesConstant(this.target.resourceType, op, String(f.value)) ? TRUE : FALSE;
    }
    const membership = this.membership(f.attr);
    if (membership) return this.membershipValue(membership, f.attr, (v) => this.condition(v, op, value));
    const column = columnOf(f.attr, this.target);
    if (column === 'active') return f.value === true ? sql`u.active = 1` : sql`u.active = 0`;
    if (column) return sql`(${this.col(column)} is not null and ${this.condition(this.col(column), op, value)})`;
    return this.anyValue(f.attr, (v) => this.condition(v, op, value));
  }

  private col(column: string): Sql {
    return sql.ref(`${this.target.alias}.${column}`);
  }

  /** `u.id in (users having a stored value of attr matching cond)`: driven by the lookup index. */
  private anyValue(attr: ResolvedAttribute, cond: ((v: Sql) => Sql) | undefined): Sql {
    if (!valuesOf(attr, this.target)) throw ScimError.invalidFilter(`"${displayName(attr)}" is not filterable on ${this.target.resourceType}s`);
    const v = sql.ref('x.v');
    const { table, owner } = this.target.values;
    return sql`${this.self} in (select ${sql.ref(`x.${owner}`)} from ${sql.raw(table)} x where x.org_id = ${this.orgId} and x.attr = ${attrKey(attr)} and x.sub = ${subOf(attr)}${cond ? sql` and ${cond(v)}` : sql``})`;
  }

  private membership(attr: ResolvedAttribute): MembershipAttribute | undefined {
    return attr.inExtension || attr.common ? undefined : this.target.memberships[attr.attribute.name];
  }

  memberElement(inner: ResolvedFilter): Sql {
    const m = this.target.memberships.members!;
    return this.element(inner, (a, cond) => this.membershipCondition(m, a, cond));
  }

  /** One memberships row is one element: its columns are the sub-attributes. */
  private membershipSubquery(m: MembershipAttribute, where: Sql): Sql {
    const join = Object.values(m.columns).some((c) => c.startsWith('mg.')) ? sql` left join groups mg on mg.org_id = m.org_id and mg.id = m.group_id` : sql``;
    return sql`${this.self} in (select ${sql.ref(`m.${m.owner}`)} from memberships m${join} where m.org_id = ${this.orgId} and ${where})`;
  }

  private membershipColumn(m: MembershipAttribute, attr: ResolvedAttribute): Sql | undefined {
    const sub = attr.subAttribute?.name ?? 'value';
    const constant = m.constants?.[sub];
    // Typed, so that PostgreSQL can tell what `$1 is not null` compares (`groups.type pr`).
    if (constant !== undefined) return sql`cast(${sql.val(constant)} as text)`;
    const column = m.columns[sub];
    return column ? sql.ref(column) : undefined;
  }

  private membershipCondition(m: MembershipAttribute, attr: ResolvedAttribute, cond: ((v: Sql) => Sql) | undefined): Sql {
    const column = this.membershipColumn(m, attr);
    if (!column) throw ScimError.invalidFilter(`"${displayName(attr)}" is not filterable`);
    return cond ? sql`(${column} is not null and ${cond(column)})` : sql`${column} is not null`;
  }

  private membershipValue(m: MembershipAttribute, attr: ResolvedAttribute, cond: ((v: Sql) => Sql) | undefined): Sql {
    return this.membershipSubquery(m, this.membershipCondition(m, attr, cond));
  }

  private condition(ref: Sql, op: Op, value: string): Sql {
    switch (op) {
      case 'eq':
        return sql`${ref} = ${value}`;
      case 'gt':
        return sql`${ref} > ${value}`;
      case 'ge':
        return sql`${ref} >= ${value}`;
      case 'lt':
        return sql`${ref} < ${value}`;
      case 'le':
        return sql`${ref} <= ${value}`;
      case 'sw':
        // A range, so an index serves it and no wildcard exists to escape.
        return value === '' ? TRUE : sql`(${ref} >= ${value} and ${ref} < ${value + MAX_CHAR})`;
      case 'co':
        return value === '' ? TRUE : this.dialect.contains(ref, sql.val(value));
      case 'ew':
        return value === '' ? TRUE : this.dialect.endsWith(ref, sql.val(value));
    }
  }

  /** `emails[type eq "work" and value co "@x"]`: one element satisfies the whole inner filter. */
  private valuePath(attr: ResolvedAttribute, inner: ResolvedFilter): Sql {
    // A single complex attribute is one element: the inner filter applies to it directly.
    if (!attr.attribute.multiValued) return this.node(inner);
    this.checkFilterable(attr);
    const membership = this.membership(attr);
    if (membership)
      return this.membershipSubquery(
        membership,
        this.element(inner, (a, cond) => this.membershipCondition(membership, a, cond)),
      );
    if (!valuesOf(attr, this.target)) throw ScimError.invalidFilter(`"${displayName(attr)}" is not filterable on ${this.target.resourceType}s`);
    const key = attrKey(attr);
    const driver = findDriver(inner);
    const { table, owner } = this.target.values;
    const head = driver
      ? sql`select ${sql.ref(`e.${owner}`)} from ${sql.raw(table)} e where e.org_id = ${this.orgId} and e.attr = ${key} and e.sub = ${driver.attr.subAttribute!.name} and e.v = ${param(driver.attr.subAttribute!, driver.value as string | number | boolean)}`
      : sql`select ${sql.ref(`e.${owner}`)} from ${sql.raw(table)} e where e.org_id = ${this.orgId} and e.attr = ${key} and e.sub = ${ELEMENT_MARKER}`;
    // The driver row is itself an element row, so its condition needs no second check.
    const rest = driver ? without(inner, driver) : inner;
    return rest ? sql`${this.self} in (${head} and ${this.element(rest, (a, cond) => this.elementValue(a, cond))})` : sql`${this.self} in (${head})`;
  }

  /** A condition on one element; `leaf` turns a sub-attribute condition into SQL. */
  private element(f: ResolvedFilter, leaf: (attr: ResolvedAttribute, cond: ((v: Sql) => Sql) | undefined) => Sql): Sql {
    switch (f.kind) {
      case 'and':
        return sql`(${this.element(f.left, leaf)} and ${this.element(f.right, leaf)})`;
      case 'or':
        return sql`(${this.element(f.left, leaf)} or ${this.element(f.right, leaf)})`;
      case 'not':
        return sql`(not ${this.element(f.filter, leaf)})`;
      case 'valuePath':
        throw ScimError.invalidFilter('value paths cannot be nested');
      case 'present':
        return leaf(f.attr, undefined);
      case 'compare': {
        if (f.value === null) {
          const present = leaf(f.attr, undefined);
          return f.op === 'ne' ? present : sql`(not ${present})`;
        }
        if (f.op === 'ne') return sql`(not ${this.element({ ...f, op: 'eq' }, leaf)})`;
        const value = param(f.attr.subAttribute ?? f.attr.attribute, f.value);
        const op = f.op;
        return leaf(f.attr, (v) => this.condition(v, op, value));
      }
    }
  }

  /** A sub-attribute condition on the values element (owner, idx) of alias `e`. */
  private elementValue(attr: ResolvedAttribute, cond: ((v: Sql) => Sql) | undefined): Sql {
    const s = sql.ref('s.v');
    const { table, owner } = this.target.values;
    const same = sql`${sql.ref(`s.${owner}`)} = ${sql.ref(`e.${owner}`)}`;
    return sql`exists (select 1 from ${sql.raw(table)} s where s.org_id = e.org_id and ${same} and s.attr = e.attr and s.idx = e.idx and s.sub = ${subOf(attr)}${cond ? sql` and ${cond(s)}` : sql``})`;
  }

  private checkFilterable(attr: ResolvedAttribute): void {
    const name = attr.attribute.name;
    if ((attr.subAttribute ?? attr.attribute).type === 'binary') throw ScimError.invalidFilter(`"${displayName(attr)}" is binary and not filterable`);
    if (attr.common && name === 'meta' && attr.subAttribute && !['created', 'lastModified', 'resourceType'].includes(attr.subAttribute.name)) {
      throw ScimError.invalidFilter(`meta.${attr.subAttribute.name} is not filterable; filter on meta.created, meta.lastModified or meta.resourceType`);
    }
  }
}

/**
 * The index lookup of a value path: an `eq` on a sub-attribute among its and-ed conditions,
 * preferring the most selective one (`value` over `display` over `type` and `primary`, which
 * match nearly every element).
 */
function findDriver(f: ResolvedFilter): Compare | undefined {
  const candidates: Compare[] = [];
  const collect = (n: ResolvedFilter) => {
    if (n.kind === 'compare' && n.op === 'eq' && n.value !== null && n.attr.subAttribute) candidates.push(n);
    else if (n.kind === 'and') {
      collect(n.left);
      collect(n.right);
    }
  };
  collect(f);
  const rank = (c: Compare) => ['value', 'display'].indexOf(c.attr.subAttribute!.name) >>> 0;
  return candidates.sort((a, b) => rank(a) - rank(b))[0];
}

/** `f` without the node `drop` (one of its and-ed conditions); undefined when nothing is left. */
function without(f: ResolvedFilter, drop: ResolvedFilter): ResolvedFilter | undefined {
  if (f === drop) return undefined;
  if (f.kind !== 'and') return f;
  const left = without(f.left, drop);
  const right = without(f.right, drop);
  if (!left) return right;
  if (!right) return left;
  return { kind: 'and', left, right };
}

function matchesConstant(actual: string, op: Compare['op'], value: string): boolean {
  switch (op) {
    case 'eq':
      return actual === value;
    case 'ne':
      return actual !== value;
    case 'co':
      return actual.includes(value);
    case 'sw':
      return actual.startsWith(value);
    case 'ew':
      return actual.endsWith(value);
    case 'gt':
      return actual > value;
    case 'ge':
      return actual >= value;
    case 'lt':
      return actual < value;
    case 'le':
      return actual <= value;
  }
}
