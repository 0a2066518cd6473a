// The load generator's thread: it loads driver modules (e.g. crud-http.ts), keeps their instances
// between phases and runs measured plans on request. Running the client here keeps its CPU work
// off the server's event loop (the server runs on the main thread).
import { parentPort } from 'node:worker_threads';
import type { Driver, DriverFactory, Plan } from './driver.js';
import { measure } from './runner.js';

export type WorkerRequest =
  | { id: number; type: 'open'; instance: string; module: string; options: Record<string, unknown> }
  | { id: number; type: 'prepare'; instance: string; op: string; plan: Plan }
  | { id: number; type: 'measure'; instance: string; op: string; plan: Plan; maxSeconds?: number }
  | { id: number; type: 'close'; instance: string };

export type WorkerReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; name: string; message: string; stack?: string };

const drivers = new Map<string, Driver>();

async function handle(msg: WorkerRequest): Promise<unknown> {
  switch (msg.type) {
    case 'open': {
      const mod = (await import(msg.module)) as { createDriver: DriverFactory };
      drivers.set(msg.instance, await mod.createDriver(msg.options));
      return null;
    }
    case 'prepare': {
      await get(msg.instance).prepare?.(msg.op, msg.plan);
      return null;
    }
    case 'measure': {
      const d = get(msg.instance);
      const stats = await measure(d, msg.op, msg.plan, { maxSeconds: msg.maxSeconds });
      return { stats, size: d.size?.(), report: d.takeReport?.() };
    }
    case 'close': {
      await drivers.get(msg.instance)?.close?.();
      drivers.delete(msg.instance);
      return null;
    }
  }
}

function get(instance: string): Driver {
  const d = drivers.get(instance);
  if (!d) throw new Error(`No driver instance ${instance} in the load worker.`);
  return d;
}

parentPort!.on('message', (msg: WorkerRequest) => {
  handle(msg).then(
    (result) => parentPort!.postMessage({ id: msg.id, ok: true, result } satisfies WorkerReply),
    (e: Error) => parentPort!.postMessage({ id: msg.id, ok: false, name: e?.name ?? 'Error', message: e?.message ?? String(e), stack: e?.stack } satisfies WorkerReply),
  );
});
