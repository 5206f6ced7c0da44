import { isObject, member } from '../json.js';
import { decodePathSegment } from '../path-segment.js';
import { ScimError } from './error.js';

/** The BulkRequest and BulkResponse message schemas, RFC 7644 §3.7. */
export const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
export const BULK_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

export type BulkMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What an operation's `path` names: an endpoint, and a resource by id or by the bulkId of its POST. */
export interface BulkTarget {
  readonly endpoint: 'Users' | 'Groups';
  readonly id?: string;
  readonly ref?: string;
}

/** One operation of a BulkRequest (RFC 7644 §3.7), checked. */
export interface BulkOperation {
  readonly index: number;
  readonly method: BulkMethod;
  readonly path: string;
  readonly bulkId?: string;
  readonly version?: string;
  readonly data?: unknown;
  /** The parsed path, or the error the operation is answered with (others still run). */
  readonly target: BulkTarget | ScimError;
  /** The bulkIds it refers to, in its path and anywhere in its data. */
  readonly references: readonly string[];
}

export interface BulkLimits {
  readonly maxOperations: number;
  readonly maxPayloadSize: number;
}

/**
 * The longest chain of operations that wait on one another through bulkId references. The
 * operations of a chain run one after the other, so its length bounds the request's time; Okta,
 * Entra ID and the IETF's examples send chains of one or two.
 */
export const MAX_BULK_CHAIN = 100;

/** A BulkRequest, checked, with the order its operations run in. */
export interface BulkRequest {
  readonly operations: readonly BulkOperation[];
  readonly failOnErrors: number | undefined;
  /** The request's order, except that a POST another operation refers to runs before it. */
  readonly order: readonly BulkOperation[];
  /** Operations on a cycle of references, with the error each is answered with. */
  readonly cyclic: ReadonlyMap<number, ScimError>;
  /** bulkId → the POST that creates it. */
  readonly creators: ReadonlyMap<string, BulkOperation>;
}

const METHODS: readonly string[] = ['POST', 'PUT', 'PATCH', 'DELETE'];
const REFERENCE = /^bulkId:(.+)$/;

/** The bulkId a value refers to (`"bulkId:qwerty"`), if it is a reference. */
export function referenceOf(value: string): string | undefined {
  return REFERENCE.exec(value)?.[1];
}

/**
 * Checks a BulkRequest (RFC 7644 §3.7) before anything runs: the payload size (`payloadBytes`,
 * the bytes that arrived) and operation count against the limits (413 naming the limit), each
 * operation's members (400), and the chains of bulkId references (at most {@link MAX_BULK_CHAIN}
 * operations long). An operation whose path is wrong is answered on its own, as its twin
 * request would be.
 */
export function parseBulkRequest(body: unknown, payloadBytes: number, limits: BulkLimits): BulkRequest {
  if (payloadBytes > limits.maxPayloadSize) {
    throw ScimError.payloadTooLarge(
      `The bulk request is ${payloadBytes} bytes; this server's maxPayloadSize is ${limits.maxPayloadSize} (ServiceProviderConfig bulk.maxPayloadSize).`,
    );
  }
  if (!isObject(body)) throw ScimError.invalidSyntax('The body must be a BulkRequest object.');
  const schemas = member(body, 'schemas');
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === BULK_REQUEST.toLowerCase())) {
    throw ScimError.invalidSyntax(`A BulkRequest's "schemas" must contain "${BULK_REQUEST}".`);
  }
  const ops = member(body, 'Operations');
  if (!Array.isArray(ops) || ops.length === 0) throw ScimError.invalidSyntax('"Operations" must be a non-empty array.');
  if (ops.length > limits.maxOperations) {
    throw ScimError.payloadTooLarge(
      `The bulk request has ${ops.length} operations; this server's maxOperations is ${limits.maxOperations} (ServiceProviderConfig bulk.maxOperations).`,
    );
  }
  const fail = member(body, 'failOnErrors');
  let failOnErrors: number | undefined;
  if (fail !== undefined && fail !== null) {
    if (typeof fail !== 'number' || !Number.isInteger(fail) || fail < 1) throw ScimError.invalidValue('"failOnErrors" must be an integer of at least 1.');
    failOnErrors = fail;
  }
  const seen = new Set<string>();
  const operations = ops.map((raw: unknown, index): BulkOperation => {
    const at = `Operations[${index}]`;
    if (!isObject(raw)) throw ScimError.invalidSyntax(`${at} must be an object.`);
    const m = member(raw, 'method');
    const method = typeof m === 'string' ? m.trim().toUpperCase() : undefined;
    if (!method || !METHODS.includes(method)) throw ScimError.invalidValue(`${at}.method must be POST, PUT, PATCH or DELETE.`);
    const path = member(raw, 'path');
    if (typeof path !== 'string' || path.trim() === '') throw ScimError.invalidValue(`${at}.path is required: /Users, /Groups, or a resource's path.`);
    const bulkId = member(raw, 'bulkId');
    if (bulkId !== undefined && (typeof bulkId !== 'string' || bulkId === '')) throw ScimError.invalidValue(`${at}.bulkId must be a non-empty string.`);
    if (typeof bulkId === 'string') {
      if (seen.has(bulkId)) throw ScimError.invalidValue(`bulkId "${bulkId}" is used by two operations; each must be unique in the request.`);
      seen.add(bulkId);
    }
    const version = member(raw, 'version');
    if (version !== undefined && typeof version !== 'string') throw ScimError.invalidValue(`${at}.version must be a string (an ETag).`);
    const data = member(raw, 'data');
    if (method !== 'DELETE' && (data === undefined || data === null)) throw ScimError.invalidValue(`${at}.data is required for ${method}.`);
    const trimmed = path.trim();
    const target = targetOf(method as BulkMethod, trimmed);
    return {
      index,
      method: method as BulkMethod,
      path: trimmed,
      ...(typeof bulkId === 'string' ? { bulkId } : {}),
      ...(typeof version === 'string' ? { version } : {}),
      ...(data !== undefined ? { data } : {}),
      target,
      references: referencesOf(target, data),
    };
  });
  const creators = new Map<string, BulkOperation>();
  for (const op of operations) if (op.bulkId !== undefined && op.method === 'POST') creators.set(op.bulkId, op);
  const { order, cyclic } = plan(operations, creators);
  return { operations, failOnErrors, order, cyclic, creators };
}

