// Configuration: defaults, then an optional JSON file (HESTIA_CONFIG), then environment variables.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { VERSIONING_POLICIES, type FhirVersionName, type VersioningPolicy } from '@hestia/core';

export interface HestiaConfig {
  port: number;
  host: string;
  /**
   * How long an idle kept-alive connection stays open. Longer than the idle timeout of the load
   * balancer or proxy in front (60 s on many), or the proxy may send a request on a connection the
   * server is closing and answer 502.
   */
  keepAliveSeconds: number;
  /** How often (s) the custom search parameters and the Subscriptions are brought in line with the database, which other servers may have changed (0: never; the embedded database has no other servers). */
  syncSeconds: number;
  /** Public base URL of the FHIR endpoint (e.g. https://fhir.example.org); derived from each request when empty. */
  baseUrl: string;
  fhirVersion: FhirVersionName;
  storage: {
    kind: StorageKind;
    /** Embedded: folder for the database files. */
    dataDir: string;
    /** PostgreSQL: connection string. */
    connectionString: string;
    poolMax: number;
    /**
     * PostgreSQL: run reads, writes and plan-stable searches as named prepared statements (planned
     * once per connection). Turn off behind a pooler that hands each statement to another server
     * connection without tracking prepared statements (PgBouncer in transaction mode before 1.21).
     */
    preparedStatements: boolean;
    /** SQL Server / Azure SQL: a connection string, or host, user, password and database. */
    sqlserver: { url: string; host: string; port: number; user: string; password: string; database: string; encrypt: boolean; trustServerCertificate: boolean };
    /**
     * Azure Cosmos DB (NoSQL API): account endpoint and key, database, the two containers (created if
     * missing, with `throughput` RU/s when above 0), and whether the client discovers regional
     * endpoints (turn off for emulators).
     */
    cosmos: { endpoint: string; key: string; database: string; resourcesContainer: string; historyContainer: string; throughput: number; endpointDiscovery: boolean };
  };
  limits: { maxBodyBytes: number; defaultCount: number; maxCount: number; conditionalDeleteMax: number; maxIncludes: number; maxBundleEntries: number };
  allowCreateOnUpdate: boolean;
  /**
   * Whether updates must name the version they replace: 'versioned' (If-Match honoured when sent) or
   * 'versioned-update' (required on every update and patch of an existing resource), by default and
   * for given resource types.
   */
  versioning: { default: VersioningPolicy; resourceTypes: Record<string, VersioningPolicy> };
  /** Secret that signs paging tokens; set it when several instances serve one database. */
  pagingSecret: string;
  /** Application log and Prometheus metrics. */
  observability: {
    /** Application log level: error, warn, info, http, verbose, debug or silly. */
    logLevel: string;
    /** Prometheus metrics at /metrics; with a role (security enabled), only callers whose token has that role read them. */
    metrics: { enabled: boolean; role: string };
    /** Database calls that take at least this long (ms) are logged with their statement (0: none). */
    slowStatementMs: number;
  };
  /** Audit log: a Started and a Succeeded/Failed record per request, and one record per bundle entry. */
  audit: {
    /** Where this instance runs (region, data centre); written into every record as Location. */
    location: string;
    /** Write audit records to standard output (JSON lines). */
    console: boolean;
    /** Also append audit records to this file (JSON lines); empty for none. */
    file: string;
    /** Also store every outcome as a FHIR AuditEvent resource, searchable by date and agent. */
    auditEvents: boolean;
  };
  /** Authentication (OpenID Connect bearer tokens) and role-based authorization. */
  security: {
    /** When false, every request is allowed without a token (a warning says so at startup). */
    enabled: boolean;
    /** The OpenID Connect issuer; its metadata is read from <authority>/.well-known/openid-configuration. */
    authority: string;
    /** The accepted `aud` value(s), e.g. the server's URL or its application id. */
    audience: string | string[];
    /** When not empty, only tokens whose `oid` claim is listed are allowed (403 otherwise). */
    allowedObjectIds: string[];
    /** The claim holding the caller's roles (a dotted path such as realm_access.roles also works). */
    rolesClaim: string;
    /** The roles file: role names and the actions they allow. */
    rolesFile: string;
    /** Tolerated clock difference for exp, nbf and iat, in seconds. */
    clockSkewSeconds: number;
    /** Least time between two fetches of the issuer's keys when a token names an unknown key id, in seconds. */
    jwksCooldownSeconds: number;
    /**
     * The SMART on FHIR proxy at /AadSmartOnFhirProxy, for authorities that do not speak SMART (Azure
     * AD): scopes rewritten for the first audience (best: the server's URL), launch context added to
     * the token response.
     */
    smartProxy: boolean;
    /**
     * Tokens with SMART clinical scopes (patient/Observation.read, user/*.cruds …) get no more than
     * their scopes allow, on top of their roles; patient-level scopes reach only the token's patient.
     */
    smartScopes: boolean;
  };
  /** Cross-origin resource sharing for browser applications. */
  cors: {
    /** Allowed origins (e.g. https://app.example.org), or '*' for any; empty: no cross-origin access. */
    origins: string[] | '*';
    /** Request headers a cross-origin request may send, or '*' for any. */
    headers: string[] | '*';
    methods: string[];
    /** How long browsers may cache a preflight answer, in seconds. */
    maxAge: number;
    /** Allow credentials (cookies, client certificates); not possible with origins '*'. */
    allowCredentials: boolean;
  };
  /** Bulk data $export: where files go, and how hard jobs may work. */
  export: {
    enabled: boolean;
    /** 'folder' (a local or mounted folder) or 'blob' (Azure Blob Storage). */
    destination: 'folder' | 'blob';
    folder: string;
    /** Azure Blob Storage: a connection string, or an account URL with a key or a SAS token. */
    blob: { connectionString: string; accountUrl: string; accountKey: string; sasToken: string; container: string };
    /** Jobs this instance runs at once; more wait in the queue. */
    maxRunningJobs: number;
    /** Resources read per database page. */
    pageSize: number;
    /** A type's output is split into files of about this size. */
    maxFileBytes: number;
    /** Pause between pages of one job, so that exports leave room for interactive requests. */
    pageDelayMs: number;
    /** A running job's worker writes a heartbeat this often; a job without one for staleSeconds is taken over. */
    heartbeatSeconds: number;
    staleSeconds: number;
    /** How often an idle instance looks for queued jobs. */
    pollSeconds: number;
    /** A job interrupted this many times fails instead of starting again. */
    maxAttempts: number;
    /** Completed and failed jobs, and their files, are removed this long after they ended (0: kept until deleted). */
    retentionSeconds: number;
  };
  /** Subscriptions with a rest-hook channel: notifications posted to their endpoints. */
  subscriptions: {
    enabled: boolean;
    /** Endpoints allowed, as URL prefixes (e.g. https://hooks.example.org/); empty: any http(s) URL. */
    endpoints: string[];
    /** How long one notification may take. */
    timeoutSeconds: number;
    /** Further attempts after a failed notification (a second apart, then more), before the Subscription is set to error. */
    retries: number;
  };
}

