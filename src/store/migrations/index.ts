import type { Kysely, Migration, MigrationProvider } from 'kysely';
import type { DialectAdapter } from '../dialects/dialect.js';
import { initial } from './001-initial.js';
import { userValues } from './002-user-values.js';
import { groups } from './003-groups.js';
import { events } from './004-events.js';
import { membershipIndexes } from './005-membership-indexes.js';
import { userValuesClustered } from './006-user-values-clustered.js';
import { provisioningLog } from './007-provisioning-log.js';
import { listOrder } from './008-list-order.js';
import { authEpoch } from './009-auth-epoch.js';
import { orgExtensions } from './010-org-extensions.js';
import { groupValues } from './011-group-values.js';
import { catalog } from './012-catalog.js';
import { groupRoles } from './013-group-roles.js';
import { serverSecrets } from './014-server-secrets.js';
import { securityEvents } from './015-security-events.js';
import { tokenOrigins } from './016-token-origins.js';
import { tokenLifecycle } from './017-token-lifecycle.js';
import { oauthClients } from './018-oauth-clients.js';
import { assertionIds } from './019-assertion-ids.js';
import { authorizationCodes } from './020-authorization-codes.js';
import { serverSettings } from './021-server-settings.js';
import { operatorsAudit } from './022-operators-audit.js';
import { operatorSource } from './023-operator-source.js';
import { deprovisions } from './024-deprovisions.js';

/** Versioned migrations, applied in name order at start-up and by `rollcall migrate`. Append only. */
export function migrationProvider(adapter: DialectAdapter): MigrationProvider {
  return {
    async getMigrations(): Promise<Record<string, Migration>> {
      return {
        '001-initial': { up: (db: Kysely<any>) => initial(db, adapter) },
        '002-user-values': { up: (db: Kysely<any>) => userValues(db, adapter) },
        '003-groups': { up: (db: Kysely<any>) => groups(db, adapter) },
        '004-events': { up: (db: Kysely<any>) => events(db, adapter) },
        '005-membership-indexes': { up: (db: Kysely<any>) => membershipIndexes(db) },
        '006-user-values-clustered': { up: (db: Kysely<any>) => userValuesClustered(db, adapter) },
        '007-provisioning-log': { up: (db: Kysely<any>) => provisioningLog(db, adapter) },
        '008-list-order': { up: (db: Kysely<any>) => listOrder(db) },
        '009-auth-epoch': { up: (db: Kysely<any>) => authEpoch(db, adapter) },
        '010-org-extensions': { up: (db: Kysely<any>) => orgExtensions(db, adapter) },
        '011-group-values': { up: (db: Kysely<any>) => groupValues(db, adapter) },
        '012-catalog': { up: (db: Kysely<any>) => catalog(db, adapter) },
        '013-group-roles': { up: (db: Kysely<any>) => groupRoles(db, adapter) },
        '014-server-secrets': { up: (db: Kysely<any>) => serverSecrets(db, adapter) },
        '015-security-events': { up: (db: Kysely<any>) => securityEvents(db, adapter) },
        '016-token-origins': { up: (db: Kysely<any>) => tokenOrigins(db, adapter) },
        '017-token-lifecycle': { up: (db: Kysely<any>) => tokenLifecycle(db, adapter) },
        '018-oauth-clients': { up: (db: Kysely<any>) => oauthClients(db, adapter) },
        '019-assertion-ids': { up: (db: Kysely<any>) => assertionIds(db, adapter) },
        '020-authorization-codes': { up: (db: Kysely<any>) => authorizationCodes(db, adapter) },
        '021-server-settings': { up: (db: Kysely<any>) => serverSettings(db, adapter) },
        '022-operators-audit': { up: (db: Kysely<any>) => operatorsAudit(db, adapter) },
        '023-operator-source': { up: (db: Kysely<any>) => operatorSource(db, adapter) },
        '024-deprovisions': { up: (db: Kysely<any>) => deprovisions(db, adapter) },
      };
    },
  };
}

/** The names of the migrations this version knows, in order (for checks of a database made elsewhere). */
export async function migrationNames(): Promise<string[]> {
  // The adapter is used only when a migration runs; listing them needs none.
  return Object.keys(await migrationProvider(undefined as never).getMigrations()).sort();
}
