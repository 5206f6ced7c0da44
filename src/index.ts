/**
 * Rollcall as a library: `createRollcall({ database })` gives a fastify plugin to mount the SCIM
 * API under any prefix of your own server, the application API plugin, typed hooks and event
 * subscriptions, and the store. See docs/integrating.md.
 */
import type { FastifyPluginAsync } from 'fastify';
import { wire } from './app.js';
import type { Webhooks } from './events/webhooks.js';
import type { WorkerOptions } from './events/worker.js';
import type { Directory } from './service/directory.js';
import type { DirectoryEvent } from './service/events.js';
import type { UserHooks } from './service/users.js';
import type { UserRoles } from './service/catalog.js';
import { openStore, type Store } from './store/open.js';
import type { JWK } from 'jose';
import { issuerOf, securityEventOf, type SetForm } from './events/security-events.js';
import { DEPROVISION_EVENTS } from './service/deprovisioning.js';

export interface RollcallOptions {
  /** SQLite file path or postgres:// URL (default ./data/rollcall.db). */
  readonly database?: string;
  /** External URL of your server (without the SCIM prefix), for meta.location. */
  readonly publicUrl?: string;
  /** Largest SCIM request body in bytes (default 1 MiB). */
  readonly bodyLimit?: number;
  /** Run the webhook worker in this process (default false). */
  readonly worker?: boolean | WorkerOptions;
  readonly retentionDays?: number;
  /** Let webhooks reach loopback, link-local, private and metadata addresses (default false). */
  readonly allowPrivateWebhooks?: boolean;
  /** Record every SCIM request in the provisioning log (default true). */
  readonly provisioningLog?: boolean;
  /** beforeUserCreate / beforeUserUpdate: throw a ScimError to refuse a write. */
  readonly hooks?: UserHooks;
}

export interface Rollcall {
  /**
   * The SCIM API: `app.register(rollcall.scim, { prefix: '/scim/v2' })`, where the token picks the
   * organization; and each organization's own, `app.register(rollcall.scim, { prefix: '/o/:slug/scim/v2' })`
   * (a prefix with a `:slug` parameter), which accepts only that organization's tokens.
   */
  readonly scim: FastifyPluginAsync;
  /** The application API (events feed, webhooks): `app.register(rollcall.api, { prefix: '/rollcall/api/v1' })`. */
  readonly api: FastifyPluginAsync;
  /**
   * The operator console (/admin) and the IT admin's setup pages (/setup): `app.register(rollcall.console)`
   * at the root of your server; open it with a link from `rollcall.directory.access.createLoginLink()`.
   */
  readonly console: FastifyPluginAsync;
  readonly store: Store;
  /** Organizations, tokens, users and groups, without HTTP. */
  readonly directory: Directory;
  readonly webhooks: Webhooks;
  /** Subscribes to events after they commit (in this process); returns the unsubscribe function. */
  onEvent(listener: (event: DirectoryEvent) => void | Promise<void>): () => void;
  /** Reads the durable feed of an organization (for catching up after a restart). */
  events(orgSlug: string, after: number, limit?: number): Promise<DirectoryEvent[]>;
  /** A user's effective roles: its own, those its groups grant (nested included), and where each comes from (docs/roles.md). */
  roles(orgSlug: string, userId: string): Promise<UserRoles>;
  /**
   * An event as a signed Security Event Token (RFC 9967), as webhooks of format `set` and the poll
   * endpoint send it; undefined for an event with no SET form (docs/integrating.md).
   */
  securityEventToken(event: DirectoryEvent, options?: { form?: SetForm; audience?: string }): Promise<string | undefined>;
  /** The organization's published signing keys (its JWKS). */
  jwks(orgSlug: string): Promise<{ keys: JWK[] }>;
  close(): Promise<void>;
}

export async function createRollcall(options: RollcallOptions = {}): Promise<Rollcall> {
  const store = await openStore(options.database);
  const { directory, webhooks, keys, worker, log, scim, api, console } = wire({ ...options, store });
  worker?.start();
  log?.start();
  return {
    scim,
    api,
    console,
    store,
    directory,
    webhooks,
    // A handler that resolves on a deactivation or deletion acknowledges it (docs/integrating.md).
    onEvent: (listener) =>
      directory.bus.on(async (event) => {
        await listener(event);
        if (DEPROVISION_EVENTS.has(event.type)) {
          const org = await directory.organizations.find(event.organization);
          if (org) await directory.deprovisioning.delivered(org.id, [event.seq], 'onEvent');
        }
      }),
    async events(orgSlug, after, limit = 100) {
      const org = await directory.organizations.get(orgSlug);
      await directory.deprovisioning.deliveredUpTo(org.id, after, 'feed');
      return directory.events.read(org, after, limit);
    },
    roles: (orgSlug, userId) => directory.catalog.rolesOf(orgSlug, userId),
    async securityEventToken(event, o = {}) {
      const claims = securityEventOf(event, {
        issuer: issuerOf(options.publicUrl, event.organization),
        form: o.form ?? 'full',
        now: Date.now(),
        ...(o.audience ? { audience: o.audience } : {}),
      });
      if (!claims) return undefined;
      const org = await directory.organizations.get(event.organization);
      return (await keys.signer(org.id)).sign(claims);
    },
    async jwks(orgSlug) {
      return keys.jwks((await directory.organizations.get(orgSlug)).id);
    },
    async close() {
      await worker?.stop();
      await log?.stop();
      await store.close();
    },
  };
}

export { ScimError } from './protocol/messages/error.js';
export type { ScimType } from './protocol/messages/error.js';
export type { DirectoryEvent, EventType } from './service/events.js';
export type { CatalogEntry, RoleMapping, UserRoles } from './service/catalog.js';
export type { UserHooks } from './service/users.js';
export type { ScimResource } from './service/resource.js';
export type { OrgContext } from './service/context.js';
export type { OrgSettings } from './service/settings.js';
export type { Webhook, Delivery } from './events/webhooks.js';
export type { WorkerOptions } from './events/worker.js';
export { verify as verifyWebhookSignature, sign as signWebhookPayload } from './events/signature.js';
export { buildApp } from './app.js';
export {
  EVENT_URIS as SECURITY_EVENT_URIS,
  SET_EVENT_TYPES,
  issuerOf as securityEventIssuer,
  securityEventOf,
  type SecurityEventClaims,
  type SetForm,
} from './events/security-events.js';
export type { Store } from './store/open.js';