/** An operation's path as the plain endpoint would route it (the same errors as its twin request). */
function targetOf(method: BulkMethod, path: string): BulkTarget | ScimError {
  const [, type, rawId, extra] = (path.startsWith('/') ? path : `/${path}`).split('/');
  if (extra !== undefined) return ScimError.invalidPath(`"${path}" is not /Users, /Groups or a resource of theirs.`);
  const lower = type?.toLowerCase();
  const endpoint = lower === 'users' ? 'Users' : lower === 'groups' ? 'Groups' : undefined;
  if (!endpoint) {
    if (lower === 'roles' || lower === 'entitlements')
      return ScimError.methodNotAllowed(`${method} is not allowed on /${type}: identity providers cannot write them.`, ['GET']);
    return ScimError.invalidPath(`"${path}" is not /Users, /Groups or a resource of theirs.`);
  }
  if (method === 'POST') return rawId === undefined ? { endpoint } : ScimError.invalidPath(`POST goes to /${endpoint}, not to "${path}".`);
  if (rawId === undefined || rawId === '') return ScimError.invalidPath(`${method} needs a resource's path, /${endpoint}/{id}.`);
  const ref = referenceOf(rawId);
  if (ref !== undefined) return { endpoint, ref };
  const id = decodePathSegment(rawId);
  return id instanceof ScimError ? id : { endpoint, id };
}

/** The bulkIds an operation refers to: in its path and anywhere in its data. */
function referencesOf(target: BulkTarget | ScimError, data: unknown): string[] {
  const out = new Set<string>();
  if (!(target instanceof ScimError) && target.ref !== undefined) out.add(target.ref);
  const stack: unknown[] = [data];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      const r = referenceOf(v);
      if (r !== undefined) out.add(r);
    } else if (Array.isArray(v)) for (const x of v) stack.push(x);
    else if (v && typeof v === 'object') for (const x of Object.values(v)) stack.push(x);
  }
  return [...out];
}

/**
 * The order operations run in: the request's, except that a POST another operation refers to
 * runs before it (forward references). An operation on a cycle of references gets the error it
 * is answered with instead. One walk, each operation and reference visited once; a chain longer
 * than {@link MAX_BULK_CHAIN} refuses the request before anything runs.
 */
function plan(operations: readonly BulkOperation[], creators: ReadonlyMap<string, BulkOperation>): { order: BulkOperation[]; cyclic: Map<number, ScimError> } {
  const order: BulkOperation[] = [];
  const cyclic = new Map<number, ScimError>();
  const state = new Map<number, 'visiting' | 'placed'>();
  /** How many operations run one after the other up to and including this one. */
  const depth = new Map<number, number>();
  const label = (o: BulkOperation) => o.bulkId ?? `#${o.index}`;
  for (const root of operations) {
    if (state.has(root.index)) continue;
    const stack: { op: BulkOperation; next: number; deepest: number }[] = [{ op: root, next: 0, deepest: 0 }];
    state.set(root.index, 'visiting');
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const refs = frame.op.references;
      let descended = false;
      while (frame.next < refs.length) {
        const ref = refs[frame.next++]!;
        const creator = creators.get(ref);
        if (!creator || creator === frame.op) continue;
        const s = state.get(creator.index);
        if (s === 'visiting') {
          const cycle = stack.map((f) => label(f.op)).join(' → ');
          cyclic.set(
            frame.op.index,
            new ScimError(
              409,
              `Circular bulkId references (${cycle} → ${ref}) are not resolved: create the resources first, then PATCH the references in a later operation.`,
            ),
          );
          frame.next = refs.length;
          break;
        }
        if (s === 'placed') {
          frame.deepest = Math.max(frame.deepest, depth.get(creator.index)!);
          continue;
        }
        state.set(creator.index, 'visiting');
        stack.push({ op: creator, next: 0, deepest: 0 });
        descended = true;
        break;
      }
      if (descended) continue;
      stack.pop();
      const d = frame.deepest + 1;
      if (d > MAX_BULK_CHAIN) {
        throw ScimError.invalidValue(
          `Operation ${label(frame.op)} waits on a chain of ${d} operations that refer to one another by bulkId; the limit is ${MAX_BULK_CHAIN} (the bulk chain depth), because such operations run one after the other. Send the chain in several requests.`,
        );
      }
      state.set(frame.op.index, 'placed');
      depth.set(frame.op.index, d);
      order.push(frame.op);
      const parent = stack[stack.length - 1];
      if (parent) parent.deepest = Math.max(parent.deepest, d);
    }
  }
  return { order, cyclic };
}
