// CPU profiles of the main thread (where the server runs) through the inspector, plus a summary:
// the functions with the most self time and the packages they belong to.
import { Session } from 'node:inspector/promises';

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
export interface CpuProfile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

/** Starts sampling this thread; the returned function stops and returns the profile. */
export async function startCpuProfile(intervalUs = 500): Promise<() => Promise<CpuProfile>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
    session.disconnect();
    return profile;
  };
}

export interface SelfTime { name: string; where: string; ms: number; share: number }
export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  /** Functions with the most self time. */
  top: SelfTime[];
  /** Self time by package. */
  areas: SelfTime[];
  /** Self time by package, native and node-internal frames (socket writes, GC-free builtins) charged to the package that called them. */
  callers: SelfTime[];
  /** Hestia functions with the most inclusive time (their callees included). */
  hestia: SelfTime[];
}

/** Self and inclusive times, as shares of the non-idle time of the profile. */
export function summarizeProfile(p: CpuProfile, topN = 10): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stack = (id: number) => {
    const out: ProfileNode[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) out.push(byId.get(cur)!);
    return out;
  };
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));

  const fns = new Map<string, SelfTime>(), areas = new Map<string, SelfTime>(), callers = new Map<string, SelfTime>(), hestia = new Map<string, SelfTime>();
  const add = (m: Map<string, SelfTime>, key: string, name: string, where: string, ms: number) => {
    const e = m.get(key) ?? { name, where, ms: 0, share: 0 };
    e.ms += ms;
    m.set(key, e);
  };
  let total = 0, idle = 0;
  for (const [id, us] of self) {
    const f = byId.get(id)!.callFrame;
    const ms = us / 1000;
    const frames = stack(id);
    // Samples taken while the profiler itself was starting are not the server's.
    if (frames.some((n) => n.callFrame.functionName === 'startCpuProfile')) continue;
    total += ms;
    if (f.functionName === '(idle)') { idle += ms; continue; }
    const where = location(f);
    add(fns, `${f.functionName}@${where}`, f.functionName || '(anonymous)', where, ms);
    const a = area(f);
    add(areas, a, a, '', ms);
    const owner = frames.map((n) => area(n.callFrame)).find(isPackage) ?? a;
    add(callers, owner, owner, '', ms);
    const seen = new Set<string>();
    for (const n of frames) {
      if (!area(n.callFrame).startsWith('@hestia/')) continue;
      const w = location(n.callFrame);
      const key = `${n.callFrame.functionName}@${w}`;
      if (seen.has(key)) continue;
      seen.add(key);
      add(hestia, key, n.callFrame.functionName || '(anonymous)', w, ms);
    }
  }
  const busy = total - idle;
  const rank = (m: Map<string, SelfTime>, n: number) => [...m.values()].sort((x, y) => y.ms - x.ms).slice(0, n).map((e) => ({ ...e, share: e.ms / busy }));
  return { totalMs: total, idleMs: idle, top: rank(fns, topN), areas: rank(areas, 12), callers: rank(callers, 12), hestia: rank(hestia, topN) };
}

/** file:line, without the line for tsx-compiled sources (their positions do not map to the .ts lines). */
const location = (f: CallFrame) => (f.url ? `${shortUrl(f.url)}${f.lineNumber > 0 ? `:${f.lineNumber + 1}` : ''}` : '');

const isPackage = (a: string) => !a.startsWith('(') && !a.startsWith('node ') && !a.startsWith('wasm://');

function shortUrl(url: string): string {
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) return u.slice(nm + 14);
  const pk = u.indexOf('/packages/');
  if (pk >= 0) return u.slice(pk + 1);
  return u;
}

/** Which package a frame belongs to: a dependency, a Hestia package, node itself, or the VM. */
function area(f: CallFrame): string {
  const u = f.url.replace(/^file:\/\//, '');
  if (!u) return f.functionName.startsWith('(') ? f.functionName : '(native / V8 builtins)';
  const nm = /\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u.slice(u.lastIndexOf('/node_modules/')));
  if (nm) return nm[1];
  const pk = /\/packages\/([^/]+)\//.exec(u);
  if (pk) return `@hestia/${pk[1]}`;
  if (u.startsWith('node:')) return 'node (http, streams, …)';
  if (u.includes('/bench/')) return 'bench';
  return u;
}

export function formatProfile(s: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)} %`;
  const lines = [`  busy ${(s.totalMs - s.idleMs).toFixed(0)} ms of ${s.totalMs.toFixed(0)} ms sampled (idle ${((s.idleMs / s.totalMs) * 100).toFixed(0)} %)`, '  top self time:'];
  for (const e of s.top) lines.push(`   ${pct(e.share)}  ${e.name}  ${e.where}`);
  lines.push('  self time by package:');
  for (const e of s.areas) lines.push(`   ${pct(e.share)}  ${e.name}`);
  lines.push('  by calling package (native and node-internal work, e.g. socket writes, charged to its caller):');
  for (const e of s.callers) lines.push(`   ${pct(e.share)}  ${e.name}`);
  lines.push('  Hestia functions, inclusive time:');
  for (const e of s.hestia) lines.push(`   ${pct(e.share)}  ${e.name}  ${e.where}`);
  return lines.join('\n');
}
