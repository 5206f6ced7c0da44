import { unknownIsSyntax } from '../protocol/inbound/profiles.js';
import { ScimError } from '../protocol/messages/error.js';
import type { ResourceTypeDef } from '../protocol/schema/index.js';
import type { StoreSession } from '../store/store.js';
import { etagOf, type RequestContext } from './context.js';
import type { Preconditions } from './resource.js';
import type { OrgSettings } from './settings.js';

/**
 * The write rules Users and Groups share: preconditions (If-Match), the organization's policy on a
 * user, extensions' `required` and `uniqueness` (RFC 7643 §2.2), unknown attributes in a PATCH, and
 * a stored document seen without the extensions being removed.
 */

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Unknown attributes a PATCH named: refused with the organization's strictSchema setting, else
 * ignored with a warning (identity providers send extras).
 */
export function unknownPatchAttributes(ctx: RequestContext, resourceType: 'User' | 'Group', names: readonly string[]): void {
  if (names.length === 0) return;
  const unknown = [...new Set(names)];
  unknownIsSyntax(ctx.org.settings.profile, 'attribute', unknown);
  if (ctx.org.settings.strictSchema) {
    throw ScimError.invalidValue(
      `Unknown attribute${unknown.length > 1 ? 's' : ''}: ${unknown.map((u) => `"${u}"`).join(', ')} (the organization's strictSchema setting refuses them).`,
    );
  }
  ctx.warn?.('unknown attributes ignored', { resourceType, attributes: unknown });
}

/** Checks If-Match (RFC 7232) against a row's version; 412 when it does not match. */
export function checkIfMatch(row: { version: number }, pre: Preconditions): void {
  if (pre.ifMatch === undefined) return;
  const tags = pre.ifMatch.split(',').map((t) => t.trim());
  if (tags.includes('*') || tags.includes(etagOf(row.version)) || tags.includes(etagOf(row.version).slice(2))) return;
  throw ScimError.preconditionFailed(`If-Match ${pre.ifMatch} does not match the current version ${etagOf(row.version)}.`);
}

/** Organization policy on a normalised User (see docs/configuration.md). */
export function checkPolicy(slug: string, settings: OrgSettings, doc: Record<string, unknown>): void {
  const userName = doc.userName;
  if (typeof userName !== 'string' || userName.trim() === '') {
    throw ScimError.invalidValue('"userName" is required and must be a non-empty string.');
  }
  if (settings.requireEmailUserName && !EMAIL.test(userName)) {
    throw ScimError.invalidValue(
      `userName "${userName}" is not an email address. This organization requires email userNames; an operator can allow other usernames with: rollcall org set ${slug} requireEmailUserName false`,
    );
  }
  if (settings.allowedEmailDomains.length > 0 && userName.includes('@')) {
    const domain = userName.slice(userName.lastIndexOf('@') + 1).toLowerCase();
    if (!settings.allowedEmailDomains.some((d) => d.toLowerCase() === domain)) {
      throw ScimError.invalidValue(
        `The email domain "${domain}" of userName "${userName}" is not allowed in this organization (allowed: ${settings.allowedEmailDomains.join(', ')}).`,
      );
    }
  }
}

/** A stored document without the extensions being removed (their values are still being deleted). */
export function withoutRemoved(doc: Record<string, unknown>, removing: readonly string[]): Record<string, unknown> {
  if (removing.length === 0) return doc;
  let out = doc;
  for (const urn of removing) {
    const key = Object.keys(out).find((k) => k.toLowerCase() === urn.toLowerCase());
    if (key === undefined) continue;
    if (out === doc) out = { ...doc };
    delete out[key];
  }
  return out;
}

/**
 * RFC 7643 §2.2 `uniqueness` of the organization's extension attributes (single-valued, simple,
 * `server` or `global`, which within one organization are the same): no other user of the
 * organization may hold the value, compared as filters compare it. Checked inside the write's
 * transaction; SQLite's writes, and one node's writes to one organization on PostgreSQL, are
 * serialised, so two of them cannot both pass. (Two PostgreSQL nodes writing the same value at
 * the same instant could: the core userName has a unique index for that; extension values do not.)
 */
export async function checkUnique(
  tx: StoreSession,
  ctx: RequestContext,
  id: string,
  doc: Readonly<Record<string, unknown>>,
  before?: Readonly<Record<string, unknown>>,
): Promise<void> {
  for (const ext of ctx.org.schema.user.extensions) {
    const values = doc[ext.schema.id] as Record<string, unknown> | undefined;
    if (!values) continue;
    const previous = before?.[ext.schema.id] as Record<string, unknown> | undefined;
    for (const a of ext.schema.attributes) {
      if (a.uniqueness === 'none' || a.multiValued || a.type === 'complex' || a.type === 'binary' || values[a.name] === undefined) continue;
      // A value the user already held was unique when it was written: no query for it.
      if (previous?.[a.name] === values[a.name]) continue;
      const key = `${ext.schema.id}:${a.name}`;
      const holder = await tx.users.holderOf(ctx.org.id, key, a, values[a.name], id);
      if (holder)
        throw ScimError.uniqueness(`"${key}" must be unique in this organization, and ${JSON.stringify(values[a.name])} is already held by user ${holder}.`);
    }
  }
}

/**
 * RFC 7643 §2.2 `required` for extensions: an extension the resource type requires must be sent
 * (on create and replace; `presentOnly` for PATCH), and a required attribute of an extension that
 * is sent must be in it. (The core's required
 * attributes are the policy's: userName, displayName.)
 */
export function checkRequired(rt: ResourceTypeDef, doc: Readonly<Record<string, unknown>>, options: { presentOnly?: boolean } = {}): void {
  for (const ext of rt.extensions) {
    const values = doc[ext.schema.id] as Record<string, unknown> | undefined;
    if (!values) {
      if (ext.required && !options.presentOnly)
        throw ScimError.invalidValue(
          `The schema extension "${ext.schema.id}" is required for ${rt.name}s in this organization; send it with its required attributes.`,
        );
      continue;
    }
    for (const a of ext.schema.attributes) {
      if (a.required && a.mutability !== 'readOnly' && values[a.name] === undefined) {
        throw ScimError.invalidValue(`"${ext.schema.id}:${a.name}" is required (it is a required attribute of the extension).`);
      }
    }
  }
}

/**
 * A PUT body's `id` that is not the resource's: RFC 7644 §3.5.1 says a read-only value sent "SHALL be
 * ignored", and the URL says which resource is replaced, so it is ignored (and logged at warn). With
 * the organization's strictSchema setting it is refused (400 mutability): a client that sends one
 * resource's document to another's URL has a bug that would overwrite the wrong account, and a
 * strict organization would rather hear of it.
 */
export function checkBodyId(ctx: RequestContext, resourceType: 'User' | 'Group', body: unknown, id: string): void {
  const bodyId = (body as Record<string, unknown>).id;
  if (typeof bodyId !== 'string' || bodyId === id) return;
  if (ctx.org.settings.strictSchema)
    throw ScimError.mutability(
      `"id" is read-only: the body's id "${bodyId}" differs from the ${resourceType === 'User' ? 'user' : 'group'}'s id "${id}" (the organization's strictSchema setting refuses it; without it, the body's id is ignored as RFC 7644 §3.5.1 says).`,
    );
  ctx.warn?.("a PUT body's id differs from the URL's: ignored (RFC 7644 §3.5.1)", { resourceType, id, bodyId: bodyId.slice(0, 100) });
}
