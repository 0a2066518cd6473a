// Memory of this process during a phase: RSS and V8 heap used, sampled every ~50 ms on this thread
// (where the server runs; a busy event loop delays samples by at most one task, e.g. one page).
// Figures are growth over the values just before the phase, after a full GC when one can be forced.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gcFn: (() => void) | undefined | null = null;

/** A full garbage collection, if V8 lets us force one (it does once --expose-gc is set at run time). */
export function collectGarbage(): void {
  if (gcFn === null) {
    try {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    } catch {
      gcFn = undefined;
    }
  }
  gcFn?.();
}

export interface MemoryGrowth {
  /** Peak minus start, bytes. */
  rss: number;
  heapUsed: number;
  /** Values at the start, bytes. */
  rssStart: number;
  heapStart: number;
  /** Heap used after a full GC at the end, minus the start: what the phase left behind. */
  heapRetained: number;
  samples: number;
}

export class MemorySampler {
  private readonly rss0: number;
  private readonly heap0: number;
  private peakRss: number;
  private peakHeap: number;
  private samples = 0;
  private readonly timer: NodeJS.Timeout;

  /** Collects garbage, takes the starting values, and samples from now on. */
  constructor(intervalMs = 50) {
    collectGarbage();
    const m = process.memoryUsage();
    this.rss0 = this.peakRss = m.rss;
    this.heap0 = this.peakHeap = m.heapUsed;
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    const m = process.memoryUsage();
    this.samples++;
    if (m.rss > this.peakRss) this.peakRss = m.rss;
    if (m.heapUsed > this.peakHeap) this.peakHeap = m.heapUsed;
  }

  stop(): MemoryGrowth {
    this.sample();
    clearInterval(this.timer);
    collectGarbage();
    const heapRetained = process.memoryUsage().heapUsed - this.heap0;
    return { rss: this.peakRss - this.rss0, heapUsed: this.peakHeap - this.heap0, rssStart: this.rss0, heapStart: this.heap0, heapRetained, samples: this.samples };
  }
}
