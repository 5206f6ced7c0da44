export { PATCH_OP, parsePatchRequest } from '../messages/patch-op.js';
export type { PatchOperation } from '../messages/patch-op.js';
export { applyPatch, applySteps } from './apply-patch.js';
export type { PatchOptions, PatchResult } from './apply-patch.js';
export { compilePatch, compileOperations } from './plan.js';
export type { DocumentStep, MembershipStep, PatchPlan, PlanOptions } from './plan.js';
export { changedPaths } from './changes.js';
