// The audit file sink: appends each record as a JSON line. Unlike winston's File transport it reports
// the outcome of every write (winston's reports "logged" before the write, and some failures never),
// and after a failure it reopens the file on the next record.
import { createWriteStream, type WriteStream } from 'node:fs';
import TransportStream from 'winston-transport';
import type { SinkMonitor } from './sinks.js';

const MESSAGE = Symbol.for('message');
export const FILE_SINK = 'file';

export class AuditFileTransport extends TransportStream {
  name = FILE_SINK;
  private stream?: WriteStream;

  constructor(private readonly path: string, private readonly monitor: SinkMonitor) {
    super({ level: 'info' });
    monitor.register(FILE_SINK);
  }

  override log(info: Record<string | symbol, unknown>, callback: () => void): void {
    const stream = (this.stream ??= this.open());
    stream.write(`${String(info[MESSAGE])}\n`, (err) => {
      if (err) {
        if (this.stream === stream) this.stream = undefined;
        this.monitor.failed(FILE_SINK, err);
      } else {
        this.monitor.succeeded(FILE_SINK);
      }
    });
    callback();
  }

  override close(): void {
    void this.drain();
  }

  /** Ends the file, resolving once every pending line is on disk (or has failed). */
  drain(): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    if (!stream || stream.closed) return Promise.resolve();
    return new Promise((resolve) => {
      stream.once('close', () => resolve());
      stream.end();
    });
  }

  private open(): WriteStream {
    const stream = createWriteStream(this.path, { flags: 'a' });
    // The error also reaches the pending writes' callbacks, which count it.
    stream.on('error', () => {
      if (this.stream === stream) this.stream = undefined;
    });
    return stream;
  }
}
