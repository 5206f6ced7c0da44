import { ScimError } from '../protocol/messages/error.js';
import type { RequestContext } from './context.js';
import type { ResourceService, ScimResource } from './resource.js';

export const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
export const BULK_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

type Method = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** POSTs to /Users written together at most (a batch is one transaction of multi-row statements). */
const BATCH = 100;

/** One operation of a BulkRequest (RFC 7644 §3.7), checked. */
interface Operation {
  readonly index: number;
  readonly method: Method;
  readonly path: string;
  readonly bulkId?: string;
  readonly version?: string;
  readonly data?: unknown;
}

/** One operation's outcome in a BulkResponse (RFC 7644 §3.7.3). */
export interface BulkResult {
  readonly method: Method;
  readonly bulkId?: string;
  readonly version?: string;
  readonly location?: string;
  /** The HTTP status, as a string (RFC 7644 §3.7.3's examples). */
  readonly status: string;
  /** The error body, for a status that is not 2xx. */
  readonly response?: Record<string, unknown>;
}

export interface BulkLimits {
  readonly maxOperations: number;
  readonly maxPayloadSize: number;
}

const REFERENCE = /^bulkId:(.+)$/;

/**
 * /Bulk (RFC 7644 §3.7): the operations of one request, each in its own transaction through the
 * same service as its single-request twin (the same checks, the same events), in request order
 * except where an operation refers to a resource a later POST creates (`bulkId:` references,
 * forward ones included): that POST runs first. A circular reference is refused with 409
 * (§3.7.1 allows it). `failOnErrors` stops after that many errors; operations not run are not
 * reported.
 */
export class Bulk {
  constructor(
    private readonly users: ResourceService<object>,
    private readonly groups: ResourceService<object>,
    /** Operations under way at once (1: one by one; an application hook that awaits before a create needs that). */
    private readonly window = 32,
    /** Whether an error means the database cannot serve now (the operation is answered 503, not 500). */
    private readonly unavailable: (err: unknown) => boolean = () => false,
    /** Creates a run of users in one transaction, or answers undefined (see Users.createMany). */
    private readonly createUsers?: (ctx: RequestContext, bodies: readonly unknown[]) => Promise<(ScimResource | ScimError)[] | undefined>,
  ) {}

