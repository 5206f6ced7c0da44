import { GROUP_SCHEMA } from './schema/group.js';
import type { ResolvedAttribute } from './schema/types.js';
import { USER_SCHEMA } from './schema/user.js';

/**
 * The values that identify a resource to people and to identity providers: a user's `userName` and
 * `emails.value`, a group's `displayName`. Whitespace around them is never part of them (a mapping
 * that appends a space must not make " abc@x.test " a second account beside "abc@x.test"): they are
 * stored trimmed, and an `eq`/`ne` filter on them compares the trimmed value, so what a client
 * created with is what it finds. Whitespace inside is kept. See docs/compatibility.md.
 */
export function isIdentifier(a: Pick<ResolvedAttribute, 'schema' | 'inExtension' | 'attribute' | 'subAttribute'>): boolean {
  if (a.inExtension) return false;
  if (a.schema.id === USER_SCHEMA) return a.subAttribute ? a.attribute.name === 'emails' && a.subAttribute.name === 'value' : a.attribute.name === 'userName';
  return a.schema.id === GROUP_SCHEMA && !a.subAttribute && a.attribute.name === 'displayName';
}

/** A normalised User or Group document with its identifiers trimmed, in place. */
export function trimIdentifiers(schemaId: string, doc: Record<string, unknown>): void {
  if (schemaId === USER_SCHEMA) {
    if (typeof doc.userName === 'string') doc.userName = doc.userName.trim();
    if (Array.isArray(doc.emails)) for (const e of doc.emails as Record<string, unknown>[]) if (e && typeof e.value === 'string') e.value = e.value.trim();
  } else if (schemaId === GROUP_SCHEMA && typeof doc.displayName === 'string') doc.displayName = doc.displayName.trim();
}
