// The raw baseline of the export scenario: every current resource read straight from PostgreSQL with
// pg (one connection, a named prepared statement), type by type, in keyset pages by rid, each row
// written as one NDJSON line to <folder>/<type>.ndjson, one page's chunk in flight at a time.
// `json`: content comes back parsed by pg (the column is json) and is written with JSON.stringify,
// the way an exporter that holds resources as objects does; `text`: content::text is written as it
// is stored, the least work that produces the files.
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import pg, { type Pool, type PoolClient } from 'pg';

export type RawMode = 'json' | 'text';

export interface RawExportResult {
  /** Resources written, by type (types without rows are left out). */
  counts: Map<string, number>;
  /** Files written, by type. */
  files: Map<string, string>;
}

function open(path: string): { write: (chunk: string) => Promise<void>; close: () => Promise<void> } {
  const out: WriteStream = createWriteStream(path);
  let failure: Error | undefined;
  out.on('error', (e) => (failure = e));
  return {
    write: (chunk) => new Promise((ok, fail) => {
      if (failure) return fail(failure);
      out.write(chunk, (e) => (e ? fail(e) : ok()));
    }),
    close: () => new Promise((ok, fail) => {
      out.once('close', () => (failure ? fail(failure) : ok()));
      out.end();
    }),
  };
}

export class RawExporter {
  private constructor(private readonly pool: Pool, private readonly client: PoolClient) {}

  /** One connection, held for the exporter's life. */
  static async connect(url: string): Promise<RawExporter> {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    return new RawExporter(pool, await pool.connect());
  }

  /** Exports `types` (in this order) to `folder`, `pageSize` rows per query. */
  async run(folder: string, types: readonly string[], pageSize: number, mode: RawMode): Promise<RawExportResult> {
    const counts = new Map<string, number>(), files = new Map<string, string>();
    const query = {
      name: `raw-export-${mode}`,
      text: `select rid, ${mode === 'text' ? 'content::text as content' : 'content'} from resource where not deleted and resource_type = $1 and rid > $2 order by rid limit $3`,
    };
    for (const type of types) {
      let after = '0';
      let file: ReturnType<typeof open> | undefined;
      let count = 0;
      for (;;) {
        const { rows } = await this.client.query({ ...query, values: [type, after, pageSize] });
        if (rows.length) {
          let chunk = '';
          if (mode === 'text') for (const r of rows) chunk += `${r.content as string}\n`;
          else for (const r of rows) chunk += `${JSON.stringify(r.content)}\n`;
          if (!file) {
            const path = join(folder, `${type}.ndjson`);
            file = open(path);
            files.set(type, path);
          }
          await file.write(chunk);
          count += rows.length;
          after = rows[rows.length - 1].rid as string; // bigint: a string from pg
        }
        if (rows.length < pageSize) break;
      }
      if (file) {
        await file.close();
        counts.set(type, count);
      }
    }
    return { counts, files };
  }

  async close(): Promise<void> {
    this.client.release();
    await this.pool.end();
  }
}
