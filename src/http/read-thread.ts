/**
 * A read thread (read-threads.ts): heavy lists and searches read on a connection of its own, off
 * the server's event loop, answered as the bytes of their response body.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { parseSearchRequest, ScimError } from '../protocol/messages/index.js';
import { parseListRequest } from '../protocol/query.js';
import { requestScope } from '../request-scope.js';
import type { RequestContext } from '../service/context.js';
import { Directory } from '../service/directory.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import type { ReadMessage, ReadReply, ReadRequest } from './read-threads.js';
import { listResponseJson, type ResourceDescriptor } from './resource-routes.js';
import { resourceTypesOf } from './resource-types.js';
import { parseRootSearch, rootSearchJson } from './root-search.js';

interface ThreadData {
  readonly rollcallReadThread: true;
  readonly database: string;
  readonly statementTimeoutMs?: number;
  readonly nice: number;
}

/** Lowers this thread's CPU priority (Linux: a thread is a task of its own with its own nice value). */
function lowerPriority(nice: number): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, nice);
  } catch {
    // Not Linux, or not allowed: the thread keeps the process's priority.
  }
}

/** Reads one request's response body as the event loop would have (the same functions). */
export async function readBody(directory: Directory, types: readonly ResourceDescriptor<unknown>[], request: ReadRequest): Promise<string> {
  let org;
  try {
    org = await directory.organizations.getById(request.orgId);
  } catch (err) {
    if (directory.unavailable(err)) throw err;
    // Deleted since its token was accepted.
    throw ScimError.unauthorized('Authentication required.');
  }
  const ctx: RequestContext = { org, baseUrl: request.baseUrl };
  const { task } = request;
  if (task.kind === 'root') return rootSearchJson(ctx, parseRootSearch(types, ctx, task.body));
  const d = types.find((t) => t.type.name === task.type)!;
  const rt = d.typeOf(org);
  const req = task.kind === 'list' ? parseListRequest(rt, task.query, org.settings.maxResults) : parseSearchRequest(rt, task.body, org.settings.maxResults);
  return listResponseJson(d, ctx, req);
}

function serve(port: MessagePort, data: ThreadData): void {
  lowerPriority(data.nice);
  const store: Promise<Store> = openStore(data.database, {
    migrate: false,
    poolSize: 2,
    ...(data.statementTimeoutMs !== undefined ? { statementTimeoutMs: data.statementTimeoutMs } : {}),
  });
  const opened = store.then((s) => {
    const directory = new Directory(s);
    return { directory, types: resourceTypesOf(directory) };
  });
  // Told to the event loop below ("ready": false), and to every read that awaits it.
  opened.catch(() => {});
  const reply = (message: ReadReply, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);
  // A query, so that "ready" means connected to a migrated database.
  store
    .then(async (s) => void (await s.organizations.count()))
    .then(
      () => reply({ ready: true }),
      (err: unknown) => reply({ ready: false, error: err instanceof Error ? err.message : String(err) }),
    );
  const running = new Map<number, AbortController>();
  port.on('message', (message: ReadMessage) => {
    if (message === 'close') {
      void store.then(async (s) => {
        for (const c of running.values()) c.abort();
        await s.close();
        port.close();
      });
      return;
    }
    if ('cancel' in message) {
      running.get(message.cancel)?.abort();
      return;
    }
    const { id } = message;
    const abandoned = new AbortController();
    running.set(id, abandoned);
    void requestScope
      .run({ signal: abandoned.signal }, async () => {
        try {
          const { directory, types } = await opened;
          const bytes = new TextEncoder().encode(await readBody(directory, types, message));
          reply({ id, body: bytes.buffer }, [bytes.buffer]);
        } catch (err) {
          const text = err instanceof Error ? err.message : String(err);
          if (err instanceof ScimError)
            reply({ id, scim: { status: err.status, detail: err.detail, ...(err.scimType ? { scimType: err.scimType } : {}), headers: { ...err.headers } } });
          else if ((await store.catch(() => undefined))?.unavailable(err)) reply({ id, unavailable: text });
          else reply({ id, error: text });
        }
      })
      .finally(() => running.delete(id));
  });
}

if (parentPort && (workerData as ThreadData | undefined)?.rollcallReadThread) serve(parentPort, workerData as ThreadData);
