export type { AttrRef, CompareNode, CompareOp, FilterNode, FilterValue, LogicalNode, NotNode, PathExpression, PresentNode, ValuePathNode } from './ast.js';
export { parseFilter, parsePathExpression } from './parser.js';
export { resolveAttrPathForSort, resolveAttrRef, resolveFilter, resolveValuePath } from './resolve.js';
export type { ErrorFactory, ResolvedFilter } from './resolve.js';
export { toInstant } from './date-time.js';
export { matchesElement } from './match.js';
