export interface PostgresServer {
  readonly url: string;
  readonly safeUrl: string;
  stop(): Promise<void>;
}
export function startPostgres(): Promise<PostgresServer>;
