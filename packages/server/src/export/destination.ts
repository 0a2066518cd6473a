// Where $export writes its NDJSON files. A destination stores files by (job id, file name), streams
// them back for the server's authenticated download route, and removes a job's files.
import type { Readable } from 'node:stream';

const SAFE = /^[A-Za-z0-9._-]+$/;
/**
 * Returns `name` if it is safe as one path segment (a job id or a file name) in any destination:
 * letters, digits, '.', '_' and '-' only, not starting with '.' (so no '..', no hidden files, no '/').
 */
export function safeName(name: string): string {
  if (!SAFE.test(name) || name.startsWith('.')) throw new Error(`Unsafe export file name '${name}'.`);
  return name;
}

/** One file being written: chunks are appended in order; nothing is visible until commit. */
export interface ExportFileWriter {
  write(chunk: Buffer): Promise<void>;
  /** Makes the file complete and readable (replacing any earlier file of that name). */
  commit(): Promise<void>;
  /** Drops what was written. */
  abort(): Promise<void>;
}

export interface ExportDestination {
  /** 'folder' or 'blob': for logs and the health report. */
  readonly kind: string;
  /** Checks that the destination is usable (creates the folder or container). */
  init(): Promise<void>;
  create(jobId: string, fileName: string): Promise<ExportFileWriter>;
  /** The file's content, or undefined if it does not exist. */
  read(jobId: string, fileName: string): Promise<Readable | undefined>;
  /** Removes every file of the job (cancel, or expiry); no error if there are none. */
  removeJob(jobId: string): Promise<void>;
}
