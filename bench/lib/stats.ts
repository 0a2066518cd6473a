// Latency and throughput figures of one measured phase.
import { readFileSync } from 'node:fs';

export interface PhaseStats {
  /** Operations completed in the measured phase. */
  ops: number;
  concurrency: number;
  seconds: number;
  opsPerSec: number;
  /** Latencies in milliseconds. */
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Event-loop utilization (0..1) of the thread that ran the operations (client or raw driver). */
  elu?: number;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!sorted.length) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summarize(latencies: number[], wallMs: number, concurrency: number): PhaseStats {
  const sorted = Float64Array.from(latencies).sort();
  const ops = sorted.length;
  const total = latencies.reduce((a, b) => a + b, 0);
  return {
    ops,
    concurrency,
    seconds: wallMs / 1000,
    opsPerSec: ops / (wallMs / 1000),
    mean: ops ? total / ops : NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: ops ? sorted[ops - 1] : NaN,
  };
}

/** Whole-machine CPU busy share (0..1, all cores) between two snapshots; Linux only, otherwise undefined. */
export interface CpuSnapshot { busy: number; total: number }

export async function cpuSnapshot(): Promise<CpuSnapshot | undefined> {
  try {
    const { readFile } = await import('node:fs/promises');
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = v[3] + (v[4] ?? 0);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

export function cpuBusy(a: CpuSnapshot | undefined, b: CpuSnapshot | undefined): number | undefined {
  if (!a || !b || b.total === a.total) return undefined;
  return (b.busy - a.busy) / (b.total - a.total);
}

/**
 * CPU time this thread has run, in ns (Linux: /proc/thread-self/schedstat), or undefined. Unlike
 * event-loop utilization it leaves out the time the thread was ready but waiting for a core (taken
 * by PostgreSQL's backends or the load generator on a small machine).
 */
export function threadCpuNs(): number | undefined {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
  } catch {
    return undefined;
  }
}
