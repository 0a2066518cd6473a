// Which files a load takes, and in which order: folder by folder, and in each folder the provider
// bundles (Synthea's hospitalInformation* / practitionerInformation*) before everything else,
// because patient bundles refer to their resources by conditional references.
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

export interface LoadFile {
  path: string;
  size: number;
  mtimeMs: number;
  kind: 'json' | 'ndjson';
}

const PROVIDER_FILE = /^(hospitalInformation|practitionerInformation)/;

function kindOf(name: string): LoadFile['kind'] | undefined {
  if (name.startsWith('.')) return undefined;
  if (/\.ndjson$/i.test(name)) return 'ndjson';
  if (/\.json$/i.test(name)) return 'json';
  return undefined;
}

/** The .json and .ndjson files under the given files and folders (recursively; hidden files skipped). */
export async function findFiles(paths: string[]): Promise<LoadFile[]> {
  const out = new Map<string, LoadFile>();
  const visit = async (p: string, explicit: boolean): Promise<void> => {
    const st = await stat(p);
    if (st.isDirectory()) {
      for (const name of (await readdir(p)).sort()) {
        if (!name.startsWith('.')) await visit(join(p, name), false);
      }
      return;
    }
    const kind = kindOf(basename(p)) ?? (explicit ? 'json' : undefined);
    if (kind && st.isFile()) out.set(p, { path: p, size: st.size, mtimeMs: st.mtimeMs, kind });
  };
  for (const p of paths) await visit(resolve(p), true);
  return [...out.values()];
}

/**
 * Groups files into phases that run one after another: per folder (in name order), first its
 * provider bundles, then the rest. Files inside a phase may load concurrently.
 */
export function loadPhases(files: LoadFile[]): LoadFile[][] {
  const byFolder = new Map<string, LoadFile[]>();
  for (const f of files) {
    const d = dirname(f.path);
    if (!byFolder.has(d)) byFolder.set(d, []);
    byFolder.get(d)!.push(f);
  }
  const phases: LoadFile[][] = [];
  for (const folder of [...byFolder.keys()].sort()) {
    const inFolder = byFolder.get(folder)!.sort((a, b) => a.path.localeCompare(b.path));
    const providers = inFolder.filter((f) => PROVIDER_FILE.test(basename(f.path)));
    const rest = inFolder.filter((f) => !PROVIDER_FILE.test(basename(f.path)));
    for (const phase of [providers, rest]) if (phase.length) phases.push(phase);
  }
  return phases;
}
