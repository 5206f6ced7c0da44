/** Attribute characteristics of RFC 7643 §2.2 and §7. */
export type AttributeType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'binary' | 'reference' | 'complex';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';
export type Uniqueness = 'none' | 'server' | 'global';

export interface AttributeDef {
  readonly name: string;
  readonly type: AttributeType;
  readonly multiValued: boolean;
  readonly description: string;
  readonly required: boolean;
  readonly caseExact: boolean;
  readonly mutability: Mutability;
  readonly returned: Returned;
  readonly uniqueness: Uniqueness;
  readonly canonicalValues?: readonly string[];
  readonly referenceTypes?: readonly string[];
  readonly subAttributes?: readonly AttributeDef[];
}

export interface SchemaDef {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly attributes: readonly AttributeDef[];
}

export interface SchemaExtensionRef {
  readonly schema: SchemaDef;
  readonly required: boolean;
}

/** A resource type (RFC 7643 §6) with its core schema and extensions. */
export interface ResourceTypeDef {
  readonly id: string;
  readonly name: string;
  readonly endpoint: string;
  readonly description: string;
  readonly schema: SchemaDef;
  readonly extensions: readonly SchemaExtensionRef[];
}

/** An attribute path resolved against a resource type's schemas. */
export interface ResolvedAttribute {
  readonly resourceType: ResourceTypeDef;
  /** The schema the attribute belongs to. */
  readonly schema: SchemaDef;
  /** True when the attribute lives in an extension (stored under the schema URN). */
  readonly inExtension: boolean;
  /** The top-level attribute. */
  readonly attribute: AttributeDef;
  /** The sub-attribute, when the path names one. */
  readonly subAttribute?: AttributeDef;
  /** Whether this is a common attribute (id, externalId, meta.*) of RFC 7643 §3.1. */
  readonly common: boolean;
}
