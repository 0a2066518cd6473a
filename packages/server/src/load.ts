// hestia-load: bulk-loads FHIR data — JSON resources, batch/transaction bundles and NDJSON files —
// into the configured database in this process (default) or into a running server (--url).
// `npm run load -- [options] <files or folders>`; run with --help for the options.
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig, type HestiaConfig } from './config.js';
import { findFiles, loadPhases, type LoadFile } from './load/files.js';
import { fileItems, type LoadItem } from './load/requests.js';
import { readResponse, type LoadFailure } from './load/outcomes.js';
import { duration, Progress, type ProgressStream } from './load/progress.js';
import { LoadState } from './load/state.js';
import { httpTarget, inProcessTarget, type LoadResponse, type LoadTarget } from './load/targets.js';

export const DEFAULT_STATE_FILE = '.hestia-load-state.json';

export interface LoadOptions {
  /** Files and folders (folders are searched recursively for .json and .ndjson files). */
  paths: string[];
  /** Base URL of a running FHIR server; without it the configured database is opened in this process. */
  url?: string;
  /** Extra HTTP headers (e.g. Authorization) for --url. */
  headers?: Record<string, string>;
  /** Configuration of the in-process mode (default: from the environment, as the server reads it). */
  config?: HestiaConfig;
  /** Requests in flight at once (default 4; 1 on the embedded database). */
  concurrency?: number;
  /** Resources per batch bundle for NDJSON files, and the size large batch bundles are split into (default 500). */
  batchSize?: number;
  /** The resume state file; null keeps no state. Default: .hestia-load-state.json in the working directory. */
  statePath?: string | null;
  progress?: ProgressStream;
  progressIntervalMs?: number;
}

export interface LoadSummary {
  /** Files found, files loaded now, files skipped as already loaded, files with failures. */
  files: number;
  loaded: number;
  skipped: number;
  failed: number;
  /** Resources stored by this run. */
  resources: number;
  failures: LoadFailure[];
  seconds: number;
}

/** What the loader knows about a file while its requests are in flight. */
interface FileTrack { pending: number; produced: boolean; resources: number; failures: LoadFailure[] }

export async function runLoad(opts: LoadOptions): Promise<LoadSummary> {
  const files = await findFiles(opts.paths);
  const target = opts.url ? httpTarget(opts.url, opts.headers) : await inProcessTarget(opts.config ?? loadConfig());
  const started = Date.now();
  try {
    const state = await LoadState.open(opts.statePath === null ? undefined : opts.statePath ?? DEFAULT_STATE_FILE, target.key);
    await state.save(); // fails now, not after the first file, when the state file cannot be written
    const todo = files.filter((f) => !state.isLoaded(f));
    const summary: LoadSummary = { files: files.length, loaded: 0, skipped: files.length - todo.length, failed: 0, resources: 0, failures: [], seconds: 0 };
    const progress = new Progress(opts.progress, todo.length, todo.reduce((n, f) => n + f.size, 0), opts.progressIntervalMs);
    const run = { target, state, progress, summary, batchSize: opts.batchSize ?? 500, concurrency: Math.max(1, Math.min(opts.concurrency ?? 4, target.maxConcurrency)) };
    for (const phase of loadPhases(todo)) await runPhase(phase, run);
    progress.finish();
    summary.seconds = (Date.now() - started) / 1000;
    return summary;
  } finally {
    await target.close();
  }
}

interface Run { target: LoadTarget; state: LoadState; progress: Progress; summary: LoadSummary; batchSize: number; concurrency: number }

/** Loads the files of one phase with up to `concurrency` requests in flight (across files). */
async function runPhase(files: LoadFile[], run: Run): Promise<void> {
  const finish = async (file: LoadFile, t: FileTrack) => {
    run.summary.resources += t.resources;
    run.summary.failures.push(...t.failures);
    if (t.failures.length) run.summary.failed++;
    else {
      run.summary.loaded++;
      await run.state.markLoaded(file, t.resources);
    }
    run.progress.update({ files: 1 });
  };
  async function* work(): AsyncGenerator<{ file: LoadFile; t: FileTrack; item: LoadItem }> {
    for (const file of files) {
      const t: FileTrack = { pending: 0, produced: false, resources: 0, failures: [] };
      try {
        for await (const item of fileItems(file, run.batchSize)) {
          t.pending++;
          yield { file, t, item };
        }
      } catch (e) {
        t.failures.push({ file: file.path, where: 'file', status: 0, diagnostics: `The file could not be read: ${(e as Error).message}` });
      }
      t.produced = true;
      if (t.pending === 0) await finish(file, t);
    }
  }
  const queue = work();
  const worker = async () => {
    for (let next = await queue.next(); !next.done; next = await queue.next()) {
      const { file, t, item } = next.value;
      if (item.kind === 'problem') {
        t.failures.push({ file: file.path, where: item.where, status: 0, diagnostics: item.diagnostics });
        run.progress.update({ bytes: item.bytes, failures: 1 });
      } else {
        let res: LoadResponse;
        try {
          res = await run.target.send(item);
        } catch (e) {
          res = { status: 0, body: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: (e as Error).message }] } };
        }
        const { loaded, failures } = readResponse(file.path, item, res);
        t.resources += loaded;
        t.failures.push(...failures);
        run.progress.update({ resources: loaded, bytes: item.bytes, failures: failures.length });
      }
      t.pending--;
      if (t.produced && t.pending === 0) await finish(file, t);
    }
  };
  await Promise.all(Array.from({ length: run.concurrency }, worker));
}

