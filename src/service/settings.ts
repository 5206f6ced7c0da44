import { z } from 'zod';
import { PROFILES } from '../protocol/inbound/profiles.js';

/** Per-organization settings. Every key has a default; docs/configuration.md describes each one. */
export const settingsSchema = z
  .object({
    /**
     * userName must be an email address (Okta "Application username format: Email"). Off for new
     * organizations since issue 14 (any RFC-valid userName); organizations created before keep
     * what they had (migration 010 writes the old default, true, into them).
     */
    requireEmailUserName: z.boolean().default(false),
    /** Lower-case email domains userName may use; empty allows any. */
    allowedEmailDomains: z.array(z.string().min(1)).default([]),
    /**
     * What counts as the application's acknowledgement of a deactivation or deletion (issue 27 §3,
     * docs/integrating.md): `delivery` (a webhook answered 2xx, a feed read or SET poll past it, the
     * onEvent handler resolving) or `done` (only POST /api/v1/events/{id}/done, for applications that
     * revoke access asynchronously).
     */
    deprovisioningAck: z.enum(['delivery', 'done']).default('delivery'),
    /** `delete` removes the user (RFC 7644 §3.6); `deactivate` sets active=false and keeps it. */
    deleteMode: z.enum(['delete', 'deactivate']).default('delete'),
    /**
     * A shorthand for the organization's declared roles (docs/roles.md): setting it declares
     * exactly these roles. It is never stored (migration 012 moved every organization's list into
     * the roles table); `rollcall role list` shows them.
     */
    roles: z.array(z.string().min(1)).optional(),
    /**
     * The vocabulary /Roles and /Entitlements answer in: `ietf` (draft-ietf-scim-roles-entitlements),
     * `okta` (Okta Identity Governance's schemas), or `auto`: Okta's when the request comes from
     * Okta, the IETF draft's otherwise.
     */
    catalogVocabulary: z.enum(['auto', 'ietf', 'okta']).default('auto'),
    /**
     * The profile the organization claims (docs/profiles.md): `compatible` (the RFCs with the
     * tolerances identity providers need), `interop` (the SCIM interoperability profile's strict
     * rules) or `ipsie-al1` (OpenID IPSIE SCIM AL1). ServiceProviderConfig and /Schemas follow it.
     */
    profile: z.enum(PROFILES).default('compatible'),
    /** Refuse unknown attributes with 400 instead of ignoring them. */
    strictSchema: z.boolean().default(false),
    /** Allow several groups with the same displayName (Entra allows it); default: 409 uniqueness. */
    allowDuplicateGroupNames: z.boolean().default(false),
    /** PATCH answers `resource` (200 with the resource) or `noContent` (204). */
    patchResponse: z.enum(['resource', 'noContent']).default('resource'),
    /** The largest page a list or search returns (ServiceProviderConfig filter.maxResults). */
    maxResults: z.number().int().min(1).max(10000).default(1000),
    /**
     * Requests per second each token may make, sustained (a token bucket per token and process);
     * 0 turns the limit off. Okta and Entra ID stay far below the default (Entra's gallery asks
     * for 25 per second per tenant).
     */
    rateLimit: z.number().int().min(0).max(100000).default(200),
    /** Requests a token may make at once above its rate (the bucket's size). */
    rateBurst: z.number().int().min(1).max(100000).default(400),
    /** Operations one /Bulk request may carry (ServiceProviderConfig bulk.maxOperations). */
    bulkMaxOperations: z.number().int().min(1).max(10000).default(1000),
    /**
     * Bytes one /Bulk request may have (ServiceProviderConfig bulk.maxPayloadSize). Unset, the
     * server's body limit (--body-limit, 1 MiB by default), which also caps it.
     */
    bulkMaxPayloadSize: z
      .number()
      .int()
      .min(1024)
      .max(100 * 1024 * 1024)
      .optional(),
    /**
     * Seconds an OAuth access token from the organization's token endpoint is valid: from 1 hour
     * to 6 hours (Microsoft Entra ID's gallery requirements). The `expires_in` of each answer.
     */
    accessTokenSeconds: z.number().int().min(3600).max(21600).default(3600),
    /** Days the provisioning log keeps an entry. */
    logRetentionDays: z.number().int().min(1).max(3650).default(14),
    /** Entries the provisioning log keeps at most (the oldest go first). */
    logMaxEntries: z.number().int().min(1000).max(100_000_000).default(1_000_000),
    /** Hours without a request after which a connection that worked is `silent`. */
    silentAfterHours: z.number().int().min(1).max(8760).default(24),
  })
  .strict();

