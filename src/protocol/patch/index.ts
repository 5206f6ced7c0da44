export { PATCH_OP, parsePatchRequest } from './patch-request.js';
export type { PatchOperation } from './patch-request.js';
export { applyPatch } from './apply-patch.js';
export type { PatchOptions, PatchResult } from './apply-patch.js';
