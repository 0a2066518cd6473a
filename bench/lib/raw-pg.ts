// Raw executor on the pg driver: a pool of connections, named (prepared) statements.
import pg from 'pg';
import type { RawExecutor, RawQuery } from './raw-crud.js';

export function pgExecutor(connectionString: string, poolSize: number): RawExecutor {
  const pool = new pg.Pool({ connectionString, max: poolSize });
  const query: RawQuery = (name, text, values) => pool.query({ name, text, values });
  return {
    query,
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const out = await fn((name, text, values) => client.query({ name, text, values }));
        await client.query('commit');
        return out;
      } catch (e) {
        await client.query('rollback').catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
