import { externalIdOf, userIdOf, userNameOf } from './users.js';

/** The SCIM lookups an identity provider makes before every provisioning decision. */
export type ScenarioName = 'userName' | 'externalId' | 'emailValuePath' | 'byId';

export interface Scenario {
  readonly name: ScenarioName;
  readonly label: string;
  /** A filter lookup (answered with a ListResponse) or a read by id. */
  readonly kind: 'filter' | 'read';
  /** The request path for user k. */
  path(k: number): string;
}

export const SCIM_BASE = '/scim/v2';

const filterPath = (filter: string): string => `${SCIM_BASE}/Users?filter=${encodeURIComponent(filter)}`;

export const SCENARIOS: readonly Scenario[] = [
  { name: 'userName', label: 'filter userName eq', kind: 'filter', path: (k) => filterPath(`userName eq "${userNameOf(k)}"`) },
  { name: 'externalId', label: 'filter externalId eq', kind: 'filter', path: (k) => filterPath(`externalId eq "${externalIdOf(k)}"`) },
  { name: 'emailValuePath', label: 'filter emails[type eq "work"].value eq', kind: 'filter', path: (k) => filterPath(`emails[type eq "work"].value eq "${userNameOf(k)}"`) },
  { name: 'byId', label: 'GET /Users/{id}', kind: 'read', path: (k) => `${SCIM_BASE}/Users/${userIdOf(k)}` },
];

export function scenarioOf(name: ScenarioName): Scenario {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) throw new Error(`unknown scenario ${name}`);
  return s;
}

/** A uniformly random user number in 1..maxK. */
export const randomUser = (maxK: number): number => 1 + Math.floor(Math.random() * maxK);
