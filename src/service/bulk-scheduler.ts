import type { BulkOperation } from '../protocol/messages/bulk-request.js';

/** What the scheduler asks of the executor. */
export interface BulkSteps<R> {
  /** Runs one operation; throws only for a server-side failure (the run then stops). */
  run(op: BulkOperation): Promise<R>;
  /** The answer of an operation that threw: its transaction rolled back. */
  failed(op: BulkOperation, err: unknown): R;
  /** Whether a result is a success (2xx). */
  succeeded(result: R): boolean;
  /** Whether the operation may be written together with its neighbours (see runBatch). */
  batchable(op: BulkOperation): boolean;
  /** Writes a run of batchable operations together; undefined: run them one by one instead. */
  runBatch(ops: readonly BulkOperation[]): Promise<R[] | undefined>;
  /** The answer of an operation that was not started: the request ran out of time, or of its rate limit. */
  notStarted(op: BulkOperation, why: 'time' | 'rate'): R;
}

export interface Schedule<R> {
  /** Operations under way at once (1: one by one). */
  readonly window: number;
  /** Stop after this many errors (RFC 7644 §3.7.3 failOnErrors); operations not run are not reported. */
  readonly failOnErrors: number | undefined;
  /** No operation starts after this time (ms since the epoch); those left are answered notStarted. */
  readonly deadline?: number | undefined;
  /** At most this many operations start (the token's rate limit); those left are answered notStarted. */
  readonly admitted?: number | undefined;
  /** Operations on a cycle of references: answered with their error, not run. */
  readonly refused: ReadonlyMap<number, R>;
  /** The bulkIds each operation waits on, and the POST behind each. */
  readonly creators: ReadonlyMap<string, BulkOperation>;
}

/** POSTs written together at most (a batch is one transaction of multi-row statements). */
const BATCH = 100;

/**
 * Runs a BulkRequest's operations in `order`; returns their results in the order they ran, then
 * those not started in time.
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
export async function schedule<R>(order: readonly BulkOperation[], s: Schedule<R>, steps: BulkSteps<R>): Promise<R[]> {
  const finished = new Set<number>();
  const results: R[] = [];
  const inflight = new Set<Promise<void>>();
  const paths = new Set<string>();
  let errors = 0;
  /** An operation failed for a reason of the server's, not the request's: nothing more is started. */
  let aborted = false;
  const allowed = () => (aborted ? 0 : s.failOnErrors === undefined ? Infinity : s.failOnErrors - errors);
  let started = 0;
  const late = () => (s.deadline !== undefined && Date.now() >= s.deadline) || (s.admitted !== undefined && started >= s.admitted);
  const why = (): 'time' | 'rate' => (s.admitted !== undefined && started >= s.admitted ? 'rate' : 'time');
  const settle = (op: BulkOperation, slot: number, result: R) => {
    results[slot] = result;
    finished.add(op.index);
    if (!steps.succeeded(result)) errors++;
  };

  const start = (op: BulkOperation, slot: number) => {
    started++;
    const p = (async () => {
      const refused = s.refused.get(op.index);
      let result: R;
      try {
        result = refused ?? (await steps.run(op));
      } catch (err) {
        aborted = true;
        result = steps.failed(op, err);
      }
      settle(op, slot, result);
    })();
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };
  const drain = async () => {
    while (inflight.size > 0) await Promise.race(inflight);
  };

  let next = 0;
  for (; next < order.length; next++) {
    const op = order[next]!;
    if (allowed() <= 0 || late()) break;
    // A run of batchable operations: one transaction, multi-row statements, one-by-one's outcome
    // (runBatch falls back to it). Nothing else is under way meanwhile, so the transactions still
    // queue in the request's order.
    if (steps.batchable(op)) {
      let end = next + 1;
      while (end < order.length && end - next < BATCH && steps.batchable(order[end]!)) end++;
      if (end - next > 1) {
        await drain();
        paths.clear();
        // A batch never runs past what the rate limit admits.
        if (s.admitted !== undefined) end = Math.min(end, next + Math.max(1, s.admitted - started));
        const batch = order.slice(next, end);
        const outcome = aborted ? undefined : await steps.runBatch(batch);
        if (outcome) {
          started += batch.length;
          batch.forEach((o, i) => settle(o, next + i, outcome[i]!));
        } else {
          // One by one, in order, nothing else under way: exactly the outcome without batches.
          let i = 0;
          for (; i < batch.length && allowed() > 0 && !late(); i++) {
            start(batch[i]!, next + i);
            await drain();
          }
          if (i < batch.length) {
            next += i;
            break;
          }
        }
        next = end - 1;
        continue;
      }
    }
    const needsOthers = op.references.some((ref) => {
      const c = s.creators.get(ref);
      return c !== undefined && c !== op && !finished.has(c.index);
    });
    const key = op.method === 'POST' ? undefined : op.path.toLowerCase();
    if (needsOthers || (key !== undefined && paths.has(key))) {
      await drain();
      paths.clear();
    }
    while (inflight.size > 0 && inflight.size >= Math.min(s.window, allowed())) await Promise.race(inflight);
    if (allowed() <= 0 || late()) break;
    if (key !== undefined) paths.add(key);
    start(op, next);
  }
  await drain();
  const ran = results.filter((r): r is R => r !== undefined);
  // Out of time or of rate (not out of allowed errors): every operation not started is answered,
  // so the client knows exactly what was written and what to send again.
  if (next < order.length && late() && allowed() > 0) {
    const reason = why();
    for (const op of order.slice(next)) if (!finished.has(op.index)) ran.push(steps.notStarted(op, reason));
  }
  return ran;
}
