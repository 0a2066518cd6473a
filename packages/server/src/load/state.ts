// Resumable loads: a small JSON file records, per destination, the files that loaded without a
// failure (with their size and modification time). A file already recorded, and unchanged, is skipped.
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { LoadFile } from './files.js';

interface FileRecord { size: number; mtimeMs: number; resources: number; loadedAt: string }
interface StateDoc { version: 1; targets: Record<string, { files: Record<string, FileRecord> }> }

export class LoadState {
  private saving: Promise<void> = Promise.resolve();

  private constructor(private readonly path: string | undefined, private readonly doc: StateDoc, private readonly target: string) {}

  /** Reads the state at `path` (none yet is fine); without a path nothing is remembered. */
  static async open(path: string | undefined, target: string): Promise<LoadState> {
    let doc: StateDoc = { version: 1, targets: {} };
    if (path) {
      try {
        const parsed = JSON.parse(await readFile(path, 'utf8')) as StateDoc;
        if (parsed?.version === 1 && parsed.targets && typeof parsed.targets === 'object') doc = parsed;
        else throw new Error('unknown format');
      } catch (e) {
        if ((e as { code?: string }).code !== 'ENOENT') throw new Error(`The state file ${path} cannot be used (${(e as Error).message}); remove it or pass another --state.`);
      }
    }
    doc.targets[target] ??= { files: {} };
    return new LoadState(path, doc, target);
  }

  private get files(): Record<string, FileRecord> {
    return this.doc.targets[this.target].files;
  }

  isLoaded(f: LoadFile): boolean {
    const r = this.files[f.path];
    return !!r && r.size === f.size && r.mtimeMs === f.mtimeMs;
  }

  /** Records a file as loaded and writes the state (atomically; writes never overlap). */
  markLoaded(f: LoadFile, resources: number): Promise<void> {
    this.files[f.path] = { size: f.size, mtimeMs: f.mtimeMs, resources, loadedAt: new Date().toISOString() };
    return this.save();
  }

  save(): Promise<void> {
    const path = this.path;
    if (!path) return Promise.resolve();
    this.saving = this.saving.then(async () => {
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(this.doc, null, 1));
      await rename(tmp, path);
    });
    return this.saving;
  }
}
