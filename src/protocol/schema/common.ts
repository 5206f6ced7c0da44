import { attr, complex, str } from './define.js';
import type { AttributeDef } from './types.js';

/** Common attributes of every resource, RFC 7643 §3.1. Not part of any schema's attribute list. */
export const idAttribute: AttributeDef = str('id', 'A unique identifier for a SCIM resource as defined by the service provider.', {
  caseExact: true,
  mutability: 'readOnly',
  returned: 'always',
  uniqueness: 'server',
});

export const externalIdAttribute: AttributeDef = str('externalId', 'A String that is an identifier for the resource as defined by the provisioning client.', {
  caseExact: true,
});

export const metaAttribute: AttributeDef = complex(
  'meta',
  'A complex attribute containing resource metadata.',
  [
    str('resourceType', 'The name of the resource type of the resource.', { caseExact: true, mutability: 'readOnly' }),
    attr('created', 'dateTime', { description: 'The DateTime that the resource was added to the service provider.', mutability: 'readOnly' }),
    attr('lastModified', 'dateTime', { description: 'The most recent DateTime that the details of this resource were updated.', mutability: 'readOnly' }),
    attr('location', 'reference', { description: 'The URI of the resource being returned.', mutability: 'readOnly', caseExact: true }),
    str('version', 'The version of the resource being returned (a weak entity tag).', { caseExact: true, mutability: 'readOnly' }),
  ],
  { mutability: 'readOnly' },
);

export const commonAttributes: readonly AttributeDef[] = [idAttribute, externalIdAttribute, metaAttribute];
