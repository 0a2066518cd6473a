// Factories: a PostgreSQL server through pg, or the embedded default (PGlite, a real PostgreSQL
// compiled to WebAssembly) through knex-pglite. Both run the same SqlStore code.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import lockfile from 'proper-lockfile';
import { SqlStore } from './store.js';

export interface PostgresOptions {
  /** A connection string (postgres://…) or pg connection settings. */
  connection: string | Knex.PgConnectionConfig;
  pool?: { min?: number; max?: number };
  /** Named prepared statements for reads, writes and plan-stable searches (default true; see SqlStoreOptions). */
  preparedStatements?: boolean;
}

/** The json type's oid: its values (resource content) are read as text, parsed only when needed (core's stored-json). */
const JSON_OID = 114;
/** timestamptz's oid: read straight into ISO 8601 text (meta.lastUpdated), not through a Date. */
const TIMESTAMPTZ_OID = 1184;
const UTC_TEXT = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00$/;

/** PostgreSQL's text of a timestamptz ('2026-11-29 08:25:14.232+00' in a UTC session) as '2026-11-29T08:25:14.232Z'. */
export function timestamptzToIso(v: string): string {
  // Most values have milliseconds (Hestia writes them so): sliced into place, no match needed.
  if (v.length === 26 && v.charCodeAt(10) === 32 && v.charCodeAt(19) === 46 && v.endsWith('+00')) return `${v.slice(0, 10)}T${v.slice(11, 23)}Z`;
  const m = UTC_TEXT.exec(v);
  if (!m) return new Date(v).toISOString();
  return `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(3, '0').slice(0, 3)}Z`;
}

export function createPostgresAdapter(opts: PostgresOptions): SqlStore {
  const knex = knexFactory({
    client: 'pg',
    connection: opts.connection,
    pool: {
      min: opts.pool?.min ?? 0,
      max: opts.pool?.max ?? 10,
      // Each new pg client reads json and timestamptz as text (its own type parsers; pg's global ones stay as they are).
      afterCreate: (conn: { setTypeParser(oid: number, parse: (v: string) => unknown): void }, done: (err: Error | null, conn: unknown) => void) => {
        conn.setTypeParser(JSON_OID, (v) => v);
        conn.setTypeParser(TIMESTAMPTZ_OID, timestamptzToIso);
        done(null, conn);
      },
    },
    acquireConnectionTimeout: 10000,
  });
  return new SqlStore(knex, { name: 'postgres', preparedStatements: opts.preparedStatements ?? true });
}

export interface EmbeddedOptions {
  /** Folder for the database files; `memory://` keeps everything in memory (tests). */
  dataDir: string;
}

/**
 * Opens the embedded database. PGlite does not lock its folder against a second process, so we
 * take a lock file first and refuse to start if another process holds it.
 */
export async function createEmbeddedAdapter(opts: EmbeddedOptions): Promise<SqlStore> {
  const { PGlite } = await import('@electric-sql/pglite');
  const ClientPgLite = (await import('knex-pglite')).default;
  let release: (() => Promise<void>) | undefined;
  let dataDir = opts.dataDir;
  if (!dataDir.startsWith('memory://')) {
    dataDir = resolve(dataDir);
    mkdirSync(dataDir, { recursive: true });
    try {
      release = await lockfile.lock(dataDir, { stale: 10000, update: 2000, lockfilePath: `${dataDir}.lock` });
    } catch (e) {
      if ((e as { code?: string }).code === 'ELOCKED') throw new Error(`The embedded database folder ${dataDir} is in use by another Hestia process.`);
      throw e;
    }
  }
  try {
    const pglite = await PGlite.create(dataDir, { parsers: { [JSON_OID]: (v: string) => v } });
    const knex = knexFactory({ client: ClientPgLite as never, dialect: 'postgres', connection: () => ({ pglite }) as never });
    return new SqlStore(knex, { name: 'embedded' }, async () => {
      await pglite.close().catch(() => undefined);
      await release?.();
    });
  } catch (e) {
    await release?.();
    throw e;
  }
}
