import { createHash } from 'node:crypto';
import { ENTERPRISE_USER_SCHEMA, USER_SCHEMA, type ResourceTypeDef } from '../src/protocol/schema/index.js';
import type { ResourceRecord } from '../src/store/store.js';

/**
 * The synthetic directory: user i (1-based) is what Okta or Entra ID would provision. Everything
 * is a pure function of i, so the load generator can address any user without a list of ids.
 */

const GIVEN = [
  'Ava',
  'Ben',
  'Chloe',
  'Daniel',
  'Emma',
  'Felix',
  'Grace',
  'Hugo',
  'Isla',
  'Jonas',
  'Keiko',
  'Liam',
  'Maya',
  'Noah',
  'Olivia',
  'Priya',
  'Quentin',
  'Rosa',
  'Samir',
  'Tara',
  'Umar',
  'Vera',
  'Wei',
  'Ximena',
  'Yusuf',
  'Zoe',
];
const FAMILY = [
  'Anderson',
  'Brown',
  'Chen',
  'Dubois',
  'Eriksson',
  'Fischer',
  'García',
  'Hansen',
  'Ivanova',
  'Jensen',
  'Kowalski',
  'López',
  'Müller',
  'Nakamura',
  'Okafor',
  'Patel',
  'Quinn',
  'Rossi',
  'Schmidt',
  'Tanaka',
  'Usman',
  'Virtanen',
  'Walsh',
  'Xu',
  'Yilmaz',
  'Zhang',
];
const DEPARTMENTS = [
  'Engineering',
  'Sales',
  'Marketing',
  'Finance',
  'Human Resources',
  'Legal',
  'Operations',
  'Customer Success',
  'Product',
  'Security',
  'IT',
  'Facilities',
];
/** Every 50th user is deactivated, as in a real directory with leavers. */
const INACTIVE_EVERY = 50;
const EPOCH = Date.parse('2024-01-01T00:00:00.000Z');

export const userNameOf = (i: number): string => `user${i}@example.com`;
export const externalIdOf = (i: number): string => `ext-${i}`;
export const githubOf = (i: number): string => `gh-user-${i}`;

/**
 * The benchmark organization's own schema extension (issue 14): what Zulip's custom profile fields
 * look like to an identity provider. Users of the main benchmark carry it; the throughput
 * benchmark's organization declares none.
 */
export const BENCH_EXTENSION_URN = 'urn:rollcall:params:scim:schemas:extension:bench:2.0:User';
export const BENCH_EXTENSION = {
  id: BENCH_EXTENSION_URN,
  name: 'BenchUser',
  description: 'Custom profile fields',
  attributes: [
    { name: 'githubUsername', type: 'string' },
    { name: 'pronouns', type: 'string' },
  ],
};
const extensionOf = (i: number) => ({ [BENCH_EXTENSION_URN]: { githubUsername: githubOf(i), pronouns: i % 2 ? 'she/her' : 'he/him' } });

/** A deterministic, random-looking v4-shaped UUID: ids spread over the index like randomUUID()'s. */
export function userIdOf(i: number): string {
  const h = createHash('md5').update(`rollcall-bench-user-${i}`).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function names(i: number): { given: string; family: string } {
  return { given: GIVEN[i % GIVEN.length]!, family: FAMILY[Math.floor(i / GIVEN.length) % FAMILY.length]! };
}

/** The POST /Users body an identity provider would send for user i (with the benchmark's extension when `extension`). */
export function userBody(i: number, extension = false): Record<string, unknown> {
  const { given, family } = names(i);
  return {
    schemas: extension ? [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, BENCH_EXTENSION_URN] : [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
    userName: userNameOf(i),
    externalId: externalIdOf(i),
    name: { givenName: given, familyName: family },
    displayName: `${given} ${family}`,
    active: i % INACTIVE_EVERY !== 0,
    emails: [
      { value: userNameOf(i), type: 'work', primary: true },
      { value: `user${i}@home.example.org`, type: 'home' },
    ],
    [ENTERPRISE_USER_SCHEMA]: { employeeNumber: String(100000 + i), department: DEPARTMENTS[i % DEPARTMENTS.length] },
    ...(extension ? extensionOf(i) : {}),
  };
}

/**
 * The stored document of user i: exactly what normalizeResource makes of userBody(i)
 * (canonical attribute order, no envelope), built without the normaliser for speed.
 * checkDocFidelity() proves the equivalence at start-up.
 */
export function userDoc(i: number, extension = false): Record<string, unknown> {
  const { given, family } = names(i);
  return {
    externalId: externalIdOf(i),
    userName: userNameOf(i),
    name: { familyName: family, givenName: given },
    displayName: `${given} ${family}`,
    active: i % INACTIVE_EVERY !== 0,
    emails: [
      { value: userNameOf(i), type: 'work', primary: true },
      { value: `user${i}@home.example.org`, type: 'home' },
    ],
    [ENTERPRISE_USER_SCHEMA]: { employeeNumber: String(100000 + i), department: DEPARTMENTS[i % DEPARTMENTS.length] },
    ...(extension ? extensionOf(i) : {}),
  };
}

/** The record of user i as the store takes it (store.users.insertMany): its document and metadata. */
export function userRecord(orgId: string, i: number, type?: ResourceTypeDef): ResourceRecord {
  const t = new Date(EPOCH + i * 1000).toISOString();
  const extension = !!type?.extensions.some((e) => e.schema.id === BENCH_EXTENSION_URN);
  return { org_id: orgId, id: userIdOf(i), doc: userDoc(i, extension), version: 1, created: t, last_modified: t, ...(type ? { type } : {}) };
}