export type OrgSettings = z.infer<typeof settingsSchema>;

export const SETTING_NAMES = Object.keys(settingsSchema.shape) as (keyof OrgSettings)[];

export function defaultSettings(): OrgSettings {
  return settingsSchema.parse({});
}

/** Reads stored settings, filling defaults for keys added after the organization was created. */
export function parseSettings(json: string): OrgSettings {
  let settings = parsed.get(json);
  if (!settings) {
    settings = Object.freeze(settingsSchema.parse({ ...JSON.parse(json) }));
    if (parsed.size > 10_000) parsed.clear();
    parsed.set(json, settings);
  }
  return settings;
}

/** Parsed settings by their stored JSON text: parsing on every request would be waste. */
const parsed = new Map<string, OrgSettings>();

/**
 * Parses a setting given as text (the CLI's `org set`): booleans as true/false, numbers,
 * lists comma-separated (an empty string is the empty list).
 */
export function parseSettingValue(name: string, text: string): unknown {
  const key = SETTING_NAMES.find((k) => k.toLowerCase() === name.toLowerCase());
  if (!key) throw new SettingError(`unknown setting "${name}"; settings are: ${SETTING_NAMES.join(', ')}`);
  const shape = settingsSchema.shape[key];
  const inner = shape instanceof z.ZodDefault || shape instanceof z.ZodOptional ? shape.unwrap() : shape;
  // An optional setting (one whose default follows something else) is unset by an empty value.
  if (shape instanceof z.ZodOptional && !(inner instanceof z.ZodArray) && text.trim() === '') return undefined;
  let value: unknown = text;
  if (inner instanceof z.ZodBoolean) {
    if (!/^(true|false)$/i.test(text)) throw new SettingError(`${key} must be true or false`);
    value = text.toLowerCase() === 'true';
  } else if (inner instanceof z.ZodNumber) {
    value = Number(text);
  } else if (inner instanceof z.ZodArray) {
    value = text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  const parsed = (inner as z.ZodType).safeParse(value);
  if (!parsed.success) throw new SettingError(`invalid value for ${key}: ${parsed.error.issues.map((i) => words(i, text)).join('; ')}`);
  return parsed.data;
}

/** A refusal in words a person can act on: "must be at most 10000 (not 20000)", not zod's "Too big: expected number to be <=10000". */
function words(issue: z.core.$ZodIssue, text: string): string {
  const given = ` (not "${text.slice(0, 40)}")`;
  if (issue.code === 'too_big') return `must be at most ${String(issue.maximum)}${given}`;
  if (issue.code === 'too_small')
    return issue.origin === 'string' || issue.origin === 'array' ? `must not be empty` : `must be at least ${String(issue.minimum)}${given}`;
  if (issue.code === 'invalid_type' && issue.expected === 'number') return `must be a whole number${given}`;
  if (issue.code === 'invalid_type' && issue.expected === 'int') return `must be a whole number${given}`;
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map(String).join(', ')}${given}`;
  return issue.message;
}

import { SettingError } from './errors.js';

export { SettingError };

/**
 * Settings that contradict the organization's profile, refused in words: the interop and IPSIE
 * profiles want a DELETE that deletes and frees the userName, and the interop profile a `count` of
 * at least 100 honoured.
 */
export function checkProfile(slug: string, s: OrgSettings): void {
  if (s.profile === 'compatible') return;
  if (s.deleteMode === 'deactivate')
    throw new SettingError(
      `profile ${s.profile} needs deleteMode delete (a DELETE must delete the user and free its userName); set it first: rollcall org set ${slug} deleteMode delete`,
    );
  if (s.profile === 'interop' && s.maxResults < 100)
    throw new SettingError(
      `profile interop needs maxResults of at least 100 (a count of 100 is honoured); set it first: rollcall org set ${slug} maxResults 100`,
    );
}
