import type { DirectoryEvent } from './events.js';
import type { OrgSchema } from '../protocol/schema/extensions.js';
import type { OrgSettings } from './settings.js';

/** The organization a request acts for, resolved from its bearer token. */
export interface OrgContext {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly settings: OrgSettings;
  /** Its resource types with the extensions it declared (docs/schema.md). */
  readonly schema: OrgSchema;
}

/** What the service layer needs to know of the request that calls it. */
export interface RequestContext {
  readonly org: OrgContext;
  /** Absolute base URL of the SCIM API for this request, e.g. https://id.example.com/scim/v2 */
  readonly baseUrl: string;
  readonly requestId?: string;
  /** Receives warnings worth logging (unknown attributes ignored, ...). */
  readonly warn?: (message: string, data: Record<string, unknown>) => void;
  /** Told of the events a change committed (the provisioning log records them with the request). */
  readonly committed?: (events: readonly DirectoryEvent[]) => void;
}

export const now = (): string => new Date().toISOString();

export { fold } from '../protocol/fold.js';

/** RFC 7232 weak entity tag of a resource version. */
export const etagOf = (version: number): string => `W/"${version}"`;
