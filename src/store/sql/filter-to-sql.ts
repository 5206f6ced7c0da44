import { sql, type RawBuilder } from 'kysely';
import { ScimError } from '../../protocol/errors.js';
import type { ResolvedFilter } from '../../protocol/filter/index.js';
import { fold } from '../../protocol/fold.js';
import type { AttributeDef, ResolvedAttribute } from '../../protocol/schema/index.js';
import type { DialectAdapter } from '../dialects/dialect.js';
import { ELEMENT_MARKER, SIMPLE, USER_COLUMNS, attrKey } from './user-values.js';

type Sql = RawBuilder<unknown>;
type Compare = Extract<ResolvedFilter, { kind: 'compare' }>;
type Op = Exclude<Compare['op'], 'ne'>;

const TRUE: Sql = sql`1 = 1`;
const FALSE: Sql = sql`1 = 0`;
/** The largest code point: `prefix + MAX` bounds every string that starts with `prefix`. */
const MAX_CHAR = '\u{10FFFF}';

/**
 * Compiles a resolved filter into a parameterized SQL condition over `users u` of one
 * organization (RFC 7644 §3.4.2.2). Values are always bound parameters, never SQL text; no
 * operator uses LIKE, so `%`, `_` and `\` in values are plain characters. Every condition is
 * two-valued (never NULL), so `not` is exact. Semantics match test/support/filter-oracle.ts:
 * `ne` is `not eq`; other operators are false on absent attributes; a multi-valued attribute
 * matches when any element does.
 */
export function compileUserFilter(filter: ResolvedFilter, orgId: string, dialect: DialectAdapter): Sql {
  return new Compiler(orgId, dialect).node(filter);
}

/** The SQL expression `sortBy` orders by (RFC 7644 §3.4.2.3), NULL when the user has no value. */
export function userSortExpression(attr: ResolvedAttribute): Sql {
  const column = columnOf(attr);
  if (column) return sql.ref(`u.${column}`);
  if (attr.common) throw ScimError.invalidValue(`sortBy "${displayName(attr)}" is not sortable.`);
  return sql`(select sv.v from user_values sv where sv.org_id = u.org_id and sv.user_id = u.id and sv.attr = ${attrKey(attr)} and sv.sub = ${subOf(attr)} and sv.idx = 0)`;
}

function columnOf(attr: ResolvedAttribute): string | undefined {
  if (attr.inExtension) return undefined;
  return USER_COLUMNS[attr.subAttribute ? `${attr.attribute.name}.${attr.subAttribute.name}` : attr.attribute.name];
}

function subOf(attr: ResolvedAttribute): string {
  return attr.subAttribute?.name ?? SIMPLE;
}

function displayName(attr: ResolvedAttribute): string {
  return attr.subAttribute ? `${attr.attribute.name}.${attr.subAttribute.name}` : attr.attribute.name;
}

/** The bound parameter for a comparison value, folded unless the attribute is caseExact. */
function param(def: AttributeDef, value: string | number | boolean): string {
  if (typeof value !== 'string') return String(value);
  if (def.type === 'dateTime') return new Date(value).toISOString();
  return def.caseExact ? value : fold(value);
}

