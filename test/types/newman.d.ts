// The part of newman's API the conformance test uses (newman ships no types).
declare module 'newman' {
  interface RunOptions {
    collection: string;
    folder?: string | string[];
    envVar?: { key: string; value: string }[];
    reporters?: string[];
    timeoutRequest?: number;
  }
  interface RunSummary {
    run: {
      failures: { source?: { name?: string }; error?: { test?: string; name?: string; message?: string } }[];
      stats: { assertions: { total?: number }; requests: { total?: number } };
    };
  }
  function run(options: RunOptions, callback: (err: Error | null, summary: RunSummary) => void): unknown;
  export default { run };
}