/** The roles file shipped with the server (packages/server/roles.json). */
export const DEFAULT_ROLES_FILE = fileURLToPath(new URL('../roles.json', import.meta.url));

export const STORAGE_KINDS = ['embedded', 'postgres', 'sqlserver', 'cosmos'] as const;
export type StorageKind = (typeof STORAGE_KINDS)[number];

export const DEFAULT_CONFIG: HestiaConfig = {
  port: 8080,
  host: '0.0.0.0',
  keepAliveSeconds: 65,
  syncSeconds: 60,
  baseUrl: '',
  fhirVersion: 'r4',
  storage: {
    kind: 'embedded', dataDir: './.hestia-data', connectionString: '', poolMax: 10, preparedStatements: true,
    sqlserver: { url: '', host: '', port: 1433, user: '', password: '', database: '', encrypt: true, trustServerCertificate: false },
    cosmos: { endpoint: '', key: '', database: 'hestia', resourcesContainer: 'resources', historyContainer: 'history', throughput: 0, endpointDiscovery: true },
  },
  limits: { maxBodyBytes: 10 * 1024 * 1024, defaultCount: 20, maxCount: 1000, conditionalDeleteMax: 10, maxIncludes: 1000, maxBundleEntries: 1000 },
  allowCreateOnUpdate: true,
  versioning: { default: 'versioned', resourceTypes: {} },
  pagingSecret: '',
  observability: { logLevel: 'info', metrics: { enabled: true, role: '' }, slowStatementMs: 1000 },
  audit: { location: hostname(), console: true, file: '', auditEvents: false },
  security: { enabled: false, authority: '', audience: [], allowedObjectIds: [], rolesClaim: 'roles', rolesFile: DEFAULT_ROLES_FILE, clockSkewSeconds: 60, jwksCooldownSeconds: 30, smartProxy: false, smartScopes: true },
  cors: { origins: [], headers: '*', methods: ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'], maxAge: 600, allowCredentials: false },
  export: {
    enabled: true, destination: 'folder', folder: './.hestia-export',
    blob: { connectionString: '', accountUrl: '', accountKey: '', sasToken: '', container: 'hestia-export' },
    maxRunningJobs: 2, pageSize: 500, maxFileBytes: 64 * 1024 * 1024, pageDelayMs: 0,
    heartbeatSeconds: 10, staleSeconds: 60, pollSeconds: 2, maxAttempts: 3, retentionSeconds: 24 * 3600,
  },
  subscriptions: { enabled: false, endpoints: [], timeoutSeconds: 10, retries: 2 },
};

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

function merge<T>(base: T, over: DeepPartial<T> | undefined): T {
  if (!over) return base;
  const out = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const cur = out[k];
    out[k] = cur && typeof cur === 'object' && !Array.isArray(cur) && v && typeof v === 'object' && !Array.isArray(v) ? merge(cur, v as never) : v;
  }
  return out as T;
}

