export type { SqlDialect } from './dialect.js';
export { SqlBuilder, keyset, buildSearch, planStable, probeStable, type Sql, type OrderColumn } from './search.js';
export { MIN_MS, MAX_MS, clampMs } from './ranges.js';
export { indexRows, type IndexRow } from './index-rows.js';
export { knexInstrumentation } from './instrumentation.js';
export { SqlJobStore, JOB_TABLE } from './jobs.js';
export { toVersion } from './rows.js';
