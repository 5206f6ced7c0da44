import { ScimError } from '../messages/error.js';

/**
 * The 2026 profiles an organization may claim (its `profile` setting, docs/profiles.md):
 * - `compatible`: RFC 7643/7644 with the tolerances identity providers need (./index.ts);
 * - `interop`: the SCIM 2.0 interoperability profile (draft-zollner-scim-interop-profile), whose
 *   strict rules refuse what `compatible` tolerates;
 * - `ipsie-al1`: OpenID IPSIE SCIM AL1 (draft-schreiber-ipsie-scim-al1-profile), which asks for no
 *   credential attribute, real deletes, and what Rollcall does anyway.
 * Each rule below is one requirement, named by its section in PROFILE_RULES; the tolerances of
 * ./index.ts stay in `compatible`, and the rules here decide where a profile refuses them.
 */
export const PROFILES = ['compatible', 'interop', 'ipsie-al1'] as const;
export type Profile = (typeof PROFILES)[number];

/** One profile rule: its function, the profile, the requirement it implements, and the test that shows it. */
export interface ProfileRule {
  readonly name: string;
  readonly profile: Exclude<Profile, 'compatible'>;
  readonly requirement: string;
  readonly test: string;
}

export const PROFILE_RULES: readonly ProfileRule[] = [
  {
    name: 'unknownIsSyntax',
    profile: 'interop',
    requirement: 'unknown attributes and schema URIs in POST, PUT and PATCH: 400 invalidSyntax',
    test: 'test/http/profiles.test.ts',
  },
  { name: 'pathRequired', profile: 'interop', requirement: 'every PATCH operation carries a path', test: 'test/http/profiles.test.ts' },
  {
    name: 'filteredPathNamesSubAttribute',
    profile: 'interop',
    requirement: 'a filtered add or replace path names a sub-attribute (emails[type eq "work"].value)',
    test: 'test/http/profiles.test.ts',
  },
  { name: 'activeNotRemovable', profile: 'interop', requirement: '`active` is set to true or false, never removed', test: 'test/http/profiles.test.ts' },
  { name: 'noCredentialAttributes', profile: 'ipsie-al1', requirement: 'no password (or other credential) attribute', test: 'test/http/profiles.test.ts' },
];

/**
 * interop: a body or PATCH naming attributes (or, in `schemas`, schema URIs) the resource type does
 * not have is malformed for this server, not a value to ignore: 400 invalidSyntax naming them.
 * See: test/http/profiles.test.ts
 */
export function unknownIsSyntax(profile: Profile | undefined, what: 'attribute' | 'schema', names: readonly string[]): void {
  if (profile !== 'interop' || names.length === 0) return;
  const list = [...new Set(names)].map((n) => `"${n}"`).join(', ');
  throw ScimError.invalidSyntax(
    what === 'schema'
      ? `Unknown schema URI${names.length > 1 ? 's' : ''} in "schemas": ${list} (this organization follows the SCIM interoperability profile, which refuses them).`
      : `Unknown attribute${names.length > 1 ? 's' : ''}: ${list} (this organization follows the SCIM interoperability profile, which refuses them).`,
  );
}

/**
 * interop: a PATCH operation without `path` (Entra ID sends them; `compatible` reads them) is refused.
 * See: test/http/profiles.test.ts
 */
export function pathRequired(profile: Profile | undefined, index: number, path: string | undefined): void {
  if (profile === 'interop' && path === undefined)
    throw ScimError.invalidSyntax(
      `Operations[${index}] has no "path": this organization follows the SCIM interoperability profile, where every operation names its target.`,
    );
}

/**
 * interop: `add` or `replace` through a value filter must name the sub-attribute it writes
 * (`emails[type eq "work"].value`), not the whole element (`emails[type eq "work"]`).
 * See: test/http/profiles.test.ts
 */
export function filteredPathNamesSubAttribute(profile: Profile | undefined, index: number, op: string, path: string, filtered: boolean, named: boolean): void {
  if (profile === 'interop' && op !== 'remove' && filtered && !named)
    throw ScimError.invalidSyntax(
      `Operations[${index}]: "${path}" filters without naming a sub-attribute; under the SCIM interoperability profile name the one to ${op} (e.g. ${path}.value).`,
    );
}

/**
 * interop: removing `active` would leave the account's status unassigned; it is set to false (or
 * true) instead. (`compatible` keeps the status, docs/compatibility.md.)
 * See: test/http/profiles.test.ts
 */
export function activeNotRemovable(profile: Profile | undefined, index: number, op: string, attribute: string, inExtension: boolean): void {
  if (profile === 'interop' && op === 'remove' && !inExtension && attribute === 'active')
    throw ScimError.invalidValue(`Operations[${index}]: "active" is the account's status and cannot be removed; replace it with false to deactivate.`);
}

/**
 * ipsie-al1: no credential is provisioned: `password` is not in the User schema /Schemas shows,
 * and a body carrying one is treated as carrying an unknown attribute.
 * See: test/http/profiles.test.ts
 */
export function noCredentialAttributes(profile: Profile | undefined): boolean {
  return profile === 'ipsie-al1';
}
