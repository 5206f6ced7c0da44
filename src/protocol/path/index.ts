import { ScimError } from '../messages/error.js';
import { parsePathExpression, resolveAttrRef, resolveValuePath, type PathExpression, type ResolvedFilter } from '../filter/index.js';
import { findAttribute, type AttributeDef, type ResolvedAttribute, type ResourceTypeDef } from '../schema/index.js';

/** A resolved PATCH path (RFC 7644 §3.5.2). */
export interface PatchPath {
  /** The top-level attribute, or attribute and sub-attribute for `attr.sub`. */
  readonly attr: ResolvedAttribute;
  /** For a value path, the filter over the attribute's sub-attributes. */
  readonly filter?: ResolvedFilter;
  /** The `.sub` after `]` in `attr[filter].sub`. */
  readonly subAttribute?: AttributeDef;
}

/**
 * Parses and resolves a PATCH operation path (RFC 7644 §3.5.2, `PATH = attrPath / valuePath
 * [subAttr]`): `name.givenName`, `emails[type eq "work"].value`, URN-qualified forms. Names are
 * case-insensitive. Every fault, syntax included, is `invalidPath`.
 */
export function parsePatchPath(rt: ResourceTypeDef, path: string): PatchPath {
  const expr = parseSyntax(path);
  const fail = ScimError.invalidPath;
  if (expr.kind === 'attrPath') return Object.freeze({ attr: resolveAttrRef(rt, expr.attr, fail) });
  const { attr, filter } = resolveValuePath(rt, expr, fail);
  if (expr.subAttribute === undefined) return Object.freeze({ attr, filter });
  const subAttribute = findAttribute(attr.attribute.subAttributes, expr.subAttribute);
  if (!subAttribute) throw fail(`unknown sub-attribute "${expr.subAttribute}" of "${attr.attribute.name}" at position ${expr.subPosition}`);
  return Object.freeze({ attr, filter, subAttribute });
}

function parseSyntax(path: string): PathExpression {
  try {
    return parsePathExpression(path);
  } catch (e) {
    if (e instanceof ScimError && e.scimType === 'invalidFilter') throw ScimError.invalidPath(`invalid path "${path}": ${e.detail}`);
    throw e;
  }
}
