// A measured phase, warm-up included, for the two places operations run: the load worker (HTTP
// against the server on this thread) and this thread (raw baselines). Also records server-thread
// event-loop utilization and CPU time per operation, machine CPU and, with --profile, a CPU profile
// of the server thread.
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchContext, Side } from './context.js';
import type { Driver, Plan } from './driver.js';
import type { RemoteDriver } from './load-client.js';
import { startCpuProfile, summarizeProfile, type ProfileSummary } from './profile.js';
import { measure } from './runner.js';
import { cpuBusy, cpuSnapshot, threadCpuNs } from './stats.js';

export interface PhaseSpec { op: string; warmup: Plan; plan: Plan }

/** Runs the phase through the load worker; the server answers on this (main) thread. */
export async function serverPhase(ctx: BenchContext, label: string, driver: RemoteDriver, spec: PhaseSpec, caseName: string)
  : Promise<{ side: Side; size?: number; profile?: ProfileSummary; /** The driver's report of the measured plan (Driver.takeReport). */ report?: unknown }> {
  await warmUp(ctx, driver, spec);
  const stop = ctx.profile ? await startCpuProfile() : undefined;
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = await cpuSnapshot();
  const run0 = threadCpuNs();
  const { stats, size, report } = await driver.measure(spec.op, spec.plan, ctx.maxSeconds);
  const run1 = threadCpuNs();
  const cpu1 = await cpuSnapshot();
  const serverElu = performance.eventLoopUtilization(elu0).utilization;
  const serverCpuMsPerOp = run0 === undefined || run1 === undefined || !stats.ops ? undefined : (run1 - run0) / 1e6 / stats.ops;
  let profile: ProfileSummary | undefined;
  if (stop) {
    const p = await stop();
    profile = summarizeProfile(p);
    const dir = join(ctx.resultsDir, 'profiles');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `${caseName.replace(/\//g, '_')}.cpuprofile`), JSON.stringify(p));
  }
  return { side: { label, stats, serverElu, serverCpuMsPerOp, machineCpu: cpuBusy(cpu0, cpu1) }, size, profile, report };
}

/** Runs the warm-up plan in the load worker, then prepares the measured plan (not timed). */
async function warmUp(ctx: BenchContext, driver: RemoteDriver, spec: PhaseSpec): Promise<void> {
  if (spec.warmup.flat().length) {
    await driver.prepare(spec.op, spec.warmup);
    await driver.measure(spec.op, spec.warmup, ctx.maxSeconds);
  }
  await driver.prepare(spec.op, spec.plan);
}

/** Runs the phase through the load worker for a baseline (no server on this thread to observe). */
export async function remotePhase(ctx: BenchContext, label: string, driver: RemoteDriver, spec: PhaseSpec): Promise<Side> {
  await warmUp(ctx, driver, spec);
  const cpu0 = await cpuSnapshot();
  const { stats } = await driver.measure(spec.op, spec.plan, ctx.maxSeconds);
  const cpu1 = await cpuSnapshot();
  return { label, stats, machineCpu: cpuBusy(cpu0, cpu1) };
}

/** Runs the phase on this thread (raw baselines). */
export async function localPhase(ctx: BenchContext, driver: Driver, spec: PhaseSpec): Promise<Side> {
  if (spec.warmup.flat().length) {
    await driver.prepare?.(spec.op, spec.warmup);
    await measure(driver, spec.op, spec.warmup, { maxSeconds: ctx.maxSeconds });
  }
  await driver.prepare?.(spec.op, spec.plan);
  const cpu0 = await cpuSnapshot();
  const stats = await measure(driver, spec.op, spec.plan, { maxSeconds: ctx.maxSeconds });
  const cpu1 = await cpuSnapshot();
  return { label: driver.label, stats, machineCpu: cpuBusy(cpu0, cpu1) };
}
