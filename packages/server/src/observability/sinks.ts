// Health of the audit sinks: every failure is counted, logged when a sink starts failing, and
// reported by the health check until the sink writes successfully again.

export interface SinkStatus {
  status: 'ok' | 'failing';
  failures: number;
  lastFailure?: string;
}

export interface SinkMonitorOptions {
  /** Called for every failure (metrics). */
  onFailure?: (sink: string) => void;
  /** Called when a sink goes from ok to failing, and back (application log). */
  onChange?: (sink: string, failing: boolean, error?: unknown) => void;
}

export class SinkMonitor {
  private readonly sinks = new Map<string, { failures: number; failing: boolean; lastFailure?: string }>();

  constructor(private readonly opts: SinkMonitorOptions = {}) {}

  register(sink: string): void {
    if (!this.sinks.has(sink)) this.sinks.set(sink, { failures: 0, failing: false });
  }

  failed(sink: string, error: unknown): void {
    this.register(sink);
    const s = this.sinks.get(sink)!;
    s.failures++;
    s.lastFailure = new Date().toISOString();
    this.opts.onFailure?.(sink);
    if (!s.failing) {
      s.failing = true;
      this.opts.onChange?.(sink, true, error);
    }
  }

  succeeded(sink: string): void {
    const s = this.sinks.get(sink);
    if (s?.failing) {
      s.failing = false;
      this.opts.onChange?.(sink, false);
    }
  }

  get failing(): boolean {
    return [...this.sinks.values()].some((s) => s.failing);
  }

  snapshot(): Record<string, SinkStatus> {
    const out: Record<string, SinkStatus> = {};
    for (const [name, s] of this.sinks) {
      out[name] = { status: s.failing ? 'failing' : 'ok', failures: s.failures, ...(s.lastFailure ? { lastFailure: s.lastFailure } : {}) };
    }
    return out;
  }
}
