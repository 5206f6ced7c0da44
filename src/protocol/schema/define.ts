import type { AttributeDef, AttributeType } from './types.js';

type Options = Partial<Omit<AttributeDef, 'name' | 'type'>>;

/** Builds an attribute definition with RFC 7643 §2.2 defaults. */
export function attr(name: string, type: AttributeType, options: Options = {}): AttributeDef {
  return Object.freeze({
    name,
    type,
    multiValued: false,
    description: '',
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...(type === 'reference' && !options.referenceTypes ? { referenceTypes: ['external'] } : {}),
    ...options,
    ...(options.subAttributes ? { subAttributes: Object.freeze([...options.subAttributes]) } : {}),
  } as AttributeDef);
}

export const str = (name: string, description: string, options: Options = {}): AttributeDef => attr(name, 'string', { description, ...options });

export const bool = (name: string, description: string, options: Options = {}): AttributeDef => attr(name, 'boolean', { description, ...options });

export const complex = (name: string, description: string, subAttributes: AttributeDef[], options: Options = {}): AttributeDef =>
  attr(name, 'complex', { description, subAttributes, ...options });

/**
 * A multi-valued complex attribute with the RFC 7643 §2.4 default sub-attributes
 * (value, display, type, primary), plus `extra` sub-attributes.
 */
export function multi(
  name: string,
  description: string,
  value: { type?: AttributeType; caseExact?: boolean; referenceTypes?: string[]; mutability?: AttributeDef['mutability'] } = {},
  types: readonly string[] | undefined = undefined,
  extra: AttributeDef[] = [],
): AttributeDef {
  const valueType = value.type ?? 'string';
  return complex(
    name,
    description,
    [
      attr('value', valueType, {
        description: `The value of the ${name} element.`,
        caseExact: value.caseExact ?? false,
        ...(value.referenceTypes ? { referenceTypes: value.referenceTypes } : {}),
        ...(value.mutability ? { mutability: value.mutability } : {}),
      }),
      str('display', 'A human-readable name, primarily used for display purposes.'),
      str('type', `A label indicating the element's function.`, types ? { canonicalValues: types } : {}),
      bool('primary', 'Whether this is the primary or preferred element.'),
      ...extra,
    ],
    { multiValued: true },
  );
}
