// The contract between a scenario and whatever performs its operations (the HTTP client, a raw
// driver). A plan lists, per concurrent slot, the keys that slot works through in order; what a key
// means is up to the scenario (for CRUD: a patient number to create, or a position in the ledger).

export type Plan = number[][];

export interface Driver {
  readonly label: string;
  /** Builds what the plan's operations need (bodies, index rows) before the clock starts. */
  prepare?(op: string, plan: Plan): Promise<void> | void;
  /** Performs one operation and checks its result; throws on a wrong answer. */
  run(op: string, key: number): Promise<void>;
  /** How many resources this driver has written so far (for plans over existing resources). */
  size?(): number;
  /**
   * Driver-specific figures of the operations run since the last call (e.g. request charges read
   * from the responses); taken after each measured plan and returned with its stats.
   */
  takeReport?(): unknown;
  close?(): Promise<void>;
}

/** A module that can be loaded in the load-generator worker exports this. */
export type DriverFactory = (options: Record<string, unknown>) => Driver | Promise<Driver>;

/** Thrown when a response is wrong: the benchmark run must fail, not report a figure. */
export class CheckError extends Error {
  override name = 'CheckError';
}

export function check(cond: unknown, message: () => string): asserts cond {
  if (!cond) throw new CheckError(message());
}
