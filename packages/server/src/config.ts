// Configuration: defaults, then an optional JSON file (HESTIA_CONFIG), then environment variables.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { FhirVersionName } from '@hestia/core';

export interface HestiaConfig {
  port: number;
  host: string;
  /** Public base URL of the FHIR endpoint (e.g. https://fhir.example.org); derived from each request when empty. */
  baseUrl: string;
  fhirVersion: FhirVersionName;
  storage: {
    kind: 'embedded' | 'postgres';
    /** Embedded: folder for the database files. */
    dataDir: string;
    /** PostgreSQL: connection string. */
    connectionString: string;
    poolMax: number;
  };
  limits: { maxBodyBytes: number; defaultCount: number; maxCount: number; conditionalDeleteMax: number; maxIncludes: number; maxBundleEntries: number };
  allowCreateOnUpdate: boolean;
  /** Secret that signs paging tokens; set it when several instances serve one database. */
  pagingSecret: string;
  /** Application log and Prometheus metrics. */
  observability: {
    /** Application log level: error, warn, info, http, verbose, debug or silly. */
    logLevel: string;
    /** Prometheus metrics at /metrics. */
    metrics: { enabled: boolean };
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
}

export const DEFAULT_CONFIG: HestiaConfig = {
  port: 8080,
  host: '0.0.0.0',
  baseUrl: '',
  fhirVersion: 'r4',
  storage: { kind: 'embedded', dataDir: './.hestia-data', connectionString: '', poolMax: 10 },
  limits: { maxBodyBytes: 10 * 1024 * 1024, defaultCount: 20, maxCount: 1000, conditionalDeleteMax: 10, maxIncludes: 1000, maxBundleEntries: 1000 },
  allowCreateOnUpdate: true,
  pagingSecret: '',
  observability: { logLevel: 'info', metrics: { enabled: true } },
  audit: { location: hostname(), console: true, file: '', auditEvents: false },
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

/** Environment variables (HESTIA_*) as a partial configuration. */
export function fromEnv(env: NodeJS.ProcessEnv): DeepPartial<HestiaConfig> {
  return {
    port: num(env.HESTIA_PORT ?? env.PORT),
    host: env.HESTIA_HOST,
    baseUrl: env.HESTIA_BASE_URL,
    fhirVersion: env.HESTIA_FHIR_VERSION as FhirVersionName | undefined,
    storage: {
      kind: env.HESTIA_STORAGE as 'embedded' | 'postgres' | undefined,
      dataDir: env.HESTIA_DATA_DIR,
      connectionString: env.HESTIA_POSTGRES_URL,
      poolMax: num(env.HESTIA_POSTGRES_POOL_MAX),
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
    pagingSecret: env.HESTIA_PAGING_SECRET,
    observability: { logLevel: env.HESTIA_LOG_LEVEL, metrics: { enabled: bool(env.HESTIA_METRICS_ENABLED) } },
    audit: {
      location: env.HESTIA_AUDIT_LOCATION,
      console: bool(env.HESTIA_AUDIT_CONSOLE),
      file: env.HESTIA_AUDIT_FILE,
      auditEvents: bool(env.HESTIA_AUDIT_EVENTS),
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
  if (!['r4', 'stu3'].includes(cfg.fhirVersion)) problems.push(`fhirVersion must be r4 or stu3, not '${cfg.fhirVersion}'`);
  if (!['embedded', 'postgres'].includes(cfg.storage.kind)) problems.push(`storage.kind must be embedded or postgres, not '${cfg.storage.kind}'`);
  if (cfg.storage.kind === 'postgres' && !cfg.storage.connectionString) problems.push('storage.connectionString (HESTIA_POSTGRES_URL) is required for postgres');
  if (!(cfg.limits.maxCount >= 1) || !(cfg.limits.defaultCount >= 1) || cfg.limits.defaultCount > cfg.limits.maxCount) problems.push('limits: need 1 <= defaultCount <= maxCount');
  if (!(cfg.limits.maxBundleEntries >= 1)) problems.push('limits.maxBundleEntries must be at least 1');
  if (!LOG_LEVELS.includes(cfg.observability.logLevel)) problems.push(`observability.logLevel must be one of ${LOG_LEVELS.join(', ')}, not '${cfg.observability.logLevel}'`);
  if (problems.length) throw new Error(`Invalid configuration: ${problems.join('; ')}.`);
}

export type { DeepPartial };
