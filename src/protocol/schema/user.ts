import { attr, bool, complex, multi, str } from './define.js';
import type { SchemaDef } from './types.js';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** The core User schema, RFC 7643 §4.1 and §8.7.1. */
export const userSchema: SchemaDef = Object.freeze({
  id: USER_SCHEMA,
  name: 'User',
  description: 'User Account',
  attributes: Object.freeze([
    str(
      'userName',
      'Unique identifier for the User, typically used by the user to directly authenticate to the service provider. Unique per organization, case-insensitively.',
      {
        required: true,
        uniqueness: 'server',
      },
    ),
    complex('name', `The components of the user's real name.`, [
      str('formatted', 'The full name, including all middle names, titles, and suffixes as appropriate, formatted for display.'),
      str('familyName', 'The family name of the User, or last name.'),
      str('givenName', 'The given name of the User, or first name.'),
      str('middleName', 'The middle name(s) of the User.'),
      str('honorificPrefix', 'The honorific prefix(es) of the User, or title.'),
      str('honorificSuffix', 'The honorific suffix(es) of the User, or suffix.'),
    ]),
    str('displayName', 'The name of the User, suitable for display to end-users.'),
    str('nickName', 'The casual way to address the user in real life.'),
    attr('profileUrl', 'reference', {
      description: `A fully qualified URL pointing to a page representing the User's online profile.`,
      referenceTypes: ['external'],
    }),
    str('title', `The user's title, such as "Vice President".`),
    str('userType', 'Used to identify the relationship between the organization and the user.'),
    str('preferredLanguage', `Indicates the User's preferred written or spoken language (RFC 7231 Accept-Language form).`),
    str('locale', `Used to indicate the User's default location for localizing items (e.g. en-US).`),
    str('timezone', `The User's time zone in the Olson time zone database format (e.g. America/Los_Angeles).`),
    bool('active', `A Boolean value indicating the User's administrative status. false means deactivated.`),
    str('password', "The User's cleartext password. Accepted for compatibility; never stored or returned.", {
      mutability: 'writeOnly',
      returned: 'never',
    }),
    multi('emails', 'Email addresses for the user.', {}, ['work', 'home', 'other']),
    multi('phoneNumbers', 'Phone numbers for the User.', {}, ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
    multi('ims', 'Instant messaging addresses for the User.', {}, ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo']),
    multi('photos', 'URLs of photos of the User.', { type: 'reference', referenceTypes: ['external'] }, ['photo', 'thumbnail']),
    complex(
      'addresses',
      'A physical mailing address for this User.',
      [
        str('formatted', 'The full mailing address, formatted for display or use with a mailing label.'),
        str('streetAddress', 'The full street address component.'),
        str('locality', 'The city or locality component.'),
        str('region', 'The state or region component.'),
        str('postalCode', 'The zip code or postal code component.'),
        str('country', 'The country name component (ISO 3166-1 alpha-2).'),
        str('type', `A label indicating the address's function.`, { canonicalValues: ['work', 'home', 'other'] }),
        bool('primary', 'Whether this is the primary address.'),
      ],
      { multiValued: true },
    ),
    complex(
      'groups',
      'A list of groups to which the user belongs, computed by the service provider from group memberships.',
      [
        str('value', 'The id of the Group.', { caseExact: true, mutability: 'readOnly' }),
        attr('$ref', 'reference', { description: 'The URI of the Group.', referenceTypes: ['User', 'Group'], mutability: 'readOnly' }),
        str('display', 'The displayName of the Group.', { mutability: 'readOnly' }),
        str('type', 'direct or indirect membership.', { canonicalValues: ['direct', 'indirect'], mutability: 'readOnly' }),
      ],
      { multiValued: true, mutability: 'readOnly' },
    ),
    multi('entitlements', 'A list of entitlements for the User.'),
    multi('roles', 'A list of roles for the User.'),
    multi('x509Certificates', 'A list of certificates issued to the User.', { type: 'binary', caseExact: true }),
  ]),
});

/** The Enterprise User extension, RFC 7643 §4.3. */
export const enterpriseUserSchema: SchemaDef = Object.freeze({
  id: ENTERPRISE_USER_SCHEMA,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: Object.freeze([
    str('employeeNumber', 'Numeric or alphanumeric identifier assigned to a person.'),
    str('costCenter', 'Identifies the name of a cost center.'),
    str('organization', 'Identifies the name of an organization.'),
    str('division', 'Identifies the name of a division.'),
    str('department', 'Identifies the name of a department.'),
    complex('manager', `The User's manager.`, [
      str('value', "The id of the SCIM resource representing the User's manager.", { caseExact: true }),
      attr('$ref', 'reference', { description: "The URI of the SCIM resource representing the User's manager.", referenceTypes: ['User'] }),
      str('displayName', "The displayName of the User's manager.", { mutability: 'readOnly' }),
    ]),
  ]),
});
