// What a scenario gets from the harness, and what it reports back.
import type { LoadWorker } from './load-client.js';
import type { ProfileSummary } from './profile.js';
import type { PhaseStats } from './stats.js';

/** One side of a comparison: the server through HTTP, or a baseline. */
export interface Side {
  label: string;
  stats: PhaseStats;
  /** Event-loop utilization of the server's thread (main) during the phase, for server sides. */
  serverElu?: number;
  /** CPU time the server's thread ran per operation, in ms (Linux; stats.ts threadCpuNs). */
  serverCpuMsPerOp?: number;
  /** Share of all CPU cores busy during the phase (whole machine, PostgreSQL included). */
  machineCpu?: number;
}

/** A measured phase, optionally next to the baseline it is compared with. */
export interface ComparisonResult {
  kind: 'comparison';
  /** Full case name, e.g. crud/postgres/create/c8: what filters match. */
  case: string;
  subject: Side;
  baseline?: Side;
  /** subject ops/s ÷ baseline ops/s. */
  ratio?: number;
  profile?: ProfileSummary;
  /** When one operation handles several items (a 48-resource bundle, a walk over 10,500 results): how many, and what they are. */
  perOp?: { items: number; unit: string };
}

/** Plain figures (start times, memory …). */
export interface ValuesResult {
  kind: 'values';
  case: string;
  values: Record<string, number | string>;
  /** Unit of each value ('ms', 'MB' …), for printing. */
  units?: Record<string, string>;
}

/**
 * A measured phase without a baseline, with what each operation cost the database, as the server
 * reported it per response (Cosmos DB request units, `x-ms-request-charge`).
 */
export interface MeteredResult {
  kind: 'metered';
  case: string;
  subject: Side;
  /** Per operation (the sum over its responses): mean, min and max, the unit ('RU'), and how many operations cost each amount. */
  charge: { mean: number; min: number; max: number; unit: string; counts?: Record<string, number> };
  /** Requests the database received per operation, where the bench can count them (an in-process emulator). */
  calls?: number;
  profile?: ProfileSummary;
  /** When one operation handles several items (a 48-resource batch bundle): how many, and what they are. */
  perOp?: { items: number; unit: string };
}

export type Result = ComparisonResult | ValuesResult | MeteredResult;

export interface BenchContext {
  /** Multiplies operation counts (`--scale=0.2` for a quick check). */
  readonly scale: number;
  /** Safety bound per measured phase. */
  readonly maxSeconds: number;
  /** `--profile`: CPU-profile the server thread during measured server phases. */
  readonly profile: boolean;
  /** Whether the user's filter selects this case. */
  selected(caseName: string): boolean;
  record(result: Result): void;
  log(message: string): void;
  /** The load-generator worker (started on first use). */
  load(): LoadWorker;
  /** A fresh temporary folder, removed at the end of the run. */
  tmpDir(prefix: string): Promise<string>;
  /** Where result files go (bench/results). */
  readonly resultsDir: string;
}

export interface Scenario {
  /** Group name, e.g. crud/postgres. */
  name: string;
  /** Every case this scenario can run; the run is skipped when the filter selects none. */
  cases: string[];
  /** Runs the selected cases (ctx.selected) and records their results. */
  run(ctx: BenchContext): Promise<void>;
}
