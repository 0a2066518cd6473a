// The folder destination: <root>/<job id>/<file>. A file is written under a temporary name and
// renamed on commit, so a reader never sees half a file and a resumed job simply rewrites it.
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { safeName, type ExportDestination, type ExportFileWriter } from './destination.js';

export class FolderDestination implements ExportDestination {
  readonly kind = 'folder';
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Nothing to prepare: a job's folder (and the root) are made when its first file is written. */
  async init(): Promise<void> {}

  async create(jobId: string, fileName: string): Promise<ExportFileWriter> {
    const dir = join(this.root, safeName(jobId));
    await mkdir(dir, { recursive: true });
    const final = join(dir, safeName(fileName));
    const temp = `${final}.partial`;
    const out: WriteStream = createWriteStream(temp);
    let failure: Error | undefined;
    out.on('error', (e) => (failure = e));
    const end = () => new Promise<void>((ok, fail) => {
      if (out.closed) return failure ? fail(failure) : ok();
      out.once('close', () => (failure ? fail(failure) : ok()));
      out.end();
    });
    return {
      write: (chunk) => new Promise((ok, fail) => {
        if (failure) return fail(failure);
        // The callback fires once the chunk is handed to the file: one chunk in flight at a time.
        out.write(chunk, (e) => (e ? fail(e) : ok()));
      }),
      commit: async () => {
        await end();
        await rename(temp, final);
      },
      abort: async () => {
        await end().catch(() => undefined);
        await rm(temp, { force: true });
      },
    };
  }

  async read(jobId: string, fileName: string): Promise<Readable | undefined> {
    const file = join(this.root, safeName(jobId), safeName(fileName));
    try {
      if (!(await stat(file)).isFile()) return undefined;
    } catch {
      return undefined;
    }
    return createReadStream(file);
  }

  async removeJob(jobId: string): Promise<void> {
    // (retries: a worker may still be adding a file while the folder is removed, ENOTEMPTY)
    await rm(join(this.root, safeName(jobId)), { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
  }
}
