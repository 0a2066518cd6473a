// The few pg (node-postgres) APIs the raw baseline uses; the repository has no @types/pg.
declare module 'pg' {
  export interface QueryConfig { name?: string; text: string; values?: unknown[] }
  export interface QueryResult { rows: Record<string, unknown>[]; rowCount: number | null }
  export interface PoolClient {
    query(q: QueryConfig | string): Promise<QueryResult>;
    release(err?: Error | boolean): void;
  }
  export interface Client {
    setTypeParser(oid: number, parse: (text: string) => unknown): void;
  }
  export class Pool {
    constructor(config: { connectionString: string; max?: number });
    on(event: 'connect', listener: (client: Client) => void): this;
    query(q: QueryConfig | string): Promise<QueryResult>;
    connect(): Promise<PoolClient>;
    end(): Promise<void>;
  }
  const pg: { Pool: typeof Pool };
  export default pg;
}
