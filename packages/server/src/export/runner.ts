// Runs $export jobs: claims queued (or abandoned) jobs from the job store, reads each type page by
// page through core and streams NDJSON files to the destination. Progress is checkpointed at file
// boundaries with compare-and-set writes, so a job resumes where its last complete file ended after
// a restart, a job taken over by another instance stops here, and a cancelled one cleans up.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { AsyncResource } from 'node:async_hooks';
import { exportPage, groupPatientIds, type ExportRequest, type FhirEngine, type JobRecord, type JobStore, type JobUpdate } from '@hestia/core';
import type { HestiaConfig } from '../config.js';
import { appLogger } from '../observability/logger.js';
import type { ExportDestination, ExportFileWriter } from './destination.js';

export const EXPORT_JOB = 'export';

export interface ExportOutput { type: string; file: string; count: number }

/** What a job keeps in the store. `progress` is where work restarts: the start of an unfinished file. */
export interface ExportJobData {
  request: ExportRequest;
  /** The kick-off URL, for the manifest. */
  requestUrl: string;
  requiresAccessToken: boolean;
  /** Starts of work (claims); a job interrupted too often fails. */
  attempts: number;
  progress: { typeIndex: number; after?: unknown[]; part: number };
  output: ExportOutput[];
  /** Resources exported so far, and the type being read (updated with each heartbeat). */
  exported: number;
  currentType?: string;
  completedAt?: string;
  error?: string;
}

/** The job was changed by someone else (cancelled, deleted, or taken over): stop without writing. */
class JobLost extends Error {}
/** This instance is shutting down. */
class Interrupted extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const exportFileName = (type: string, part: number) => `${type}-${part}.ndjson`;

export class ExportRunner {
  readonly worker = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly running = new Map<string, Promise<void>>();
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private closed = false;
  /** Ticks run outside any request's context (a kick-off wakes the runner; its correlation id must not stick to the job). */
  private readonly tickDetached = AsyncResource.bind(() => this.tickAndReschedule());

  constructor(
    private readonly engine: FhirEngine,
    private readonly jobs: JobStore,
    private readonly destination: ExportDestination,
    private readonly settings: HestiaConfig['export'],
  ) {}

  start(): void {
    this.schedule(0);
  }

  /** Looks for work now (after a kick-off). */
  wake(): void {
    if (!this.closed) this.schedule(0);
  }

  /** Stops claiming, interrupts running jobs (they go back to the queue at their last checkpoint). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.ticking;
    await Promise.all(this.running.values());
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(this.tickDetached, ms);
    this.timer.unref();
  }

  private tickAndReschedule(): void {
    this.ticking ??= this.tick().finally(() => {
      this.ticking = undefined;
      if (!this.closed) this.schedule(this.settings.pollSeconds * 1000);
    });
  }

  private async tick(): Promise<void> {
    await this.expire();
    try {
      while (!this.closed && this.running.size < this.settings.maxRunningJobs) {
        const staleBefore = new Date(Date.now() - this.settings.staleSeconds * 1000).toISOString();
        const job = await this.jobs.claimJob(EXPORT_JOB, this.worker, staleBefore);
        if (!job) return;
        const run = this.run(job).finally(() => {
          this.running.delete(job.id);
          this.wake();
        });
        this.running.set(job.id, run);
      }
    } catch (e) {
      appLogger.error('Export: looking for jobs failed.', { error: (e as Error).message });
    }
  }

  /** Removes jobs that ended more than retentionSeconds ago, files first (any instance may do it; both steps are idempotent). */
  private async expire(): Promise<void> {
    const keep = this.settings.retentionSeconds;
    if (!keep) return;
    const before = new Date(Date.now() - keep * 1000).toISOString();
    try {
      for (const status of ['completed', 'failed'] as const) {
        for (const job of await this.jobs.listJobs(EXPORT_JOB, status)) {
          if (this.closed || job.updatedAt >= before) continue;
          await this.destination.removeJob(job.id);
          if (await this.jobs.deleteJob(job.id)) appLogger.info('Export job expired: its files were removed.', { job: job.id, status });
        }
      }
    } catch (e) {
      appLogger.error('Export: removing expired jobs failed.', { error: (e as Error).message });
    }
  }

