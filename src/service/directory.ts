import type { Store } from '../store/store.js';
import { Access } from './access.js';
import { Audit } from './audit.js';
import { Brandings, type BrandingDefaults } from './branding.js';
import { Operators } from './operators.js';
import { ConsoleOidc, type ConsoleOidcConfig } from './console-oidc.js';
import { Bulk } from './bulk.js';
import { Catalog } from './catalog.js';
import { Clients, type ClientsOptions } from './clients.js';
import { EventBus } from './events.js';
import { EventFeed } from './feed.js';
import { Groups } from './groups.js';
import { Organizations } from './organizations.js';
import { Schemas } from './schemas.js';
import { Users, type UserHooks } from './users.js';
import { Deprovisioning } from './deprovisioning.js';
import { AsyncRequests } from './async-requests.js';

export interface DirectoryOptions {
  readonly hooks?: UserHooks;
  /** Share one bus between directories over the same store in one process (the CLI, tests). */
  readonly bus?: EventBus;
  /** OAuth clients: where their JWKS URLs may point (`--allow-private-jwks`). */
  readonly clients?: ClientsOptions;
  /** The customer-facing pages' branding from the configuration file (`brand`). */
  readonly branding?: BrandingDefaults;
  /** Days the audit trail keeps an entry (default 365). */
  readonly auditRetentionDays?: number;
  /** The console's OpenID Connect sign-in from the configuration file (checked); the CLI's stored one comes first. */
  readonly consoleOidc?: ConsoleOidcConfig;
}

/** The service layer, composed over one store. */
export class Directory {
  readonly organizations: Organizations;
  readonly users: Users;
  readonly groups: Groups;
  /** The durable events feed. */
  readonly events: EventFeed;
  /** Events after they commit, in this process. */
  readonly bus: EventBus;
  /** Setup and login links, and the console sessions they start. */
  readonly access: Access;
  /** Each organization's own schema extensions. */
  readonly schemas: Schemas;
  /** Each organization's declared roles and entitlements. */
  readonly catalog: Catalog;
  /** /Bulk: many operations in one request, each through its resource's service. */
  readonly bulk: Bulk;
  /** Each organization's OAuth clients and the token endpoint's grant. */
  readonly clients: Clients;
  /** The customer-facing pages' product name, accent and logo. */
  readonly branding: Brandings;
  /** The console's operators and their roles. */
  readonly operators: Operators;
  /** Who changed what: the console, the CLI and the application API. */
  readonly audit: Audit;
  /** The console's sign-in with the operators' OpenID Connect provider. */
  readonly consoleOidc: ConsoleOidc;
  /** Deactivations and deletions until the application acknowledges them (issue 27 §3). */
  readonly deprovisioning: Deprovisioning;
  /** Asynchronous requests' outcomes (RFC 9967 §2.5). */
  readonly asyncRequests: AsyncRequests;

  constructor(
    readonly store: Store,
    options: DirectoryOptions = {},
  ) {
    this.bus = options.bus ?? new EventBus();
    this.organizations = new Organizations(store, this.bus);
    this.users = new Users(store, this.bus, options.hooks);
    this.groups = new Groups(store, this.bus);
    this.events = new EventFeed(store, this.bus);
    this.deprovisioning = new Deprovisioning(store);
    this.asyncRequests = new AsyncRequests(store, this.bus);
    this.access = new Access(store, this.organizations);
    this.schemas = new Schemas(store, this.organizations, this.bus);
    this.catalog = new Catalog(store, this.organizations, this.bus);
    this.organizations.declaresRolesWith(this.catalog);
    this.clients = new Clients(store, this.organizations, options.clients);
    this.access.removesClientsWith(this.clients);
    this.branding = new Brandings(store, options.branding);
    this.operators = new Operators(store, this.organizations);
    this.audit = new Audit(store, options.auditRetentionDays);
    this.consoleOidc = new ConsoleOidc(store, options.consoleOidc);
    // One by one when an application hook may await before a create (see Bulk.run).
    this.bulk = new Bulk(
      this.users,
      this.groups,
      options.hooks?.beforeUserCreate ? 1 : 32,
      (err) => store.unavailable(err),
      (ctx, bodies) => this.users.createMany(ctx, bodies),
    );
  }

  /** Whether an error means the database cannot serve now: the request may be retried (503). */
  unavailable(err: unknown): boolean {
    return this.store.unavailable(err);
  }
}
