// A small text snapshot for generated SQL (node:test's own snapshots need Node 22). The file is
// written when missing (outside CI) or with UPDATE_SNAPSHOTS=1; otherwise it must match exactly.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface SnapshotEntry { name: string; sql: string; bindings: unknown[] }

/** Readable form: a header per entry, the SQL as sent, and its bindings as json. */
export function formatSnapshot(entries: SnapshotEntry[]): string {
  return entries.map((e) => `-- ==== ${e.name}\n${e.sql}\n-- bindings: ${JSON.stringify(e.bindings)}\n`).join('\n');
}

export function matchSnapshot(file: string, entries: SnapshotEntry[]): void {
  const text = formatSnapshot(entries);
  if (process.env.UPDATE_SNAPSHOTS === '1' || (!existsSync(file) && !process.env.CI)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    return;
  }
  assert.ok(existsSync(file), `snapshot ${file} is missing (run with UPDATE_SNAPSHOTS=1 to write it)`);
  const expected = readFileSync(file, 'utf8');
  if (text === expected) return;
  // Name the first entry that differs, then show the whole difference.
  const old = new Map(expected.split(/\n(?=-- ==== )/).map((block) => [block.split('\n', 1)[0], block.trimEnd()]));
  const changed = text.split(/\n(?=-- ==== )/).find((block) => old.get(block.split('\n', 1)[0]) !== block.trimEnd());
  assert.equal(text, expected, `generated SQL differs from ${file}${changed ? ` first at "${changed.split('\n', 1)[0].slice(8)}"` : ''} (UPDATE_SNAPSHOTS=1 rewrites it after review)`);
}
