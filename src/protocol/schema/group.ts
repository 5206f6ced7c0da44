import { attr, complex, str } from './define.js';
import type { SchemaDef } from './types.js';

export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/** The core Group schema, RFC 7643 §4.2. */
export const groupSchema: SchemaDef = Object.freeze({
  id: GROUP_SCHEMA,
  name: 'Group',
  description: 'Group',
  attributes: Object.freeze([
    str('displayName', 'A human-readable name for the Group.', { required: true, uniqueness: 'server' }),
    complex(
      'members',
      'A list of members of the Group.',
      [
        str('value', 'Identifier of the member of this Group.', { caseExact: true, mutability: 'immutable' }),
        attr('$ref', 'reference', { description: 'The URI of the member resource.', referenceTypes: ['User', 'Group'], mutability: 'immutable' }),
        str('display', 'A human-readable name of the member.', { mutability: 'readOnly' }),
        str('type', 'The type of the member.', { canonicalValues: ['User', 'Group'], mutability: 'immutable', caseExact: true }),
      ],
      { multiValued: true },
    ),
  ]),
});
