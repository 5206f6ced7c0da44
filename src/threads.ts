import { Worker } from 'node:worker_threads';

/**
 * A worker thread running the module `name` beside the module at `from` (its import.meta.url):
 * the build (dist/) runs the compiled module; the sources (tests) run it through tsx, which a
 * worker does not inherit.
 */
export function spawnThread(from: string, name: string, workerData: unknown): Worker {
  const compiled = from.endsWith('.js');
  const entry = new URL(`./${name}.${compiled ? 'js' : 'ts'}`, from);
  const boot = compiled
    ? entry
    : new URL(
        `data:text/javascript,${encodeURIComponent(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); })`)}`,
      );
  return new Worker(boot, { workerData, execArgv: [] });
}
