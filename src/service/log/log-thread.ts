/**
 * The provisioning log's writer on a thread of its own (`provisioningLog: { thread }`): the
 * server's event loop only hands batches over; building rows (client detection, redaction,
 * caps) and writing them run here, on the thread's own database connection.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from '../../store/open.js';
import type { Store } from '../../store/store.js';
import type { NewLogEntryRow } from '../../store/types.js';
import { summarise, toRow, type RequestRecord } from './entry.js';

export interface ThreadRequest {
  readonly id: number;
  readonly records: readonly RequestRecord[];
}
export type ThreadReply = { id: number; ok: true } | { id: number; ok: false; error: string } | { ready: true } | { ready: false; error: string };

/** Entries per write transaction. */
export const CHUNK = 400;

/** Builds the rows of a batch and writes them, CHUNK entries a transaction. */
export async function writeBatch(store: Store, batch: readonly RequestRecord[]): Promise<void> {
  for (let i = 0; i < batch.length; i += CHUNK) {
    const rows: NewLogEntryRow[] = batch.slice(i, i + CHUNK).map(toRow);
    const { connections, minutes } = summarise(rows);
    await store.transaction((tx) => tx.log.append(rows, connections, minutes));
  }
}

if (parentPort && (workerData as { rollcallLogThread?: boolean } | undefined)?.rollcallLogThread) {
  const port = parentPort;
  const { database } = workerData as { database: string };
  // The connection opens at once; the server writes batches itself until the thread says it is ready,
  // so a slow start (a cold compile cache, a busy machine) never holds entries in a queue a crash loses.
  const store: Promise<Store> = openStore(database, { migrate: false, poolSize: 2 });
  // A query, so "ready" means connected to a migrated database (opening alone connects lazily).
  store
    .then(async (s) => void (await s.organizations.count()))
    .then(
      () => port.postMessage({ ready: true } satisfies ThreadReply),
      (err: unknown) => port.postMessage({ ready: false, error: err instanceof Error ? err.message : String(err) } satisfies ThreadReply),
    );
  // One batch at a time, in order.
  let queue = Promise.resolve();
  port.on('message', (message: ThreadRequest | 'close') => {
    if (message === 'close') {
      queue = queue.then(async () => {
        await (await store).close();
        port.close();
      });
      return;
    }
    queue = queue.then(async () => {
      try {
        await writeBatch(await store, message.records);
        port.postMessage({ id: message.id, ok: true } satisfies ThreadReply);
      } catch (err) {
        port.postMessage({ id: message.id, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies ThreadReply);
      }
    });
  });
}
