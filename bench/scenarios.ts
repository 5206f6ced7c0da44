import { BENCH_EXTENSION_URN, externalIdOf, githubOf, userIdOf, userNameOf } from './users.js';

/** The SCIM lookups an identity provider makes before every provisioning decision. */
export type ScenarioName = 'userName' | 'externalId' | 'emailValuePath' | 'extension' | 'byId' | 'create' | 'patch' | 'page' | 'token';

export interface Scenario {
  readonly name: ScenarioName;
  readonly label: string;
  /** A filter lookup (answered with a ListResponse) or a read by id. */
  readonly kind: 'filter' | 'read';
  /** The request path for user k. */
  path(k: number): string;
  /** A write's method and body for user k (reads are GETs without one). */
  readonly method?: 'POST' | 'PATCH';
  body?(k: number): string;
  /** The body's type (default application/scim+json). */
  readonly contentType?: string;
}

export const SCIM_BASE = '/scim/v2';

const filterPath = (filter: string): string => `${SCIM_BASE}/Users?filter=${encodeURIComponent(filter)}`;

export const SCENARIOS: readonly Scenario[] = [
  { name: 'userName', label: 'filter userName eq', kind: 'filter', path: (k) => filterPath(`userName eq "${userNameOf(k)}"`) },
  { name: 'externalId', label: 'filter externalId eq', kind: 'filter', path: (k) => filterPath(`externalId eq "${externalIdOf(k)}"`) },
  {
    name: 'emailValuePath',
    label: 'filter emails[type eq "work"].value eq',
    kind: 'filter',
    path: (k) => filterPath(`emails[type eq "work"].value eq "${userNameOf(k)}"`),
  },
  // An attribute of the organization's own extension (issue 14): Zulip's GitHub username field.
  {
    name: 'extension',
    label: 'filter urn:…:bench:2.0:User:githubUsername eq',
    kind: 'filter',
    path: (k) => filterPath(`${BENCH_EXTENSION_URN}:githubUsername eq "${githubOf(k)}"`),
  },
  { name: 'byId', label: 'GET /Users/{id}', kind: 'read', path: (k) => `${SCIM_BASE}/Users/${userIdOf(k)}` },
];

let created = 0;
const run = `${process.pid.toString(36)}${Date.now().toString(36)}`;

/** Writes (the provisioning log's cost is measured on them too): a new user per request, and a PATCH of user k's given name. */
export const WRITE_SCENARIOS: readonly Scenario[] = [
  {
    name: 'create',
    label: 'POST /Users',
    kind: 'read',
    method: 'POST',
    path: () => `${SCIM_BASE}/Users`,
    body: () =>
      JSON.stringify({
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: `new-${run}-${++created}@bench.example`,
        name: { givenName: 'New', familyName: 'User' },
        emails: [{ value: `new-${run}-${created}@bench.example`, type: 'work', primary: true }],
      }),
  },
  {
    name: 'patch',
    label: 'PATCH /Users/{id} (replace name.givenName)',
    kind: 'read',
    method: 'PATCH',
    path: (k) => `${SCIM_BASE}/Users/${userIdOf(k)}`,
    body: () =>
      JSON.stringify({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', path: 'name.givenName', value: `G${++created}` }],
      }),
  },
];

/** The client credentials grant at the benchmark organization's token endpoint (the client's Basic credentials in the headers). */
export const TOKEN_SCENARIO: Scenario = {
  name: 'token',
  label: 'POST /o/bench/oauth/token (client_credentials, client_secret_basic)',
  kind: 'read',
  method: 'POST',
  path: () => '/o/bench/oauth/token',
  body: () => 'grant_type=client_credentials',
  contentType: 'application/x-www-form-urlencoded',
};

/** A page of 100 users at a random offset (user k is the page's first): what an import walk asks for. */
export const PAGE_SCENARIO: Scenario = {
  name: 'page',
  label: 'GET /Users?startIndex=random&count=100',
  kind: 'read',
  path: (k) => `${SCIM_BASE}/Users?startIndex=${k}&count=100`,
};

export function scenarioOf(name: ScenarioName): Scenario {
  const s = [...SCENARIOS, ...WRITE_SCENARIOS, PAGE_SCENARIO, TOKEN_SCENARIO].find((x) => x.name === name);
  if (!s) throw new Error(`unknown scenario ${name}`);
  return s;
}

/** A uniformly random user number in 1..maxK. */
export const randomUser = (maxK: number): number => 1 + Math.floor(Math.random() * maxK);
