// The progress line on stderr: resources loaded, resources per second, files, share of bytes done
// and the time left. Rewritten in place on a terminal; a plain line every few seconds otherwise.
export interface ProgressStream { write(s: string): unknown; isTTY?: boolean }

export class Progress {
  private readonly started = Date.now();
  private resources = 0;
  private bytes = 0;
  private files = 0;
  private failures = 0;
  private last = 0;
  private drawn = false;

  constructor(private readonly out: ProgressStream | undefined, private readonly totalFiles: number, private readonly totalBytes: number,
    private readonly intervalMs = out?.isTTY ? 200 : 5000) {}

  update(d: { resources?: number; bytes?: number; files?: number; failures?: number }): void {
    this.resources += d.resources ?? 0;
    this.bytes += d.bytes ?? 0;
    this.files += d.files ?? 0;
    this.failures += d.failures ?? 0;
    if (Date.now() - this.last >= this.intervalMs) this.draw();
  }

  /** The final line (always printed). */
  finish(): void {
    this.draw(true);
  }

  line(): string {
    const secs = Math.max((Date.now() - this.started) / 1000, 0.001);
    const rate = this.resources / secs;
    const share = this.totalBytes ? Math.min(this.bytes / this.totalBytes, 1) : 1;
    const eta = share > 0 && share < 1 ? ` · ETA ${duration((secs * (1 - share)) / share)}` : '';
    return `loaded ${this.resources.toLocaleString('en-US')} resources · ${Math.round(rate).toLocaleString('en-US')}/s · ${this.files}/${this.totalFiles} files · ${Math.floor(share * 100)}%${eta} · ${this.failures} failed · ${duration(secs)}`;
  }

  private draw(final = false): void {
    this.last = Date.now();
    if (!this.out) return;
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[2K${this.line()}${final ? '\n' : ''}`);
      this.drawn = !final;
    } else {
      this.out.write(`${this.line()}\n`);
    }
  }

  /** Ends an in-place line before other output. */
  breakLine(): void {
    if (this.drawn) this.out?.write('\n');
    this.drawn = false;
  }
}

export function duration(secs: number): string {
  const s = Math.round(secs);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
