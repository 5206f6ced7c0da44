import { ScimError } from './messages/error.js';

/** A reference to a group member (RFC 7643 §4.2 `members`): its id, and its type when sent. */
export interface MemberRef {
  readonly id: string;
  readonly type?: 'User' | 'Group';
}

/** Member references from `members` elements ({value, type?}); `type` is matched case-insensitively. */
export function memberRefs(value: unknown): MemberRef[] {
  if (value === undefined) return [];
  return (value as Record<string, unknown>[]).map((m, i) => {
    if (typeof m.value !== 'string') throw ScimError.invalidValue(`members[${i}] has no "value" (the member's id).`);
    const type = typeof m.type === 'string' ? m.type.toLowerCase() : undefined;
    if (type !== undefined && type !== 'user' && type !== 'group') throw ScimError.invalidValue(`members[${i}].type must be "User" or "Group".`);
    return { id: m.value, ...(type ? { type: type === 'user' ? ('User' as const) : ('Group' as const) } : {}) };
  });
}
