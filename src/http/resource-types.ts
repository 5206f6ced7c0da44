import { wantsAttribute, type Projection } from '../protocol/projection.js';
import { groupResourceType, userResourceType } from '../protocol/schema/index.js';
import type { Directory } from '../service/directory.js';
import type { GroupRead } from '../service/groups.js';
import type { UserRead } from '../service/users.js';
import type { ResourceDescriptor } from './resource-routes.js';

const asked = (p: Projection) => p.attributes !== undefined || p.excludedAttributes !== undefined;

/**
 * The resource types the SCIM API serves, in the order root `.search` returns them. A new
 * resource type is one entry here: its schema, its service, and what its responses read.
 */
export function resourceTypesOf(directory: Directory): ResourceDescriptor<unknown>[] {
  const users: ResourceDescriptor<UserRead> = {
    type: userResourceType,
    typeOf: (org) => org.schema.user,
    service: directory.users,
    read: (p) => ({ groups: wantsAttribute(userResourceType, p, 'groups') }),
    answersPatch: (settings) => settings.patchResponse !== 'noContent',
    text: directory.users,
  };
  // Members are read only when the response includes them (`excludedAttributes=members`, which
  // Entra always sends, never touches the memberships table). PATCH answers 204 unless the
  // request asks for attributes: a member added to a group of 100,000 costs one row, not a
  // 100,000-member response.
  const groups: ResourceDescriptor<GroupRead> = {
    type: groupResourceType,
    typeOf: (org) => org.schema.group,
    service: directory.groups,
    read: (p) => ({ members: wantsAttribute(groupResourceType, p, 'members') }),
    answersPatch: (settings, p) => settings.patchResponse !== 'noContent' && asked(p),
  };
  return [users, groups] as ResourceDescriptor<unknown>[];
}
