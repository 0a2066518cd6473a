// Printing results as a table and writing them as JSON.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ComparisonResult, MeteredResult, Result, Side, ValuesResult } from './context.js';
import { formatProfile } from './profile.js';

const f = (x: number | undefined, d = 2) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));
const pct = (x: number | undefined) => (x === undefined ? '-' : `${Math.round(x * 100)} %`);
const pad = (s: string, n: number) => s.padStart(n);

/** "create c8: 1234 ops/s vs raw 4567 ops/s = 27 %" */
export function ratioLine(r: ComparisonResult): string {
  const s = r.subject.stats;
  const items = (x: Side) => (r.perOp ? `, ${f(x.stats.opsPerSec * r.perOp.items, 0)} ${r.perOp.unit}/s` : '');
  const head = `${r.case}: ${f(s.opsPerSec, s.opsPerSec < 10 ? 2 : 0)} ops/s${items(r.subject)} (p50 ${f(s.p50)} ms, p99 ${f(s.p99)} ms)`;
  if (!r.baseline) return head;
  const b = r.baseline.stats;
  return `${head} vs ${r.baseline.label} ${f(b.opsPerSec, b.opsPerSec < 10 ? 2 : 0)} ops/s${items(r.baseline)} (p50 ${f(b.p50)} ms, p99 ${f(b.p99)} ms) = ${pct(r.ratio)}`;
}

export function valuesLine(r: ValuesResult): string {
  return `${r.case}: ${Object.entries(r.values).map(([k, v]) => `${k} ${v}${r.units?.[k] ? ` ${r.units[k]}` : ''}`).join(', ')}`;
}

/** "cosmos/read/c1: 420 ops/s (p50 2.10 ms, p99 5.00 ms), 1 RU/op (min 1, max 1)" */
export function meteredLine(r: MeteredResult): string {
  const s = r.subject.stats, c = r.charge;
  const items = r.perOp ? `, ${f(s.opsPerSec * r.perOp.items, 0)} ${r.perOp.unit}/s` : '';
  const per = r.perOp ? `, ${f(c.mean / r.perOp.items)} ${c.unit}/${r.perOp.unit.replace(/s$/, '')}` : '';
  const calls = r.calls === undefined ? '' : `, ${f(r.calls)} database requests/op`;
  return `${r.case}: ${f(s.opsPerSec, s.opsPerSec < 10 ? 2 : 0)} ops/s${items} (p50 ${f(s.p50)} ms, p99 ${f(s.p99)} ms), ${f(c.mean)} ${c.unit}/op (min ${f(c.min)}, max ${f(c.max)})${per}${calls}`;
}

/** Metered phases (no baseline): throughput, latency, thread/machine busy, and the charge per operation. */
export function meteredTable(results: MeteredResult[]): string {
  if (!results.length) return '';
  const unit = results[0].charge.unit;
  const head = ['case', 'ops/s', 'ops', 'p50 ms', 'p99 ms', 'srv ELU', 'srv ms/op', 'cli ELU', 'CPU', '│', `${unit}/op`, 'min', 'max', 'db req/op'];
  const rows = results.map((r) => [r.case, ...sideCells(r.subject, true), '│', f(r.charge.mean), f(r.charge.min), f(r.charge.max), f(r.calls)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : pad(c, widths[i]))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

function sideCells(s: Side | undefined, server: boolean): string[] {
  if (!s) return Array.from({ length: server ? 8 : 6 }, () => '-');
  const cells = [f(s.stats.opsPerSec, s.stats.opsPerSec < 10 ? 2 : 0), String(s.stats.ops), f(s.stats.p50), f(s.stats.p99)];
  if (server) cells.push(pct(s.serverElu), f(s.serverCpuMsPerOp, 3));
  cells.push(pct(s.stats.elu), pct(s.machineCpu));
  return cells;
}

export function comparisonTable(results: ComparisonResult[]): string {
  if (!results.length) return '';
  const head = ['case', 'ops/s', 'ops', 'p50 ms', 'p99 ms', 'srv ELU', 'srv ms/op', 'cli ELU', 'CPU', '│', 'raw ops/s', 'ops', 'p50 ms', 'p99 ms', 'ELU', 'CPU', '│', 'server/raw'];
  const rows = results.map((r) => [r.case, ...sideCells(r.subject, true), '│', ...sideCells(r.baseline, false), '│', pct(r.ratio)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : pad(c, widths[i]))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

export function finalReport(results: Result[]): string {
  const cmp = results.filter((r): r is ComparisonResult => r.kind === 'comparison');
  const vals = results.filter((r): r is ValuesResult => r.kind === 'values');
  const metered = results.filter((r): r is MeteredResult => r.kind === 'metered');
  const out: string[] = [];
  if (cmp.length) {
    out.push('Server (HTTP, every response checked) vs raw driver baseline (same rows, no HTTP/engine/knex). Latencies in ms.');
    out.push('srv ELU = server (main) thread busy; srv ms/op = CPU time the server thread ran per operation; cli ELU = load-generator thread busy; ELU = raw driver thread busy; CPU = whole machine, all cores.', '');
    out.push(comparisonTable(cmp), '');
    for (const r of cmp) out.push(ratioLine(r));
  }
  if (metered.length) {
    if (cmp.length) out.push('');
    out.push('Server (HTTP, every response checked) on a metered storage, no raw baseline. Latencies in ms. RU/op = request units per operation,');
    out.push('the sum of x-ms-request-charge over its responses (the Cosmos DB emulator charges 1 per database call, so there it counts calls);');
    out.push('db req/op = HTTP requests the database received per operation, where countable (on Cosmos DB, the SDK\'s query-plan requests are not in the charge).', '');
    out.push(meteredTable(metered), '');
    for (const r of metered) out.push(meteredLine(r));
  }
  for (const r of vals) out.push('', valuesLine(r));
  for (const r of [...cmp, ...metered]) if (r.profile) out.push('', `CPU profile of the server thread, ${r.case}:`, formatProfile(r.profile));
  return out.join('\n');
}

export async function writeJson(path: string, data: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(data, null, 2)}\n`);
}
