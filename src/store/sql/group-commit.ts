import { sql, type Kysely } from 'kysely';
import type { Database } from '../types.js';

interface Job {
  readonly fn: (db: Kysely<Database>) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

/** Transactions joined into one commit at most (a bound on how long the first of them waits). */
export const MAX_GROUP = 64;

/**
 * Group commit for an engine with one writer connection (SQLite): the transactions that are
 * waiting for the connection when it frees up run one after the other inside one database
 * transaction, each in a savepoint of its own, and are committed together.
 *
 * - Each transaction still runs alone and in order, so it sees what the ones before it wrote,
 *   exactly as it would after their commits: the outcome is that of running them one by one.
 * - A transaction that fails is rolled back to its savepoint: nothing of it stays, and the others go
 *   on. It is refused at once (it wrote nothing).
 * - A transaction that succeeds is acknowledged only after the commit that makes it durable. If
 *   that commit fails, every transaction of the group is refused, and none of them is stored.
 * - Nobody waits for company beyond one turn of the event loop (setImmediate): a transaction
 *   that finds the connection free commits alone. Groups form when transactions queue, which is
 *   when a commit per transaction (its WAL pages written again and again, its checkpoints) is
 *   what limits the rate.
 */
export class GroupCommit {
  private readonly queue: Job[] = [];
  private running = false;
  /** Commits, the transactions they acknowledged, and the most in one commit. */
  readonly stats = { groups: 0, transactions: 0, largest: 0 };

  constructor(
    private readonly db: Kysely<Database>,
    /** SQLite: `begin immediate` (the write lock first); PostgreSQL: `begin`. */
    private readonly begin: 'begin immediate' | 'begin' = 'begin immediate',
    private readonly max = MAX_GROUP,
    /** Told when the queue is empty and nothing runs (the keyed groups of PostgreSQL are forgotten then). */
    private readonly onIdle?: () => void,
  ) {}

  run<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.running) {
        this.running = true;
        // One turn of the event loop first: requests whose bytes have arrived reach this queue
        // meanwhile (their handlers run to here without waiting on I/O), and commit together.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        await this.group();
        if (this.queue.length > 0) await new Promise<void>((r) => setImmediate(r));
      }
    } finally {
      this.running = false;
      if (this.queue.length === 0) this.onIdle?.();
    }
  }

  private async group(): Promise<void> {
    const succeeded: { job: Job; result: unknown }[] = [];
    let current: Job | undefined;
    let taken = 0;
    try {
      await this.db.connection().execute(async (conn) => {
        // PostgreSQL takes several statements without parameters in one round trip (the simple
        // query protocol): a savepoint's end and the next one's start, or the last one's end and
        // the commit, travel together. SQLite runs one statement at a time (in process: no trip).
        const batch = async (...statements: string[]) => {
          if (this.begin === 'begin') await sql.raw(statements.join('; ')).execute(conn);
          else for (const s of statements) await sql.raw(s).execute(conn);
        };
        // SQLite begins IMMEDIATE: the write lock first (waiting for another process's writer, if
        // any, up to the busy timeout). A deferred transaction that reads first, then writes,
        // fails with SQLITE_BUSY_SNAPSHOT when another connection committed in between.
        let pending: string[] = [this.begin];
        try {
          for (let n = 0; n < this.max && this.queue.length > 0; n++) {
            current = this.queue.shift()!;
            taken++;
            const name = `rc_group_${n}`;
            await batch(...pending, `savepoint ${name}`);
            let failure: { err: unknown } | undefined;
            let result: unknown;
            try {
              result = await current.fn(conn);
            } catch (err) {
              failure = { err };
            }
            if (failure) {
              await batch(`rollback to ${name}`, `release ${name}`);
              pending = [];
              current.reject(failure.err);
            } else {
              // Released with the next statement: the next savepoint, or the commit.
              pending = [`release ${name}`];
              succeeded.push({ job: current, result });
            }
            current = undefined;
          }
          await batch(...pending, 'commit');
        } catch (err) {
          await sql`rollback`.execute(conn).catch(() => undefined);
          throw err;
        }
      });
      this.stats.groups++;
      this.stats.transactions += succeeded.length;
      this.stats.largest = Math.max(this.stats.largest, succeeded.length);
    } catch (err) {
      // The connection could not begin, roll back to a savepoint, or commit: nothing of this
      // group is stored, and every transaction in it is told so.
      current?.reject(err);
      for (const s of succeeded) s.job.reject(err);
      // Not even begun (a closed store, a file that cannot be locked): the transactions this
      // group would have taken are refused, so the queue always moves on.
      if (taken === 0) for (const job of this.queue.splice(0, this.max)) job.reject(err);
      return;
    }
    for (const s of succeeded) s.job.resolve(s.result);
  }
}