  private async run(claimed: JobRecord): Promise<void> {
    const data = structuredClone(claimed.data) as unknown as ExportJobData;
    // Heartbeats carry only liveness and the running count: the stored progress stays at the last checkpoint.
    const lease = new JobLease(this.jobs, claimed, this.settings.heartbeatSeconds * 1000, (stored) => ({ ...stored, exported: data.exported, currentType: data.currentType }));
    const checkpoint = () => lease.save({ heartbeat: true, data: data as unknown as Record<string, unknown> });
    let writer: ExportFileWriter | undefined;
    try {
      data.attempts += 1;
      // (a heartbeat may have stored a running count that included an unfinished file)
      data.exported = data.output.reduce((n, o) => n + o.count, 0);
      if (data.attempts > this.settings.maxAttempts) throw new Error(`The export was interrupted ${data.attempts - 1} times; it has been stopped`);
      await checkpoint();
      lease.startBeating();
      appLogger.info('Export job started.', { job: claimed.id, attempt: data.attempts, types: data.request.types.length });
      const { request } = data;
      const patients = request.level === 'group' ? await groupPatientIds(this.engine, request.groupId!) : undefined;
      let pageSize = this.settings.pageSize;
      const ndjson = new NdjsonEncoder();

      for (; data.progress.typeIndex < request.types.length; ) {
        const type = request.types[data.progress.typeIndex];
        data.currentType = type;
        let after = data.progress.after;
        let count = 0, bytes = 0;
        for (;;) {
          if (this.closed) throw new Interrupted();
          lease.check();
          const page = await exportPage(this.engine, request, type, pageSize, after, patients);
          if (page.lines.length) {
            const chunk = ndjson.encode(page.lines);
            writer ??= await this.destination.create(claimed.id, exportFileName(type, data.progress.part));
            await writer.write(chunk);
            count += page.lines.length;
            bytes += chunk.length;
            data.exported += page.lines.length;
            // Pages are bounded by bytes too: large resources make the next pages shorter.
            pageSize = Math.min(this.settings.pageSize, Math.max(10, Math.floor((pageSize * PAGE_BYTES) / chunk.length)));
          }
          after = page.next;
          if (!after || bytes >= this.settings.maxFileBytes) {
            const wrote = !!writer;
            if (writer) {
              await writer.commit();
              writer = undefined;
              data.output.push({ type, file: exportFileName(type, data.progress.part), count });
            }
            data.progress = after ? { typeIndex: data.progress.typeIndex, after, part: data.progress.part + (count ? 1 : 0) } : { typeIndex: data.progress.typeIndex + 1, part: 1 };
            count = 0;
            bytes = 0;
            // A type without resources moves on without a write (most of a system export's types are
            // empty): the next checkpoint records it, and a resumed job only asks for it again.
            if (wrote) await checkpoint();
          }
          if (!after) break;
          if (this.settings.pageDelayMs) await sleep(this.settings.pageDelayMs);
        }
      }
      data.currentType = undefined;
      data.completedAt = new Date().toISOString();
      await lease.end();
      await lease.save({ status: 'completed', data: data as unknown as Record<string, unknown> });
      appLogger.info('Export job completed.', { job: claimed.id, resources: data.exported, files: data.output.length });
    } catch (e) {
      await writer?.abort().catch(() => undefined);
      await lease.end();
      await this.stopped(lease.job, e);
    }
  }

  /** After a job's run ends without completing: requeue, clean up, or record the failure. */
  private async stopped(job: JobRecord, e: unknown): Promise<void> {
    try {
      if (e instanceof Interrupted) {
        // Back to the queue at its last checkpoint; a shutdown is not counted as an attempt.
        const stored = job.data as unknown as ExportJobData;
        await this.jobs.updateJob(job.id, job.version, { status: 'queued', data: { ...stored, attempts: Math.max(0, stored.attempts - 1) } as unknown as Record<string, unknown> });
        appLogger.info('Export job interrupted by shutdown; queued again.', { job: job.id });
        return;
      }
      if (e instanceof JobLost) {
        const now = await this.jobs.getJob(job.id);
        if (!now || now.status === 'cancelled') {
          await this.destination.removeJob(job.id);
          appLogger.info('Export job cancelled.', { job: job.id });
        } else {
          appLogger.warn('Export job taken over by another worker.', { job: job.id, worker: now.worker });
        }
        return;
      }
      const message = e instanceof Error ? e.message : String(e);
      appLogger.error('Export job failed.', { job: job.id, error: message });
      const stored = job.data as unknown as ExportJobData;
      await this.jobs.updateJob(job.id, job.version, { status: 'failed', data: { ...stored, error: message } as unknown as Record<string, unknown> });
    } catch (err) {
      appLogger.error('Export: could not record the end of a job.', { job: job.id, error: (err as Error).message });
    }
  }
}

/**
 * A running job's hold on its record: every write is a compare-and-set on the version last seen, made
 * one at a time (checkpoints and the heartbeat timer share the version), and a failed one means the
 * job was cancelled or taken over.
 */
class JobLease {
  private chain: Promise<unknown> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private lost = false;

  constructor(
    private readonly jobs: JobStore,
    public job: JobRecord,
    private readonly beatMs: number,
    private readonly beatData: (stored: ExportJobData) => ExportJobData,
  ) {}

  save(update: JobUpdate): Promise<void> {
    const write = this.chain.then(async () => {
      if (this.lost) throw new JobLost();
      const next = await this.jobs.updateJob(this.job.id, this.job.version, update);
      if (!next) {
        this.lost = true;
        throw new JobLost();
      }
      this.job = next;
    });
    this.chain = write.catch(() => undefined);
    return write;
  }

  /** Beats on a timer, so that a slow page or a slow destination does not make the job look dead. */
  startBeating(): void {
    this.timer = setInterval(() => {
      const stored = this.job.data as unknown as ExportJobData;
      this.save({ heartbeat: true, data: this.beatData(stored) as unknown as Record<string, unknown> }).catch(() => undefined);
    }, this.beatMs);
    this.timer.unref();
  }

  /** Throws if a write found the job changed by someone else. */
  check(): void {
    if (this.lost) throw new JobLost();
  }

  /** Stops beating and waits for a write in flight. */
  async end(): Promise<void> {
    clearInterval(this.timer);
    await this.chain;
  }
}

/**
 * Encodes pages as NDJSON into one buffer reused from page to page (destinations copy what they
 * keep): a large joined string and a new buffer per page would be garbage that the collector
 * frees late, growing the process by far more than a page.
 */
class NdjsonEncoder {
  private buf = Buffer.allocUnsafe(0);

  /** The lines, each followed by a newline; valid until the next call. */
  encode(lines: string[]): Buffer {
    let size = 0;
    for (const l of lines) size += Buffer.byteLength(l) + 1;
    if (size > this.buf.length) this.buf = Buffer.allocUnsafe(Math.max(size, this.buf.length * 2));
    let at = 0;
    for (const l of lines) {
      at += this.buf.write(l, at);
      this.buf[at++] = 0x0a;
    }
    return this.buf.subarray(0, at);
  }
}

/** Target size of one page's NDJSON. */
const PAGE_BYTES = 4 * 1024 * 1024;
