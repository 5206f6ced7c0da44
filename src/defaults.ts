/**
 * Every default of a Rollcall server, defined once: the CLI, `buildApp` and `createRollcall` read
 * them from here (docs/configuration.md lists them). A leaf module: it imports nothing.
 */
export const DEFAULTS = {
  /** SQLite file of `rollcall serve` and the CLI. */
  database: './data/rollcall.db',
  host: '127.0.0.1',
  port: 8787,
  /** Largest request body in bytes (advertised as bulk.maxPayloadSize). */
  bodyLimit: 1024 * 1024,
  /** Days events stay in the feed. */
  retentionDays: 30,
  /** Per-attempt timeout of a webhook delivery, in seconds. */
  webhookTimeoutSeconds: 10,
  /** Extra lease time past the timeout before another worker may retry an in-flight delivery, in seconds. */
  webhookLeaseGraceSeconds: 30,
  logLevel: 'info',
  /** Where `rollcall serve` mounts the SCIM API and the application API. */
  scimPrefix: '/scim/v2',
  /** Where `rollcall serve` mounts each organization's own SCIM API (`:slug` is the organization's slug). */
  orgScimPrefix: '/o/:slug/scim/v2',
  apiPrefix: '/api/v1',
  /** HTTP server time bounds, in milliseconds (see ServerTimeouts in src/app.ts). */
  timeouts: { requestMs: 30_000, headersMs: 10_000, keepAliveMs: 5_000, idleMs: 10_000, handlerMs: 30_000 },
  /** /healthz answers within this, in milliseconds. */
  healthTimeoutMs: 1_000,
  /** The default and the longest lifetime of an OAuth client secret, in days (Entra ID's gallery: one to three years). */
  clientSecretDays: 365,
  clientSecretMaxDays: 3 * 365,
  /** A refresh token (the authorization code grant) is refused this long after it was issued; each refresh issues a new one. */
  refreshTokenDays: 90,
  /** An authorization code is exchanged within this, once. */
  authorizationCodeSeconds: 60,
  /** PostgreSQL statement_timeout, in milliseconds. */
  statementTimeoutMs: 10_000,
} as const;

/** The path of an organization's own SCIM API. */
export const orgScimPath = (slug: string): string => DEFAULTS.orgScimPrefix.replace(':slug', encodeURIComponent(slug));

/** The path of an organization's OAuth issuer (its authorization server), and of its token endpoint. */
export const orgIssuerPath = (slug: string): string => `/o/${encodeURIComponent(slug)}`;
export const orgTokenPath = (slug: string): string => `${orgIssuerPath(slug)}/oauth/token`;
