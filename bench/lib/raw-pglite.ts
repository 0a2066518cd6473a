// Raw executor on PGlite: one in-process connection; concurrent callers queue inside PGlite.
// PGlite has no named prepared statements, so `name` is ignored.
import type { RawExecutor } from './raw-crud.js';

export async function pgliteExecutor(dataDir: string): Promise<RawExecutor> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(dataDir);
  return {
    query: async (_name, text, values) => ({ rows: (await db.query<Record<string, unknown>>(text, values)).rows }),
    transaction: (fn) => db.transaction((tx) => fn(async (_name, text, values) => ({ rows: (await tx.query<Record<string, unknown>>(text, values)).rows }))),
    close: () => db.close(),
  };
}