  /** POSTs to /Users that refer to nothing: a run of them can be written together. */
  private batchable(op: Operation, failOnErrors: number | undefined): boolean {
    return this.createUsers !== undefined && failOnErrors === undefined && op.method === 'POST' && op.path.replace(/^\//, '').toLowerCase() === 'users' && references(op).length === 0;
  }

  /** Checks a BulkRequest against the limits before anything runs (413 names the limit exceeded). */
  parse(body: unknown, payloadBytes: number, limits: BulkLimits): { operations: Operation[]; failOnErrors: number | undefined } {
    if (payloadBytes > limits.maxPayloadSize) {
      throw ScimError.payloadTooLarge(`The bulk request is ${payloadBytes} bytes; this server's maxPayloadSize is ${limits.maxPayloadSize} (ServiceProviderConfig bulk.maxPayloadSize).`);
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw ScimError.invalidSyntax('The body must be a BulkRequest object.');
    const b = body as Record<string, unknown>;
    const schemas = b.schemas;
    if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === BULK_REQUEST.toLowerCase())) {
      throw ScimError.invalidSyntax(`A BulkRequest's "schemas" must contain "${BULK_REQUEST}".`);
    }
    const ops = b.Operations ?? b.operations;
    if (!Array.isArray(ops) || ops.length === 0) throw ScimError.invalidSyntax('"Operations" must be a non-empty array.');
    if (ops.length > limits.maxOperations) {
      const err = new ScimError(413, `The bulk request has ${ops.length} operations; this server's maxOperations is ${limits.maxOperations} (ServiceProviderConfig bulk.maxOperations).`, 'tooMany');
      throw err;
    }
    let failOnErrors: number | undefined;
    if (b.failOnErrors !== undefined && b.failOnErrors !== null) {
      if (typeof b.failOnErrors !== 'number' || !Number.isInteger(b.failOnErrors) || b.failOnErrors < 1) throw ScimError.invalidValue('"failOnErrors" must be an integer of at least 1.');
      failOnErrors = b.failOnErrors;
    }
    const seen = new Set<string>();
    const operations = ops.map((raw, index): Operation => {
      const at = `Operations[${index}]`;
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw ScimError.invalidSyntax(`${at} must be an object.`);
      const o = raw as Record<string, unknown>;
      const method = typeof o.method === 'string' ? (o.method.toUpperCase() as Method) : undefined;
      if (!method || !['POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) throw ScimError.invalidValue(`${at}.method must be POST, PUT, PATCH or DELETE.`);
      if (typeof o.path !== 'string' || o.path.trim() === '') throw ScimError.invalidValue(`${at}.path is required: /Users, /Groups, or a resource's path.`);
      if (o.bulkId !== undefined && (typeof o.bulkId !== 'string' || o.bulkId === '')) throw ScimError.invalidValue(`${at}.bulkId must be a non-empty string.`);
      if (typeof o.bulkId === 'string') {
        if (seen.has(o.bulkId)) throw ScimError.invalidValue(`bulkId "${o.bulkId}" is used by two operations; each must be unique in the request.`);
        seen.add(o.bulkId);
      }
      if (o.version !== undefined && typeof o.version !== 'string') throw ScimError.invalidValue(`${at}.version must be a string (an ETag).`);
      if (method !== 'DELETE' && (o.data === undefined || o.data === null)) throw ScimError.invalidValue(`${at}.data is required for ${method}.`);
      return {
        index,
        method,
        path: o.path.trim(),
        ...(typeof o.bulkId === 'string' ? { bulkId: o.bulkId } : {}),
        ...(typeof o.version === 'string' ? { version: o.version } : {}),
        ...(o.data !== undefined ? { data: o.data } : {}),
      };
    });
    return { operations, failOnErrors };
  }

  /**
   * Runs the operations; returns their results in the order they ran.
   *
   * Up to `window` operations are under way at once, so that their transactions queue together
   * and commit together (group commit: on SQLite the one writer, on PostgreSQL the
   * organization's group). Queued transactions still run one after the other, in the order they
   * were queued, which is the order the operations were started, so the outcome is that of
   * running them one by one:
   * - every service method queues its transaction before its first await;
   * - an operation that needs another's outcome (a bulkId it refers to, or an earlier operation
   *   on the same path) waits until everything started before it has finished;
   * - with failOnErrors, no more operations are under way than errors are still allowed, so none
   *   runs that one-by-one would not have run.
   */
  async run(ctx: RequestContext, operations: readonly Operation[], failOnErrors: number | undefined): Promise<BulkResult[]> {
    const creators = new Map<string, Operation>();
    for (const op of operations) if (op.bulkId !== undefined && op.method === 'POST') creators.set(op.bulkId, op);
    const { order, cyclic } = plan(operations, creators);
    /** bulkId → the id its POST created (absent: not run, or failed). */
    const created = new Map<string, string>();
    const failed = new Set<string>();
    const finished = new Set<number>();
    const results: BulkResult[] = [];
    const inflight = new Set<Promise<void>>();
    const paths = new Set<string>();
    let errors = 0;
    /** An operation failed for a reason of the server's, not the request's: nothing more is started. */
    let aborted = false;
    const allowed = () => (aborted ? 0 : failOnErrors === undefined ? Infinity : failOnErrors - errors);

    const start = (op: Operation, slot: number) => {
      const p = (async () => {
        const cycle = cyclic.get(op.index);
        let result: BulkResult;
        try {
          result = cycle ? failure(op, cycle) : await this.execute(ctx, op, created, failed, creators);
        } catch (err) {
          // Its transaction rolled back; those before it committed and are reported. The answer
          // names the operation, never the internals.
          aborted = true;
          const down = this.unavailable(err);
          if (!down) ctx.warn?.('bulk operation failed unexpectedly', { index: op.index, method: op.method, path: op.path, error: (err as Error).message });
          result = failure(op, down ? ScimError.unavailable('The database is not available at the moment; the operations after this one were not run. Retry them.') : new ScimError(500, `Internal server error in Operations[${op.index}]${ctx.requestId ? ` (request ${ctx.requestId})` : ''}; the operations after it were not run.`));
        }
        results[slot] = result;
        finished.add(op.index);
        if (!result.status.startsWith('2')) {
          errors++;
          if (op.bulkId !== undefined && op.method === 'POST') failed.add(op.bulkId);
        }
      })();
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    };
    const drain = async () => {
      while (inflight.size > 0) await Promise.race(inflight);
    };

    const entries = [...order.entries()];
    for (let e = 0; e < entries.length; e++) {
      const [slot, op] = entries[e]!;
      if (allowed() <= 0) break;
      // A run of POSTs to /Users that refer to nothing: one transaction, multi-row statements,
      // one-by-one's outcome (Users.createMany falls back to it). Nothing else is under way
      // meanwhile, so the transactions still queue in the request's order.
      if (this.batchable(op, failOnErrors)) {
        let end = e + 1;
        while (end < entries.length && end - e < BATCH && this.batchable(entries[end]![1], failOnErrors)) end++;
        if (end - e > 1) {
          await drain();
          paths.clear();
          const batch = entries.slice(e, end);
          const outcome = aborted ? undefined : await this.createBatch(ctx, batch.map(([, o]) => o));
          if (outcome) {
            batch.forEach(([s, o], i) => {
              const r = outcome[i]!;
              results[s] = r instanceof ScimError ? failure(o, r) : success(o, r, '201');
              finished.add(o.index);
              if (r instanceof ScimError) {
                errors++;
                if (o.bulkId !== undefined) failed.add(o.bulkId);
              } else if (o.bulkId !== undefined) created.set(o.bulkId, r.id);
            });
          } else {
            // One by one, in order, nothing else under way: exactly the outcome without batches.
            for (const [s, o] of batch) {
              if (allowed() <= 0) break;
              start(o, s);
              await drain();
            }
          }
          e = end - 1;
          continue;
        }
      }
      const needsOthers = references(op).some((ref) => {
        const c = creators.get(ref);
        return c !== undefined && c !== op && !finished.has(c.index);
      });
      const key = op.method === 'POST' ? undefined : op.path.toLowerCase();
      if (needsOthers || (key !== undefined && paths.has(key))) {
        await drain();
        paths.clear();
      }
      while (inflight.size > 0 && inflight.size >= Math.min(this.window, allowed())) await Promise.race(inflight);
      if (allowed() <= 0) break;
      if (key !== undefined) paths.add(key);
      start(op, slot);
    }
    await drain();
    return results.filter((r): r is BulkResult => r !== undefined);
  }

  /** A run of creates through createUsers; undefined: run them one by one. A server-side failure aborts like an operation's. */
  private async createBatch(ctx: RequestContext, ops: readonly Operation[]): Promise<(ScimResource | ScimError)[] | undefined> {
    try {
      return await this.createUsers!(ctx, ops.map((o) => o.data));
    } catch {
      // Not the request's fault (the database went away): one by one, each answers for itself.
      return undefined;
    }
  }

  private async execute(ctx: RequestContext, op: Operation, created: Map<string, string>, failed: ReadonlySet<string>, creators: ReadonlyMap<string, Operation>): Promise<BulkResult> {
    try {
      const resolve = (ref: string): string => {
        const id = created.get(ref);
        if (id !== undefined) return id;
        if (failed.has(ref)) throw new ScimError(409, `bulkId "${ref}" refers to a resource whose POST failed in this request.`, 'invalidValue');
        if (!creators.has(ref)) throw ScimError.invalidValue(`bulkId "${ref}" is not the bulkId of any POST in this request.`);
        throw new ScimError(409, `bulkId "${ref}" could not be resolved.`, 'invalidValue');
      };
      const path = op.path.startsWith('/') ? op.path : `/${op.path}`;
      const [, type, rawId, extra] = path.split('/');
      if (extra !== undefined) throw ScimError.invalidPath(`"${op.path}" is not /Users, /Groups or a resource of theirs.`);
      const endpoint = ({ users: 'Users', groups: 'Groups' } as const)[type?.toLowerCase() as 'users' | 'groups'];
      if (!endpoint) {
        if (type?.toLowerCase() === 'roles' || type?.toLowerCase() === 'entitlements') throw ScimError.methodNotAllowed(`${op.method} is not allowed on /${type}: identity providers cannot write them.`, ['GET']);
        throw ScimError.invalidPath(`"${op.path}" is not /Users, /Groups or a resource of theirs.`);
      }
      const service = endpoint === 'Users' ? this.users : this.groups;
      const data = substitute(op.data, resolve);
      const pre = op.version !== undefined ? { ifMatch: op.version } : {};
      if (op.method === 'POST') {
        if (rawId !== undefined) throw ScimError.invalidPath(`POST goes to /${endpoint}, not to "${op.path}".`);
        const res = await service.create(ctx, data, {});
        if (op.bulkId !== undefined) created.set(op.bulkId, res.id);
        return success(op, res, '201');
      }
      if (rawId === undefined || rawId === '') throw ScimError.invalidPath(`${op.method} needs a resource's path, /${endpoint}/{id}.`);
      const ref = REFERENCE.exec(rawId);
      const id = ref ? resolve(ref[1]!) : decodeURIComponent(rawId);
      if (op.method === 'DELETE') {
        await service.delete(ctx, id, pre);
        return { method: op.method, ...(op.bulkId !== undefined ? { bulkId: op.bulkId } : {}), location: `${ctx.baseUrl}/${endpoint}/${id}`, status: '204' };
      }
      const res = op.method === 'PUT' ? await service.replace(ctx, id, data, pre, {}) : await service.patch(ctx, id, data, pre, {});
      if (!res) throw new Error('a PATCH asked for its resource answered none');
      return success(op, res, '200');
    } catch (err) {
      if (err instanceof ScimError) return failure(op, err);
      throw err;
    }
  }
}

/**
 * The order operations run in: the request's, except that a POST another operation refers to
 * runs before it (forward references). An operation on a cycle of references gets the error it
 * is answered with instead.
 */
function plan(operations: readonly Operation[], creators: ReadonlyMap<string, Operation>): { order: Operation[]; cyclic: Map<number, ScimError> } {
  const order: Operation[] = [];
  const cyclic = new Map<number, ScimError>();
  const state = new Map<number, 'visiting' | 'placed'>();
  const visit = (op: Operation, chain: readonly Operation[]): void => {
    if (state.has(op.index)) return;
    state.set(op.index, 'visiting');
    for (const ref of references(op)) {
      const creator = creators.get(ref);
      if (!creator || creator === op) continue;
      if (state.get(creator.index) === 'visiting') {
        const cycle = [...chain, op].map((o) => o.bulkId ?? `#${o.index}`).join(' → ');
        cyclic.set(op.index, new ScimError(409, `Circular bulkId references (${cycle} → ${ref}) are not resolved: create the resources first, then PATCH the references in a later operation.`, 'invalidValue'));
        break;
      }
      visit(creator, [...chain, op]);
    }
    state.set(op.index, 'placed');
    order.push(op);
  };
  for (const op of operations) visit(op, []);
  return { order, cyclic };
}

/** The bulkIds an operation refers to: in its path and anywhere in its data. */
function references(op: Operation): string[] {
  const out = new Set<string>();
  const m = /\/bulkId:([^/]+)$/.exec(op.path);
  if (m) out.add(m[1]!);
  const stack: unknown[] = [op.data];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      const r = REFERENCE.exec(v);
      if (r) out.add(r[1]!);
    } else if (Array.isArray(v)) stack.push(...v);
    else if (v && typeof v === 'object') stack.push(...Object.values(v));
  }
  return [...out];
}

/** The data with every `bulkId:…` string replaced by the id its POST created. */
function substitute(value: unknown, resolve: (ref: string) => string): unknown {
  if (typeof value === 'string') {
    const r = REFERENCE.exec(value);
    return r ? resolve(r[1]!) : value;
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, resolve));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, resolve)]));
  return value;
}

function success(op: Operation, res: ScimResource, status: string): BulkResult {
  const meta = res.meta as { version: string; location?: string };
  return { method: op.method, ...(op.bulkId !== undefined ? { bulkId: op.bulkId } : {}), version: meta.version, ...(meta.location ? { location: meta.location } : {}), status };
}

function failure(op: Operation, err: ScimError): BulkResult {
  return { method: op.method, ...(op.bulkId !== undefined ? { bulkId: op.bulkId } : {}), status: String(err.status), response: err.toJSON() };
}
