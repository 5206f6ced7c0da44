import type { Kysely } from 'kysely';
import type { DialectAdapter, Reader } from '../dialects/dialect.js';
import type { StoreSession } from '../store.js';
import type { Database } from '../types.js';
import { SqlAccess } from './access.js';
import { SqlCatalog, SqlSecrets } from './catalog.js';
import { SqlClients } from './clients.js';
import { SqlDeprovisions } from './deprovisions.js';
import { SqlContext, type SessionShared } from './context.js';
import { SqlEvents } from './events.js';
import { SqlGroups } from './groups.js';
import { SqlLog } from './log.js';
import { SqlMemberships } from './memberships.js';
import { SqlOrganizations } from './organizations.js';
import { SqlSecurityEvents } from './security-events.js';
import { SqlServerSettings } from './server-settings.js';
import { SqlAudit, SqlOperators } from './operators.js';
import { SqlTokens } from './tokens.js';
import { SqlUsers } from './users.js';
import { SqlWebhooks } from './webhooks.js';

/** The StoreSession of both dialects: one module per aggregate over one connection (or transaction). */
export class SqlSession implements StoreSession {
  readonly clients: SqlClients;
  readonly organizations: SqlOrganizations;
  readonly tokens: SqlTokens;
  readonly users: SqlUsers;
  readonly groups: SqlGroups;
  readonly memberships: SqlMemberships;
  readonly events: SqlEvents;
  readonly webhooks: SqlWebhooks;
  readonly log: SqlLog;
  readonly access: SqlAccess;
  readonly catalog: SqlCatalog;
  readonly secrets: SqlSecrets;
  readonly serverSettings: SqlServerSettings;
  readonly operators: SqlOperators;
  readonly audit: SqlAudit;
  readonly securityEvents: SqlSecurityEvents;
  readonly deprovisions: SqlDeprovisions;
  protected readonly context: SqlContext;

  constructor(db: Kysely<Database>, adapter: DialectAdapter, shared: SessionShared, reader?: Reader) {
    const c = (this.context = new SqlContext(db, adapter, shared, reader));
    this.organizations = new SqlOrganizations(c);
    this.clients = new SqlClients(c);
    this.tokens = new SqlTokens(c);
    this.memberships = new SqlMemberships(c);
    this.users = new SqlUsers(c, this.memberships);
    this.groups = new SqlGroups(c, this.memberships);
    this.events = new SqlEvents(c);
    this.webhooks = new SqlWebhooks(c);
    this.log = new SqlLog(c);
    this.access = new SqlAccess(c);
    this.catalog = new SqlCatalog(c);
    this.secrets = new SqlSecrets(c);
    this.serverSettings = new SqlServerSettings(c);
    this.operators = new SqlOperators(c);
    this.audit = new SqlAudit(c);
    this.securityEvents = new SqlSecurityEvents(c);
    this.deprovisions = new SqlDeprovisions(c);
  }

  /** Whether this session wrote to tokens or organizations. */
  get authChanged(): boolean {
    return this.context.authChanged;
  }
}