const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v));
const bool = (v: string | undefined) => (v === undefined || v === '' ? undefined : /^(1|true|yes|on)$/i.test(v));
/** A comma-separated list. */
const list = (v: string | undefined) => (v === undefined || v === '' ? undefined : v.split(',').map((x) => x.trim()).filter((x) => x !== ''));
/** Comma-separated `name=value` pairs. */
const pairs = (v: string | undefined) => {
  const items = list(v);
  return items && Object.fromEntries(items.map((x) => [x.split('=')[0].trim(), x.slice(x.indexOf('=') + 1).trim()]));
};
/** A comma-separated list, or '*'. */
const listOrAny = (v: string | undefined) => (v?.trim() === '*' ? ('*' as const) : list(v));

/** Environment variables (HESTIA_*) as a partial configuration. */
export function fromEnv(env: NodeJS.ProcessEnv): DeepPartial<HestiaConfig> {
  return {
    port: num(env.HESTIA_PORT ?? env.PORT),
    keepAliveSeconds: num(env.HESTIA_KEEP_ALIVE_SECONDS),
    syncSeconds: num(env.HESTIA_SYNC_SECONDS),
    host: env.HESTIA_HOST,
    baseUrl: env.HESTIA_BASE_URL,
    fhirVersion: env.HESTIA_FHIR_VERSION as FhirVersionName | undefined,
    storage: {
      kind: env.HESTIA_STORAGE as StorageKind | undefined,
      dataDir: env.HESTIA_DATA_DIR,
      connectionString: env.HESTIA_POSTGRES_URL,
      poolMax: num(env.HESTIA_STORAGE === 'sqlserver' ? env.HESTIA_SQLSERVER_POOL_MAX : env.HESTIA_POSTGRES_POOL_MAX),
      preparedStatements: bool(env.HESTIA_POSTGRES_PREPARED_STATEMENTS),
      sqlserver: {
        url: env.HESTIA_SQLSERVER_URL,
        host: env.HESTIA_SQLSERVER_HOST,
        port: num(env.HESTIA_SQLSERVER_PORT),
        user: env.HESTIA_SQLSERVER_USER,
        password: env.HESTIA_SQLSERVER_PASSWORD,
        database: env.HESTIA_SQLSERVER_DATABASE,
        encrypt: bool(env.HESTIA_SQLSERVER_ENCRYPT),
        trustServerCertificate: bool(env.HESTIA_SQLSERVER_TRUST_SERVER_CERTIFICATE),
      },
      cosmos: {
        endpoint: env.HESTIA_COSMOS_ENDPOINT,
        key: env.HESTIA_COSMOS_KEY,
        database: env.HESTIA_COSMOS_DATABASE,
        resourcesContainer: env.HESTIA_COSMOS_RESOURCES_CONTAINER,
        historyContainer: env.HESTIA_COSMOS_HISTORY_CONTAINER,
        throughput: num(env.HESTIA_COSMOS_THROUGHPUT),
        endpointDiscovery: bool(env.HESTIA_COSMOS_ENDPOINT_DISCOVERY),
      },
    },
    limits: {
      maxBodyBytes: num(env.HESTIA_MAX_BODY_BYTES),
      defaultCount: num(env.HESTIA_DEFAULT_COUNT),
      maxCount: num(env.HESTIA_MAX_COUNT),
      conditionalDeleteMax: num(env.HESTIA_CONDITIONAL_DELETE_MAX),
      maxIncludes: num(env.HESTIA_MAX_INCLUDES),
      maxBundleEntries: num(env.HESTIA_MAX_BUNDLE_ENTRIES),
    },
    allowCreateOnUpdate: bool(env.HESTIA_ALLOW_CREATE_ON_UPDATE),
    versioning: { default: env.HESTIA_VERSIONING as VersioningPolicy | undefined, resourceTypes: pairs(env.HESTIA_VERSIONING_RESOURCE_TYPES) as Record<string, VersioningPolicy> | undefined },
    pagingSecret: env.HESTIA_PAGING_SECRET,
    observability: { logLevel: env.HESTIA_LOG_LEVEL, metrics: { enabled: bool(env.HESTIA_METRICS_ENABLED), role: env.HESTIA_METRICS_ROLE }, slowStatementMs: num(env.HESTIA_LOG_SLOW_STATEMENT_MS) },
    audit: {
      location: env.HESTIA_AUDIT_LOCATION,
      console: bool(env.HESTIA_AUDIT_CONSOLE),
      file: env.HESTIA_AUDIT_FILE,
      auditEvents: bool(env.HESTIA_AUDIT_EVENTS),
    },
    security: {
      enabled: bool(env.HESTIA_SECURITY_ENABLED),
      authority: env.HESTIA_SECURITY_AUTHORITY,
      audience: list(env.HESTIA_SECURITY_AUDIENCE),
      allowedObjectIds: list(env.HESTIA_SECURITY_ALLOWED_OBJECT_IDS),
      rolesClaim: env.HESTIA_SECURITY_ROLES_CLAIM,
      rolesFile: env.HESTIA_SECURITY_ROLES_FILE,
      clockSkewSeconds: num(env.HESTIA_SECURITY_CLOCK_SKEW_SECONDS),
      jwksCooldownSeconds: num(env.HESTIA_SECURITY_JWKS_COOLDOWN_SECONDS),
      smartProxy: bool(env.HESTIA_SECURITY_SMART_PROXY),
      smartScopes: bool(env.HESTIA_SECURITY_SMART_SCOPES),
    },
    cors: {
      origins: listOrAny(env.HESTIA_CORS_ORIGINS),
      headers: listOrAny(env.HESTIA_CORS_HEADERS),
      methods: list(env.HESTIA_CORS_METHODS),
      maxAge: num(env.HESTIA_CORS_MAX_AGE),
      allowCredentials: bool(env.HESTIA_CORS_ALLOW_CREDENTIALS),
    },
    export: {
      enabled: bool(env.HESTIA_EXPORT_ENABLED),
      destination: env.HESTIA_EXPORT_DESTINATION as 'folder' | 'blob' | undefined,
      folder: env.HESTIA_EXPORT_FOLDER,
      blob: {
        connectionString: env.HESTIA_EXPORT_BLOB_CONNECTION_STRING,
        accountUrl: env.HESTIA_EXPORT_BLOB_ACCOUNT_URL,
        accountKey: env.HESTIA_EXPORT_BLOB_ACCOUNT_KEY,
        sasToken: env.HESTIA_EXPORT_BLOB_SAS_TOKEN,
        container: env.HESTIA_EXPORT_BLOB_CONTAINER,
      },
      maxRunningJobs: num(env.HESTIA_EXPORT_MAX_RUNNING_JOBS),
      pageSize: num(env.HESTIA_EXPORT_PAGE_SIZE),
      maxFileBytes: num(env.HESTIA_EXPORT_MAX_FILE_BYTES),
      pageDelayMs: num(env.HESTIA_EXPORT_PAGE_DELAY_MS),
      heartbeatSeconds: num(env.HESTIA_EXPORT_HEARTBEAT_SECONDS),
      staleSeconds: num(env.HESTIA_EXPORT_STALE_SECONDS),
      pollSeconds: num(env.HESTIA_EXPORT_POLL_SECONDS),
      maxAttempts: num(env.HESTIA_EXPORT_MAX_ATTEMPTS),
      retentionSeconds: num(env.HESTIA_EXPORT_RETENTION_SECONDS),
    },
    subscriptions: {
      enabled: bool(env.HESTIA_SUBSCRIPTIONS_ENABLED),
      endpoints: list(env.HESTIA_SUBSCRIPTIONS_ENDPOINTS),
      timeoutSeconds: num(env.HESTIA_SUBSCRIPTIONS_TIMEOUT_SECONDS),
      retries: num(env.HESTIA_SUBSCRIPTIONS_RETRIES),
    },
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides?: DeepPartial<HestiaConfig>): HestiaConfig {
  let cfg = DEFAULT_CONFIG;
  if (env.HESTIA_CONFIG) cfg = merge(cfg, JSON.parse(readFileSync(env.HESTIA_CONFIG, 'utf8')) as DeepPartial<HestiaConfig>);
  cfg = merge(cfg, fromEnv(env));
  cfg = merge(cfg, overrides);
  validateConfig(cfg);
  return cfg;
}

const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'];

export function validateConfig(cfg: HestiaConfig): void {
  const problems: string[] = [];
  if (!(cfg.syncSeconds >= 0)) problems.push(`syncSeconds (HESTIA_SYNC_SECONDS) must be a number of seconds, 0 or more, not '${cfg.syncSeconds}'`);
  if (!(cfg.keepAliveSeconds > 0)) problems.push(`keepAliveSeconds (HESTIA_KEEP_ALIVE_SECONDS) must be a positive number of seconds, not '${cfg.keepAliveSeconds}'`);
  if (!['r4', 'stu3'].includes(cfg.fhirVersion)) problems.push(`fhirVersion must be r4 or stu3, not '${cfg.fhirVersion}'`);
  if (!STORAGE_KINDS.includes(cfg.storage.kind)) problems.push(`storage.kind must be one of ${STORAGE_KINDS.join(', ')}, not '${cfg.storage.kind}'`);
  if (cfg.storage.kind === 'postgres' && !cfg.storage.connectionString) problems.push('storage.connectionString (HESTIA_POSTGRES_URL) is required for postgres');
  const ss = cfg.storage.sqlserver;
  if (cfg.storage.kind === 'sqlserver' && !ss.url && !(ss.host && ss.database)) {
    problems.push('storage.sqlserver.url (HESTIA_SQLSERVER_URL), or its host and database (HESTIA_SQLSERVER_HOST, HESTIA_SQLSERVER_DATABASE), are required for sqlserver');
  }
  const cs = cfg.storage.cosmos;
  if (cfg.storage.kind === 'cosmos') {
    if (!cs.endpoint || !cs.key || !cs.database) problems.push('storage.cosmos endpoint, key and database (HESTIA_COSMOS_ENDPOINT, HESTIA_COSMOS_KEY, HESTIA_COSMOS_DATABASE) are required for cosmos');
    else if (!/^https?:\/\/[^/]/i.test(cs.endpoint) || !URL.canParse(cs.endpoint)) problems.push(`storage.cosmos.endpoint must be an http(s) URL, not '${cs.endpoint}'`);
    if (!(cs.throughput >= 0)) problems.push('storage.cosmos.throughput must be 0 (the account default) or more');
  }
  if (!(cfg.limits.maxCount >= 1) || !(cfg.limits.defaultCount >= 1) || cfg.limits.defaultCount > cfg.limits.maxCount) problems.push('limits: need 1 <= defaultCount <= maxCount');
  if (!(cfg.limits.maxBundleEntries >= 1)) problems.push('limits.maxBundleEntries must be at least 1');
  if (!LOG_LEVELS.includes(cfg.observability.logLevel)) problems.push(`observability.logLevel must be one of ${LOG_LEVELS.join(', ')}, not '${cfg.observability.logLevel}'`);
  if (!(cfg.observability.slowStatementMs >= 0)) problems.push(`observability.slowStatementMs (HESTIA_LOG_SLOW_STATEMENT_MS) must be a number of milliseconds, 0 or more, not '${cfg.observability.slowStatementMs}'`);
  if (cfg.observability.metrics.role && !cfg.security.enabled) problems.push('observability.metrics.role (HESTIA_METRICS_ROLE) needs security.enabled: without authentication no caller has a role');
  const sub = cfg.subscriptions;
  if (!(sub.timeoutSeconds > 0)) problems.push(`subscriptions.timeoutSeconds (HESTIA_SUBSCRIPTIONS_TIMEOUT_SECONDS) must be a positive number of seconds, not '${sub.timeoutSeconds}'`);
  if (!(Number.isInteger(sub.retries) && sub.retries >= 0)) problems.push(`subscriptions.retries (HESTIA_SUBSCRIPTIONS_RETRIES) must be a whole number, 0 or more, not '${sub.retries}'`);
  for (const e of sub.endpoints) if (!URL.canParse(e) || !/^https?:$/.test(new URL(e).protocol)) problems.push(`subscriptions.endpoints (HESTIA_SUBSCRIPTIONS_ENDPOINTS): '${e}' is not an http(s) URL prefix`);
  problems.push(...versioningProblems(cfg.versioning), ...securityProblems(cfg), ...corsProblems(cfg.cors), ...exportProblems(cfg.export));
  if (problems.length) throw new Error(`Invalid configuration: ${problems.join('; ')}.`);
}

function versioningProblems(v: HestiaConfig['versioning']): string[] {
  const problems: string[] = [];
  const why = (p: string) => (p === 'no-version' ? ' (Hestia keeps every version)' : '');
  if (!VERSIONING_POLICIES.includes(v.default)) problems.push(`versioning.default (HESTIA_VERSIONING) must be one of ${VERSIONING_POLICIES.join(', ')}, not '${v.default}'${why(v.default)}`);
  for (const [type, p] of Object.entries(v.resourceTypes)) {
    if (!VERSIONING_POLICIES.includes(p)) problems.push(`versioning.resourceTypes (HESTIA_VERSIONING_RESOURCE_TYPES): ${type} must be one of ${VERSIONING_POLICIES.join(', ')}, not '${p}'${why(p)}`);
  }
  return problems;
}

function securityProblems({ security: s }: HestiaConfig): string[] {
  const problems: string[] = [];
  if (!(s.clockSkewSeconds >= 0)) problems.push('security.clockSkewSeconds must be 0 or more');
  if (!(s.jwksCooldownSeconds >= 0)) problems.push('security.jwksCooldownSeconds must be 0 or more');
  if (!s.rolesClaim) problems.push('security.rolesClaim must not be empty');
  if (s.smartProxy && !s.enabled) problems.push('security.smartProxy (HESTIA_SECURITY_SMART_PROXY) needs security.enabled: the proxy hands out tokens for a protected server');
  if (!s.enabled) return problems;
  if (!s.authority) problems.push('security.authority (HESTIA_SECURITY_AUTHORITY) is required when security is enabled');
  else if (!/^https?:\/\/[^/]/i.test(s.authority) || !URL.canParse(s.authority)) problems.push(`security.authority must be an http(s) URL, not '${s.authority}'`);
  if (!audiencesOf(s).length) problems.push('security.audience (HESTIA_SECURITY_AUDIENCE) is required when security is enabled');
  return problems;
}

/** The configured audiences as a list (the setting may be one string). */
export const audiencesOf = (s: HestiaConfig['security']): string[] => [s.audience].flat().filter((a) => a !== '');

/** Whether a list setting that may be '*' allows anything. */
export const isAny = (v: string[] | '*'): boolean => v === '*' || v.includes('*');

function corsProblems(c: HestiaConfig['cors']): string[] {
  const problems: string[] = [];
  if (c.allowCredentials && isAny(c.origins)) {
    problems.push("cors.allowCredentials cannot be true when cors.origins is '*': list the allowed origins instead");
  }
  if (!(c.maxAge >= 0)) problems.push('cors.maxAge must be 0 or more');
  return problems;
}

function exportProblems(e: HestiaConfig['export']): string[] {
  const problems: string[] = [];
  if (!['folder', 'blob'].includes(e.destination)) problems.push(`export.destination must be folder or blob, not '${e.destination}'`);
  // (the blob settings are checked by BlobDestination when the server starts)
  for (const k of ['maxRunningJobs', 'pageSize', 'maxFileBytes', 'heartbeatSeconds', 'staleSeconds', 'pollSeconds', 'maxAttempts'] as const) {
    if (!(e[k] > 0)) problems.push(`export.${k} must be above 0`);
  }
  if (!(e.pageDelayMs >= 0)) problems.push('export.pageDelayMs must be 0 or more');
  if (!(e.retentionSeconds >= 0)) problems.push('export.retentionSeconds must be 0 or more');
  if (e.staleSeconds <= e.heartbeatSeconds) problems.push('export.staleSeconds must be longer than export.heartbeatSeconds');
  return problems;
}

export type { DeepPartial };
