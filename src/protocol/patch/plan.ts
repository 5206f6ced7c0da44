import type { ResolvedFilter } from '../filter/index.js';
import { memberValues } from '../inbound/members.js';
import { removesListedElements } from '../inbound/patch.js';
import { isObject } from '../json.js';
import { ScimError } from '../messages/error.js';
import { parsePatchRequest, type PatchOperation } from '../messages/patch-op.js';
import { memberRefs, type MemberRef } from '../members.js';
import { parsePatchPath, type PatchPath } from '../path/index.js';
import { findSchema, type ResourceTypeDef } from '../schema/index.js';
import { expandPathless } from './path-less.js';
import { activeNotRemovable, filteredPathNamesSubAttribute, noCredentialAttributes, pathRequired, type Profile } from '../inbound/profiles.js';

/** A change to the stored document, its path parsed and resolved once. */
export type DocumentStep =
  | { readonly kind: 'set'; readonly op: 'add' | 'replace'; readonly path: PatchPath; readonly value: unknown; readonly label: string }
  | { readonly kind: 'remove'; readonly path: PatchPath; readonly value: unknown; readonly label: string }
  /** The path names a whole extension (`urn:...:enterprise:2.0:User`): remove all of it. */
  | { readonly kind: 'removeExtension'; readonly schemaId: string };

/**
 * A change to an attribute kept as rows (a group's `members`): the store runs it as targeted
 * statements, never by rewriting the group.
 */
export type MembershipStep =
  | { readonly kind: 'add'; readonly members: readonly MemberRef[] }
  | { readonly kind: 'replace'; readonly members: readonly MemberRef[] }
  | { readonly kind: 'remove'; readonly ids: readonly string[] }
  /** Remove the members an element filter matches; every member without one. */
  | { readonly kind: 'removeWhere'; readonly filter: ResolvedFilter | undefined };

/** A PatchOp (RFC 7644 §3.5.2) compiled against one resource type: typed steps, in request order. */
export interface PatchPlan {
  readonly document: readonly DocumentStep[];
  readonly memberships: readonly MembershipStep[];
  /** Keys of path-less values the schemas do not know (ignored unless the organization is strict). */
  readonly unknown: readonly string[];
}

export interface PlanOptions {
  /** The multi-valued attribute kept as rows (`members` of Group); absent when none is. */
  readonly membership?: string;
  /** The organization's profile (../inbound/profiles.ts): `interop` refuses what `compatible` reads. */
  readonly profile?: Profile | undefined;
}

/**
 * Parses a PatchOp body and compiles it: every path is parsed and resolved here, once. Faults of
 * the request (syntax, paths, a member's sub-attribute) are thrown before anything is applied.
 */
export function compilePatch(rt: ResourceTypeDef, body: unknown, options: PlanOptions = {}): PatchPlan {
  return compileOperations(rt, parsePatchRequest(body), options);
}

/** Compiles already parsed operations (see compilePatch). */
export function compileOperations(rt: ResourceTypeDef, ops: readonly PatchOperation[], options: PlanOptions = {}): PatchPlan {
  const document: DocumentStep[] = [];
  const memberships: MembershipStep[] = [];
  const unknown: string[] = [];
  const membership = options.membership?.toLowerCase();
  const isMembership = (name: string) => membership !== undefined && name.toLowerCase() === membership;
  ops.forEach((op, index) => {
    if (op.op !== 'remove' && op.value === undefined)
      throw ScimError.invalidSyntax(`Operations[${index}]: an "${op.op}" operation needs a "value" (RFC 7644 §3.5.2).`);
    pathRequired(options.profile, index, op.path);
    if (op.path === undefined) {
      if (op.op === 'remove') throw ScimError.noTarget(`Operations[${index}]: a "remove" operation needs a "path" (RFC 7644 §3.5.2.2).`);
      let value = op.value;
      if (isObject(value) && membership !== undefined) {
        const qualified = `${rt.schema.id}:${membership}`.toLowerCase();
        const key = Object.keys(value).find((k) => isMembership(k) || k.toLowerCase() === qualified);
        if (key) {
          const { [key]: members, ...rest } = value;
          memberships.push({ kind: op.op, members: memberRefs(memberValues(members)) });
          if (Object.keys(rest).length === 0) return;
          value = rest;
        }
      }
      for (const t of expandPathless(rt, value, unknown)) document.push({ kind: 'set', op: op.op, path: t.path, value: t.value, label: t.label });
      return;
    }
    const extension = findSchema(rt, op.path);
    if (extension?.inExtension) {
      // A whole extension: remove it, or apply its attributes as a path-less value would.
      if (op.op === 'remove') document.push({ kind: 'removeExtension', schemaId: extension.schema.id });
      else
        for (const t of expandPathless(rt, { [extension.schema.id]: op.value }, unknown))
          document.push({ kind: 'set', op: op.op, path: t.path, value: t.value, label: t.label });
      return;
    }
    const path = parsePatchPath(rt, op.path);
    filteredPathNamesSubAttribute(options.profile, index, op.op, op.path, path.filter !== undefined, path.subAttribute !== undefined);
    activeNotRemovable(options.profile, index, op.op, path.attr.attribute.name, path.attr.inExtension);
    if (noCredentialAttributes(options.profile) && !path.attr.inExtension && path.attr.attribute.name === 'password') {
      unknown.push(op.path);
      return;
    }
    if (!path.attr.inExtension && !path.attr.common && isMembership(path.attr.attribute.name)) {
      memberships.push(membershipStep(op, path));
      return;
    }
    if (op.op === 'remove') document.push({ kind: 'remove', path, value: op.value, label: op.path });
    else document.push({ kind: 'set', op: op.op, path, value: op.value, label: op.path });
  });
  return { document, memberships, unknown };
}

function membershipStep(op: PatchOperation, path: PatchPath): MembershipStep {
  if (path.attr.subAttribute || path.subAttribute) {
    throw ScimError.mutability(`"${op.path}": a member's sub-attributes cannot be changed; add or remove the member instead.`);
  }
  if (op.op === 'remove') {
    if (path.filter) return { kind: 'removeWhere', filter: path.filter };
    if (removesListedElements(op.value)) return { kind: 'remove', ids: memberRefs(memberValues(op.value)).map((m) => m.id) };
    return { kind: 'removeWhere', filter: undefined };
  }
  if (path.filter) throw ScimError.invalidPath(`"${op.path}": use add with path "members" to add members.`);
  return { kind: op.op, members: memberRefs(memberValues(op.value)) };
}
