export { PATCH_OP, parsePatchRequest } from '../messages/patch-op.js';
export type { PatchOperation } from '../messages/patch-op.js';
export { applyPatch } from './apply-patch.js';
export type { PatchOptions, PatchResult } from './apply-patch.js';
