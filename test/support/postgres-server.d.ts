export interface PostgresServer {
  readonly url: string;
  readonly safeUrl: string;
  /** SIGKILLs every process of this server: a crash. */
  kill(): void;
  /** Starts the server again on its data directory. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}
export function startPostgres(options?: { durable?: boolean; flags?: readonly string[] }): Promise<PostgresServer>;
