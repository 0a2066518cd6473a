// Runs a plan against a driver: one async loop per slot (the concurrency), each op timed on its own.
// The first failure stops every loop and fails the phase.
import { performance } from 'node:perf_hooks';
import type { Driver, Plan } from './driver.js';
import { summarize, type PhaseStats } from './stats.js';

export interface MeasureOptions {
  /** Stop starting new operations after this many seconds (a safety bound; the plan's size is the target). */
  maxSeconds?: number;
}

/** Times the plan; call `driver.prepare(op, plan)` first (not timed). */
export async function measure(driver: Driver, op: string, plan: Plan, opts: MeasureOptions = {}): Promise<PhaseStats> {
  const latencies: number[] = [];
  let failure: unknown;
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const deadline = t0 + (opts.maxSeconds ?? Infinity) * 1000;
  await Promise.all(plan.map(async (keys) => {
    for (const key of keys) {
      if (failure !== undefined || performance.now() > deadline) return;
      const start = performance.now();
      try {
        await driver.run(op, key);
      } catch (e) {
        failure ??= e;
        return;
      }
      latencies.push(performance.now() - start);
    }
  }));
  const wall = performance.now() - t0;
  if (failure !== undefined) throw failure;
  const stats = summarize(latencies, wall, plan.length);
  stats.elu = performance.eventLoopUtilization(elu0).utilization;
  return stats;
}

/** `count` new keys from `first` on, dealt round-robin to `concurrency` slots. */
export function newKeysPlan(first: number, count: number, concurrency: number): Plan {
  const plan: Plan = Array.from({ length: concurrency }, () => []);
  for (let i = 0; i < count; i++) plan[i % concurrency].push(first + i);
  return plan;
}

/**
 * `count` operations over existing items 0..size-1, where slot s only touches items ≡ s (mod
 * concurrency): two concurrent operations never hit the same item (no version conflicts). `offset`
 * shifts the start so that successive phases touch other items first.
 */
export function existingKeysPlan(size: number, count: number, concurrency: number, offset = 0): Plan {
  const rounds = Math.floor(size / concurrency);
  if (rounds < 1) throw new Error(`Need at least ${concurrency} existing items, have ${size}.`);
  const plan: Plan = Array.from({ length: concurrency }, () => []);
  for (let i = 0; i < count; i++) {
    const slot = i % concurrency;
    const round = (Math.floor(i / concurrency) + offset) % rounds;
    plan[slot].push(slot + round * concurrency);
  }
  return plan;
}

export const planSize = (plan: Plan) => plan.reduce((a, s) => a + s.length, 0);
