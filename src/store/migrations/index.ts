import type { Kysely, Migration, MigrationProvider } from 'kysely';
import type { DialectAdapter } from '../dialects/dialect.js';
import { initial } from './001-initial.js';

/** Versioned migrations, applied in name order at start-up and by `rollcall migrate`. Append only. */
export function migrationProvider(adapter: DialectAdapter): MigrationProvider {
  return {
    async getMigrations(): Promise<Record<string, Migration>> {
      return {
        '001-initial': { up: (db: Kysely<any>) => initial(db, adapter) },
      };
    },
  };
}