class Compiler {
  constructor(
    private readonly orgId: string,
    private readonly dialect: DialectAdapter,
  ) {}

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
    if (attr.attribute.type === 'complex' && !attr.subAttribute) {
      // A complex attribute is present when any of its sub-attributes is.
      const subs = (attr.attribute.subAttributes ?? []).map((sub) => this.present({ ...attr, subAttribute: sub }));
      return sql`(${sql.join(subs, sql` or `)})`;
    }
    const column = columnOf(attr);
    if (column === 'active' || column === 'id' || column === 'created' || column === 'last_modified') return TRUE;
    if (column) return sql`(${sql.ref(`u.${column}`)} is not null and ${sql.ref(`u.${column}`)} <> '')`;
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
    const def = f.attr.subAttribute ?? f.attr.attribute;
    if (f.attr.common && f.attr.attribute.name === 'meta' && f.attr.subAttribute?.name === 'resourceType') {
      return matchesConstant('User', f.op, String(f.value)) ? TRUE : FALSE;
    }
    const column = columnOf(f.attr);
    if (column === 'active') {
      return f.value === true ? sql`u.active = 1` : sql`u.active = 0`;
    }
    if (column) {
      const ref = sql.ref(`u.${column}`);
      return sql`(${ref} is not null and ${this.condition(ref, f.op as Op, param(def, f.value))})`;
    }
    const op = f.op;
    const value = param(def, f.value);
    return this.anyValue(f.attr, (v) => this.condition(v, op, value));
  }

  /** `u.id in (users having a stored value of attr matching cond)`: driven by the lookup index. */
  private anyValue(attr: ResolvedAttribute, cond: ((v: Sql) => Sql) | undefined): Sql {
    const v = sql.ref('x.v');
    return sql`u.id in (select x.user_id from user_values x where x.org_id = ${this.orgId} and x.attr = ${attrKey(attr)} and x.sub = ${subOf(attr)}${cond ? sql` and ${cond(v)}` : sql``})`;
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
    if (!attr.attribute.multiValued) {
      // A single complex attribute is one element: the inner filter applies to it directly.
      return this.node(inner);
    }
    this.checkFilterable(attr);
    const key = attrKey(attr);
    const driver = findDriver(inner);
    const e = 'e';
    const head = driver
      ? sql`select e.user_id from user_values e where e.org_id = ${this.orgId} and e.attr = ${key} and e.sub = ${driver.attr.subAttribute!.name} and e.v = ${param(driver.attr.subAttribute!, driver.value as string | number | boolean)}`
      : sql`select e.user_id from user_values e where e.org_id = ${this.orgId} and e.attr = ${key} and e.sub = ${ELEMENT_MARKER}`;
    // The driver row is itself an element row, so its condition needs no second check.
    const rest = driver ? without(inner, driver) : inner;
    return rest ? sql`u.id in (${head} and ${this.element(rest, e)})` : sql`u.id in (${head})`;
  }

  /** A condition on the element (user_id, idx) of alias `e`. */
  private element(f: ResolvedFilter, e: string): Sql {
    switch (f.kind) {
      case 'and':
        return sql`(${this.element(f.left, e)} and ${this.element(f.right, e)})`;
      case 'or':
        return sql`(${this.element(f.left, e)} or ${this.element(f.right, e)})`;
      case 'not':
        return sql`(not ${this.element(f.filter, e)})`;
      case 'valuePath':
        throw ScimError.invalidFilter('value paths cannot be nested');
      case 'present':
        return this.elementValue(f.attr, e, undefined);
      case 'compare': {
        if (f.value === null) {
          const present = this.elementValue(f.attr, e, undefined);
          return f.op === 'ne' ? present : sql`(not ${present})`;
        }
        if (f.op === 'ne') return sql`(not ${this.element({ ...f, op: 'eq' }, e)})`;
        const def = f.attr.subAttribute ?? f.attr.attribute;
        const value = param(def, f.value);
        const op = f.op as Op;
        return this.elementValue(f.attr, e, (v) => this.condition(v, op, value));
      }
    }
  }

  private elementValue(attr: ResolvedAttribute, e: string, cond: ((v: Sql) => Sql) | undefined): Sql {
    const s = sql.ref('s.v');
    const el = (c: string) => sql.ref(`${e}.${c}`);
    return sql`exists (select 1 from user_values s where s.org_id = ${el('org_id')} and s.user_id = ${el('user_id')} and s.attr = ${el('attr')} and s.idx = ${el('idx')} and s.sub = ${subOf(attr)}${cond ? sql` and ${cond(s)}` : sql``})`;
  }

  private checkFilterable(attr: ResolvedAttribute): void {
    const name = attr.attribute.name;
    if (attr.common && name === 'meta' && attr.subAttribute && !['created', 'lastModified', 'resourceType'].includes(attr.subAttribute.name)) {
      throw ScimError.invalidFilter(`meta.${attr.subAttribute.name} is not filterable; filter on meta.created, meta.lastModified or meta.resourceType`);
    }
    if (!attr.inExtension && !attr.common && name === 'groups') {
      throw ScimError.invalidFilter('filtering on groups is not supported yet');
    }
  }
}

/** An `eq` on a sub-attribute among the and-ed conditions of a value path: the index lookup. */
function findDriver(f: ResolvedFilter): Compare | undefined {
  if (f.kind === 'compare' && f.op === 'eq' && f.value !== null && f.attr.subAttribute) return f;
  if (f.kind === 'and') return findDriver(f.left) ?? findDriver(f.right);
  return undefined;
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