// ---- command line ---------------------------------------------------------------------------------

const USAGE = `Usage: npm run load -- [options] <file or folder>...

Loads FHIR JSON resources (PUT when they have an id, else POST), batch and transaction bundles
(POSTed to the base; large batches are split) and NDJSON files (one resource per line, sent in batch
bundles). Folders are searched recursively and loaded one after another; in each, Synthea's provider
bundles (hospitalInformation*, practitionerInformation*) go first.

Options:
  --url URL          load into a running FHIR server; default: straight into the database that the
                     server's configuration (HESTIA_* variables, HESTIA_CONFIG) names
  --header "K: V"    an extra HTTP header for --url (repeatable), e.g. "Authorization: Bearer …"
  --concurrency N    requests in flight at once (default 4; 1 on the embedded database)
  --batch-size N     resources per batch bundle (default 500)
  --state FILE       resume state (default ./${DEFAULT_STATE_FILE}): files already loaded are skipped
  --no-state         keep no state: load everything, remember nothing
  --quiet            no progress line
  -h, --help         this text

Exit status: 0 when everything loaded, 1 when anything failed, 2 for bad arguments.`;

export interface CliStreams { stderr: ProgressStream }

/** Runs the command line; resolves to the exit status. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env, io: CliStreams = { stderr: process.stderr }): Promise<number> {
  const err = (s: string) => io.stderr.write(`${s}\n`);
  let values: Record<string, string | boolean | string[] | undefined>, positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string' }, header: { type: 'string', multiple: true }, concurrency: { type: 'string' }, 'batch-size': { type: 'string' },
        state: { type: 'string' }, 'no-state': { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    err(`hestia-load: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    err(USAGE);
    return 0;
  }
  const positive = (name: string): number | undefined => {
    const v = values[name];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, not '${String(v)}'.`);
    return n;
  };
  // npm runs scripts in the project root; paths on the command line are relative to where it was called.
  const cwd = env.INIT_CWD ?? process.cwd();
  let opts: LoadOptions;
  try {
    if (!positionals.length) throw new Error('Name at least one file or folder to load.');
    const headers: Record<string, string> = {};
    for (const h of (values.header as string[] | undefined) ?? []) {
      const i = h.indexOf(':');
      if (i < 1) throw new Error(`--header must look like "Name: value", not '${h}'.`);
      headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
    }
    opts = {
      paths: positionals.map((p) => resolve(cwd, p)),
      url: values.url as string | undefined,
      headers,
      concurrency: positive('concurrency'),
      batchSize: positive('batch-size'),
      statePath: values['no-state'] ? null : resolve(cwd, (values.state as string | undefined) ?? DEFAULT_STATE_FILE),
      progress: values.quiet ? undefined : io.stderr,
      config: values.url ? undefined : loadConfig(env),
    };
  } catch (e) {
    err(`hestia-load: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  let summary: LoadSummary;
  try {
    summary = await runLoad(opts);
  } catch (e) {
    err(`hestia-load: ${(e as Error).message}`);
    return 1;
  }
  printSummary(summary, err);
  return summary.failures.length ? 1 : 0;
}

const MAX_LISTED = 100;

function printSummary(s: LoadSummary, err: (s: string) => void): void {
  const rate = s.seconds > 0 ? Math.round(s.resources / s.seconds) : s.resources;
  err(`Loaded ${s.resources.toLocaleString('en-US')} resources from ${s.loaded} of ${s.files} files in ${duration(s.seconds)} (${rate.toLocaleString('en-US')}/s); ${s.skipped} already loaded, ${s.failed} with failures.`);
  if (!s.failures.length) return;
  err(`Failures (${s.failures.length}):`);
  for (const f of s.failures.slice(0, MAX_LISTED)) err(`  ${f.file} [${f.where}]: ${f.status || 'no response'} ${f.diagnostics}`);
  if (s.failures.length > MAX_LISTED) err(`  … and ${s.failures.length - MAX_LISTED} more.`);
}

const invokedDirectly = (() => {
  try {
    return !!process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
})();
if (invokedDirectly) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
