/** The comparison operators of RFC 7644 §3.4.2.2 (Table 3), `pr` excepted. */
export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';

/** A comparison value: a JSON string, number, boolean or null (RFC 7644 §3.4.2.2, `compValue`). */
export type FilterValue = string | number | boolean | null;

/** An attribute path as written in a filter (`attrPath` of RFC 7644 §3.4.2.2), not yet resolved. */
export interface AttrRef {
  /** The schema URN prefix, when the path is URN-qualified. */
  readonly schema?: string;
  readonly attribute: string;
  readonly subAttribute?: string;
  /** 0-based offset of the path in the source string. */
  readonly position: number;
}

export interface LogicalNode<K extends 'and' | 'or' = 'and' | 'or'> {
  readonly kind: K;
  readonly left: FilterNode;
  readonly right: FilterNode;
}

export interface NotNode {
  readonly kind: 'not';
  readonly filter: FilterNode;
}

export interface CompareNode {
  readonly kind: 'compare';
  readonly attr: AttrRef;
  readonly op: CompareOp;
  readonly value: FilterValue;
  /** The source text when the value was written unquoted (`externalId eq 0042`), for string coercion. */
  readonly raw?: string;
}

export interface PresentNode {
  readonly kind: 'present';
  readonly attr: AttrRef;
}

/** `emails[type eq "work"]`; `subAttribute` is the `.value` after `]`, only in PATCH paths. */
export interface ValuePathNode {
  readonly kind: 'valuePath';
  readonly attr: AttrRef;
  readonly filter: FilterNode;
  readonly subAttribute?: string;
  /** 0-based offset of the sub-attribute name, when there is one. */
  readonly subPosition?: number;
}

/** A parsed filter (RFC 7644 §3.4.2.2). `not` binds tighter than `and`, `and` tighter than `or`. */
export type FilterNode = LogicalNode<'and'> | LogicalNode<'or'> | NotNode | CompareNode | PresentNode | ValuePathNode;

/** A PATCH path (RFC 7644 §3.5.2, `PATH = attrPath / valuePath [subAttr]`), not yet resolved. */
export type PathExpression = { readonly kind: 'attrPath'; readonly attr: AttrRef } | ValuePathNode;
