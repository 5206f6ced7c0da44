import { referenceOf, type BulkMethod, type BulkOperation, type BulkRequest } from '../protocol/messages/bulk-request.js';
import { ScimError } from '../protocol/messages/error.js';
import { schedule } from './bulk-scheduler.js';
import type { RequestContext } from './context.js';
import type { ResourceService, ScimResource } from './resource.js';

/** One operation's outcome in a BulkResponse (RFC 7644 §3.7.3). */
export interface BulkResult {
  readonly method: BulkMethod;
  readonly bulkId?: string;
  readonly version?: string;
  readonly location?: string;
  /** The HTTP status, as a string (RFC 7644 §3.7.3's examples). */
  readonly status: string;
  /** The error body, for a status that is not 2xx. */
  readonly response?: Record<string, unknown>;
}

/**
 * /Bulk (RFC 7644 §3.7): the operations of one request, each in its own transaction through the
 * same service as its single-request twin (the same checks, the same events), in the order
 * parseBulkRequest plans (the request's, a POST another operation refers to first), scheduled
 * by bulk-scheduler.ts. A circular reference is refused with 409 (§3.7.1 allows it).
 * `failOnErrors` stops after that many errors; operations not run are not reported. Operations
 * the request's time does not leave room for are answered 503, not run.
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

  /**
   * Runs the operations; returns their results in the order they ran. No operation starts after
   * `deadline` (ms since the epoch), and no more than `admitted` start (the token's rate limit):
   * each left is answered 503 or 429, not run, and can be sent again.
   */
  async run(ctx: RequestContext, request: BulkRequest, bounds: { deadline?: number | undefined; admitted?: number } = {}): Promise<BulkResult[]> {
    const { deadline, admitted } = bounds;
    const { rateLimit, rateBurst } = ctx.org.settings;
    const { failOnErrors, creators } = request;
    /** bulkId → the id its POST created (absent: not run, or failed). */
    const created = new Map<string, string>();
    const failed = new Set<string>();
    const refused = new Map([...request.cyclic].map(([index, err]) => [index, failure(request.operations[index]!, err)]));
    /** A POST that failed: the operations that refer to its bulkId answer 409. */
    const creationFailed = (op: BulkOperation) => {
      if (op.bulkId !== undefined && op.method === 'POST') failed.add(op.bulkId);
    };
    return schedule(
      request.order,
      { window: this.window, failOnErrors, deadline, admitted, refused, creators },
      {
        run: async (op) => {
          const result = await this.execute(ctx, op, created, failed, creators);
          if (!result.status.startsWith('2')) creationFailed(op);
          return result;
        },
        failed: (op, err) => {
          // Its transaction rolled back; those before it committed and are reported. The answer
          // names the operation, never the internals.
          const down = this.unavailable(err);
          if (!down) ctx.warn?.('bulk operation failed unexpectedly', { index: op.index, method: op.method, path: op.path, error: (err as Error).message });
          creationFailed(op);
          return failure(
            op,
            down
              ? ScimError.unavailable('The database is not available at the moment; the operations after this one were not run. Retry them.')
              : new ScimError(
                  500,
                  `Internal server error in Operations[${op.index}]${ctx.requestId ? ` (request ${ctx.requestId})` : ''}; the operations after it were not run.`,
                ),
          );
        },
        succeeded: (r) => r.status.startsWith('2'),
        batchable: (op) =>
          this.createUsers !== undefined &&
          failOnErrors === undefined &&
          op.method === 'POST' &&
          !(op.target instanceof ScimError) &&
          op.target.endpoint === 'Users' &&
          op.references.length === 0,
        runBatch: async (ops) => {
          let outcome: (ScimResource | ScimError)[] | undefined;
          try {
            outcome = await this.createUsers!(
              ctx,
              ops.map((o) => o.data),
            );
          } catch {
            // Not the request's fault (the database went away): one by one, each answers for itself.
            return undefined;
          }
          if (!outcome) return undefined;
          return ops.map((o, i) => {
            const r = outcome[i]!;
            if (r instanceof ScimError) {
              creationFailed(o);
              return failure(o, r);
            }
            if (o.bulkId !== undefined) created.set(o.bulkId, r.id);
            return success(o, r, '201');
          });
        },
        notStarted: (op, why) =>
          failure(
            op,
            why === 'time'
              ? ScimError.unavailable(`Not run: the request reached its time limit before this operation started, and nothing of it was written. ${AGAIN}`)
              : ScimError.tooManyRequests(
                  `Not run: each operation counts against the token's rate limit (${rateLimit} requests a second, burst ${rateBurst}, the organization's rateLimit and rateBurst), and this one found none left; nothing of it was written. ${AGAIN}`,
                  rateLimit > 0 ? 1 / rateLimit : 1,
                ),
          ),
      },
    );
  }

  private async execute(
    ctx: RequestContext,
    op: BulkOperation,
    created: Map<string, string>,
    failed: ReadonlySet<string>,
    creators: ReadonlyMap<string, BulkOperation>,
  ): Promise<BulkResult> {
    try {
      if (op.target instanceof ScimError) throw op.target;
      const resolve = (ref: string): string => {
        const id = created.get(ref);
        if (id !== undefined) return id;
        if (failed.has(ref)) throw new ScimError(409, `bulkId "${ref}" refers to a resource whose POST failed in this request.`);
        if (!creators.has(ref)) throw ScimError.invalidValue(`bulkId "${ref}" is not the bulkId of any POST in this request.`);
        throw new ScimError(409, `bulkId "${ref}" could not be resolved.`);
      };
      const { endpoint } = op.target;
      const service = endpoint === 'Users' ? this.users : this.groups;
      const data = substitute(op.data, resolve);
      const pre = op.version !== undefined ? { ifMatch: op.version } : {};
      if (op.method === 'POST') {
        const res = await service.create(ctx, data, {});
        if (op.bulkId !== undefined) created.set(op.bulkId, res.id);
        return success(op, res, '201');
      }
      const id = op.target.ref !== undefined ? resolve(op.target.ref) : op.target.id!;
      if (op.method === 'DELETE') {
        await service.delete(ctx, id, pre);
        return {
          method: op.method,
          ...(op.bulkId !== undefined ? { bulkId: op.bulkId } : {}),
          location: `${ctx.baseUrl}/${endpoint}/${encodeURIComponent(id)}`,
          status: '204',
        };
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

const AGAIN = "Send it again (a bulkId it names must be sent with its POST, or replaced by the created resource's id).";

/** The data with every `bulkId:…` string replaced by the id its POST created. */
function substitute(value: unknown, resolve: (ref: string) => string): unknown {
  if (typeof value === 'string') {
    const ref = referenceOf(value);
    return ref !== undefined ? resolve(ref) : value;
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, resolve));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, resolve)]));
  return value;
}

function success(op: BulkOperation, res: ScimResource, status: string): BulkResult {
  const meta = res.meta as { version: string; location?: string };
  return {
    method: op.method,
    ...(op.bulkId !== undefined ? { bulkId: op.bulkId } : {}),
    version: meta.version,
    ...(meta.location ? { location: meta.location } : {}),
    status,
  };
}

function failure(op: BulkOperation, err: ScimError): BulkResult {
  return { method: op.method, ...(op.bulkId !== undefined ? { bulkId: op.bulkId } : {}), status: String(err.status), response: err.toJSON() };
}
