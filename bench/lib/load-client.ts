// Main-thread side of the load worker: open a driver module there, then run plans on it.
import { Worker } from 'node:worker_threads';
import type { Plan } from './driver.js';
import { CheckError } from './driver.js';
import type { WorkerReply, WorkerRequest } from './load-worker.js';
import type { PhaseStats } from './stats.js';

type Omit2<T> = T extends unknown ? Omit<T, 'id'> : never;

export interface RemoteResult { stats: PhaseStats; size?: number; /** The driver's takeReport() after the plan, if it has one. */ report?: unknown }

export class LoadWorker {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private instances = 0;

  constructor() {
    this.worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), {
      workerData: { entry: new URL('./load-worker.ts', import.meta.url).href },
    });
    this.worker.on('message', (m: WorkerReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else {
        // Keep the worker's stack: it shows which check failed.
        const e = m.name === 'CheckError' ? new CheckError(m.message) : new Error(m.message);
        if (m.stack) e.stack = `${m.stack}\n    (in the load worker)`;
        p.reject(e);
      }
    });
    this.worker.on('error', (e) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    });
  }

  private call(req: Omit2<WorkerRequest>): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...req, id });
    });
  }

  /** Creates a driver from `module` (a URL, e.g. `new URL('./crud-http.ts', import.meta.url).href`) in the worker. */
  async open(module: string, options: Record<string, unknown>): Promise<RemoteDriver> {
    const instance = `d${++this.instances}`;
    await this.call({ type: 'open', instance, module, options });
    return new RemoteDriver(instance, (r) => this.call(r));
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}

export class RemoteDriver {
  constructor(readonly instance: string, private readonly call: (r: Omit2<WorkerRequest>) => Promise<unknown>) {}

  async prepare(op: string, plan: Plan): Promise<void> {
    await this.call({ type: 'prepare', instance: this.instance, op, plan });
  }

  /** Runs a prepared plan in the worker; `size` is how many resources the driver has written. */
  measure(op: string, plan: Plan, maxSeconds?: number): Promise<RemoteResult> {
    return this.call({ type: 'measure', instance: this.instance, op, plan, maxSeconds }) as Promise<RemoteResult>;
  }

  async close(): Promise<void> {
    await this.call({ type: 'close', instance: this.instance });
  }
}
