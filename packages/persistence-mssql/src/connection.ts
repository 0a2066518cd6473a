// Connection settings: an ADO.NET connection string (as Azure shows it), a mssql:// URL, or separate
// fields; fields given separately win. Connections are encrypted unless told otherwise.
import { MSSQL_SCHEMA, parse } from '@tediousjs/connection-string';
import type { Knex } from 'knex';

export interface MssqlOptions {
  /**
   * `Server=tcp:host,1433;Database=db;User Id=u;Password=p;Encrypt=true` or
   * `mssql://u:p@host:1433/db?encrypt=true&trustServerCertificate=false`.
   */
  connectionString?: string;
  host?: string;
  port?: number;
  /** A named instance (host\instance); the port is then found through the SQL Browser. */
  instanceName?: string;
  user?: string;
  password?: string;
  database?: string;
  /** TLS for the connection; true by default (Azure SQL requires it). */
  encrypt?: boolean;
  /** Accept a server certificate that does not chain to a trusted root (local containers); false by default. */
  trustServerCertificate?: boolean;
  pool?: { min?: number; max?: number };
  /** Longest a statement may run, in ms (default 30000; 0 for none). */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export type ConnectionSettings = Omit<MssqlOptions, 'connectionString' | 'pool'>;

/** `tcp:host,1433`, `host\instance` or `host` as in a connection string's Data Source. */
function dataSource(s: string): Pick<ConnectionSettings, 'host' | 'port' | 'instanceName'> {
  const [hostPart, port] = s.replace(/^tcp:/i, '').split(',');
  const [host, instanceName] = hostPart.split('\\');
  return { host: host.trim(), ...(port ? { port: Number(port) } : {}), ...(instanceName ? { instanceName } : {}) };
}

const flag = (v: string | null) => (v === null ? undefined : /^(1|true|yes|strict|mandatory)$/i.test(v));

function fromUrl(s: string): ConnectionSettings {
  const u = new URL(s);
  const q = u.searchParams;
  const [database] = u.pathname.replace(/^\//, '').split('/');
  return {
    host: decodeURIComponent(u.hostname),
    ...(u.port ? { port: Number(u.port) } : {}),
    ...(u.username ? { user: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(database ? { database: decodeURIComponent(database) } : {}),
    ...(q.has('instanceName') ? { instanceName: q.get('instanceName')! } : {}),
    ...(q.has('encrypt') ? { encrypt: flag(q.get('encrypt')) } : {}),
    ...(q.has('trustServerCertificate') ? { trustServerCertificate: flag(q.get('trustServerCertificate')) } : {}),
  };
}

function fromAdo(s: string): ConnectionSettings {
  const c = parse(s).toSchema(MSSQL_SCHEMA);
  const out: ConnectionSettings = {};
  if (c['data source']) Object.assign(out, dataSource(c['data source']));
  if (c['initial catalog']) out.database = c['initial catalog'];
  if (c['user id']) out.user = c['user id'];
  if (c.password) out.password = c.password;
  if (c.encrypt !== undefined) out.encrypt = c.encrypt;
  if (c.trustservercertificate !== undefined) out.trustServerCertificate = c.trustservercertificate;
  if (c['connection timeout']) out.connectTimeoutMs = c['connection timeout'] * 1000;
  return out;
}

/** The settings of a connection string of either form. */
export function parseConnectionString(s: string): ConnectionSettings {
  return /^(mssql|sqlserver):\/\//i.test(s.trim()) ? fromUrl(s.trim()) : fromAdo(s);
}

/** Settings from `opts`, its connection string filled in under the fields given separately. */
export function resolveSettings(opts: MssqlOptions): ConnectionSettings {
  const { connectionString, pool: _pool, ...fields } = opts;
  const given = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as ConnectionSettings;
  return { ...(connectionString ? parseConnectionString(connectionString) : {}), ...given };
}

/** The knex configuration (mssql client over tedious). */
export function knexConfig(opts: MssqlOptions): Knex.Config {
  const s = resolveSettings(opts);
  if (!s.host) throw new Error('SQL Server: no host (set a connection string or host).');
  return {
    client: 'mssql',
    connection: {
      type: 'default',
      server: s.host,
      userName: s.user,
      password: s.password,
      database: s.database,
      requestTimeout: s.requestTimeoutMs ?? 30000,
      connectionTimeout: s.connectTimeoutMs ?? 15000,
      options: {
        ...(s.instanceName ? { instanceName: s.instanceName } : { port: s.port ?? 1433 }),
        encrypt: s.encrypt ?? true,
        trustServerCertificate: s.trustServerCertificate ?? false,
        // SET XACT_ABORT ON for the session: any error (or a cancelled request) rolls back the open
        // transaction instead of leaving it open on a pooled connection.
        abortTransactionOnError: true,
        // The SET options filtered indexes require for writes (tedious's defaults, made explicit).
        enableArithAbort: true,
        enableAnsiNull: true,
        enableAnsiPadding: true,
        enableAnsiWarnings: true,
        enableConcatNullYieldsNull: true,
        enableQuotedIdentifier: true,
        enableNumericRoundabort: false,
        useUTC: true,
        appName: 'hestia',
      },
      // The typings list fewer of tedious's options than knex passes through.
    } as unknown as Knex.MsSqlConnectionConfig,
    pool: { min: opts.pool?.min ?? 0, max: opts.pool?.max ?? 10 },
    acquireConnectionTimeout: 10000,
  };
}
