export * from './types.js';
export * from './user.js';
export * from './group.js';
export * from './common.js';
export {
  userResourceType,
  groupResourceType,
  resourceTypes,
  allSchemas,
  findResourceType,
  findAttribute,
  findSchema,
  splitAttributePath,
  resolveAttribute,
  resolvePath,
} from './registry.js';
export type { AttributePathParts } from './registry.js';
export * from './catalog.js';
