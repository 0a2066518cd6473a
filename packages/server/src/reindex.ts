// Asynchronous $reindex (`Prefer: respond-async`): the jobs core creates are run here, page by page,
// by whichever server of the database claims them. Each page's position is saved with a
// compare-and-set write and a heartbeat, so a job resumes where it stopped after a restart, a job
// whose server died is taken over, and a cancelled (deleted) one stops at its next page. Its status
// URL answers 202 with the progress while it runs, then 200 with the result, for its owner only.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { AsyncResource } from 'node:async_hooks';
import type { Express, Request } from 'express';
import { FhirError, notFound, reindexPage, reindexResult, REINDEX_JOB, REINDEX_STATUS_PATH, type Authorizer, type FhirDefinitions, type FhirEngine, type JobRecord, type ReindexJobData } from '@hestia/core';
import { sendError, sendResource } from './app.js';
import { appLogger } from './observability/logger.js';


export class ReindexRunner {
  readonly worker = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private timer?: NodeJS.Timeout;
  private current?: Promise<void>;
  private closed = false;
  /** Ticks run outside any request's context (a kick-off's correlation id must not stick to the job). */
  private readonly tickDetached = AsyncResource.bind(() => this.tick());

  /** `staleMs`: a running job not heard of for this long is taken over (its server died). */
  constructor(private readonly engine: FhirEngine, private readonly pollMs: number, private readonly staleMs = 60_000) {}

  start(): void {
    this.schedule(0);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.current;
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = setTimeout(this.tickDetached, ms);
    this.timer.unref();
  }

  private tick(): void {
    this.current = (async () => {
      let found = true;
      try {
        const job = await this.engine.adapter.jobs.claimJob(REINDEX_JOB, this.worker, new Date(Date.now() - this.staleMs).toISOString());
        found = !!job;
        if (job) await this.run(job);
      } catch (e) {
        appLogger.error(`Reindex jobs could not be run: ${(e as Error).message}`);
      }
      // (after a job, look for the next at once)
      this.schedule(found ? 0 : this.pollMs);
    })();
  }

  private async run(claimed: JobRecord): Promise<void> {
    const jobs = this.engine.adapter.jobs;
    let job: JobRecord | undefined = claimed;
    const data = job.data as unknown as ReindexJobData;
    appLogger.info('Reindex job started.', { job: job.id, types: data.plan.types.length });
    let progress = data.progress;
    try {
      while (job && !this.closed) {
        if (!progress.done) progress = await reindexPage(this.engine, this.engine.adapter, data.plan, progress);
        job = await jobs.updateJob(job.id, job.version, { data: { ...job.data, progress }, heartbeat: true, ...(progress.done ? { status: 'completed' as const } : {}) });
        if (progress.done) break;
      }
      // (undefined: cancelled or taken over; closed: another server, or this one restarted, goes on from the last page)
      if (job && progress.done) appLogger.info('Reindex job completed.', { job: job.id, resources: progress.count });
    } catch (e) {
      appLogger.error('Reindex job failed.', { job: claimed.id, error: (e as Error).message });
      if (job) await jobs.updateJob(job.id, job.version, { status: 'failed', data: { ...job.data, error: (e as Error).message } });
    }
  }
}

/** GET (status) and DELETE (cancel) of a reindex job, authorized as operations of the `reindex` action; another caller's job is 404. */
export function reindexStatusRoutes(engine: FhirEngine, defs: FhirDefinitions, deps: { authorizerFor: (req: Request) => Authorizer; callerOf: (req: Request) => string }): (app: Express) => void {
  const ownJob = async (req: Request, operation: string) => {
    deps.authorizerFor(req)({ interaction: 'operation', operation });
    const id = String(req.params.id);
    const job = await engine.adapter.jobs.getJob(id);
    if (!job || job.kind !== REINDEX_JOB || job.owner !== deps.callerOf(req)) throw notFound(`There is no reindex job ${id}.`);
    return job;
  };
  return (app) => {
    app.get(`/${REINDEX_STATUS_PATH}/:id`, async (req, res) => {
      try {
        const job = await ownJob(req, 'reindex-status');
        const data = job.data as unknown as ReindexJobData;
        if (job.status === 'queued' || job.status === 'running') {
          const type = data.plan.types[data.progress.typeIndex];
          res.status(202).set({ 'X-Progress': job.status === 'queued' ? 'queued' : `${data.progress.count} resources reindexed${type ? `, reading ${type}` : ''}`, 'Retry-After': '2' }).end();
          return;
        }
        if (job.status === 'failed') throw new FhirError(500, 'exception', `The reindex failed: ${data.error ?? 'unknown error'}.`);
        sendResource(req, res, defs, reindexResult(data.plan, data.progress.count));
      } catch (e) {
        sendError(res, e);
      }
    });
    app.delete(`/${REINDEX_STATUS_PATH}/:id`, async (req, res) => {
      try {
        const job = await ownJob(req, 'reindex-cancel');
        // (its runner finds the job gone at its next page and stops)
        await engine.adapter.jobs.deleteJob(job.id);
        res.status(202).end();
      } catch (e) {
        sendError(res, e);
      }
    });
  };
}
