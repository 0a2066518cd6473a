// Offline checks of the deployment files: the Dockerfile and .dockerignore against the repository and
// the compiled server, and the ARM template (templates/) against ARM's rules and the server's real
// configuration loader. No Docker engine and no Azure here: the image is never built and the template
// never deployed; what can be checked without them is checked here.
//  - Dockerfile: stages, non-root user, port, volume, every workspace package copied where it must be,
//    no production dependency that needs an install script, the CMD's file built by tsc -b, the
//    HEALTHCHECK's path the server's health path, and the compiled server started exactly as CMD
//    runs it (the image's ENV, embedded storage in a temp folder), probed with the HEALTHCHECK
//    command itself, then stopped with SIGTERM.
//  - .dockerignore: Docker's matching rules (last match wins, a matched folder excludes its content)
//    applied to the files the build needs and to those it must not get.
//  - templates/azuredeploy.json: JSON, $schema, contentVersion, every expression parsed, every
//    parameters()/variables() declared and every parameter used, resource references resolving to
//    template resources; then the template evaluated (a small evaluator of the ARM functions it uses,
//    with reference()/listKeys() stubbed and refused for resources not deployed) for each storage
//    choice, and its app settings given to the server's loadConfig, which must read every HESTIA_*
//    setting and produce the expected storage and security configuration.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { loadConfig } from '../packages/server/src/config.js';
import { HEALTH_PATH } from '../packages/server/src/observability/health.js';

const ROOT = new URL('..', import.meta.url).pathname;
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
type Json = any;

// ---------------------------------------------------------------------------------------------------
// The Dockerfile

interface Instruction { cmd: string; args: string; stage: string }
interface Stage { name: string; from: string; instructions: Instruction[] }

function parseDockerfile(text: string): Stage[] {
  const lines: string[] = [];
  let cur = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (!cur && (line.trim() === '' || line.trim().startsWith('#'))) continue;
    if (cur && line.trim().startsWith('#')) continue; // comments inside a continued instruction
    if (line.endsWith('\\')) {
      cur += line.slice(0, -1) + ' ';
      continue;
    }
    lines.push(cur + line);
    cur = '';
  }
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const l of lines) {
    const m = /^\s*(\w+)\s+([\s\S]*)$/.exec(l);
    assert.ok(m, `unreadable Dockerfile line: ${l}`);
    const cmd = m[1].toUpperCase();
    const rest = m[2].trim();
    if (cmd === 'ARG' && !stages.length) {
      const [k, v = ''] = rest.split('=');
      args.set(k, v);
      continue;
    }
    if (cmd === 'FROM') {
      const fm = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      assert.ok(fm, `unreadable FROM: ${rest}`);
      const from = fm[1].replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => args.get(a ?? b) ?? '');
      stages.push({ name: (fm[2] ?? String(stages.length)).toLowerCase(), from, instructions: [] });
      continue;
    }
    assert.ok(stages.length, `${cmd} before FROM`);
    stages.at(-1)!.instructions.push({ cmd, args: rest, stage: stages.at(-1)!.name });
  }
  return stages;
}

const dockerfile = parseDockerfile(read('Dockerfile'));
const stageNamed = (name: string) => dockerfile.find((s) => s.name === name);
const runtime = dockerfile.at(-1)!;
const all = (s: Stage, cmd: string) => s.instructions.filter((i) => i.cmd === cmd);
const last = (s: Stage, cmd: string) => all(s, cmd).at(-1);

/** ENV of a stage (KEY=value pairs, unquoted or double-quoted). */
function envOf(s: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of all(s, 'ENV')) {
    for (const m of i.args.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g)) env[m[1]] = m[2].startsWith('"') ? JSON.parse(m[2]) : m[2];
  }
  return env;
}

/** An exec-form (JSON array) CMD or HEALTHCHECK ... CMD. */
function execForm(args: string, what: string): string[] {
  const json = args.replace(/^(?:--\S+\s+)*CMD\s+/, '');
  let v: unknown;
  try { v = JSON.parse(json); } catch { assert.fail(`${what} must be in exec form (a JSON array), got: ${json}`); }
  assert.ok(Array.isArray(v) && v.every((x) => typeof x === 'string'), `${what} must be a JSON array of strings`);
  return v as string[];
}

interface Copy { from?: string; sources: string[]; dest: string; workdir: string }
function copies(s: Stage): Copy[] {
  const out: Copy[] = [];
  let workdir = '/';
  for (const i of s.instructions) {
    if (i.cmd === 'WORKDIR') workdir = posix.resolve(workdir, i.args);
    if (i.cmd !== 'COPY') continue;
    const parts = i.args.split(/\s+/);
    const flags = parts.filter((p) => p.startsWith('--'));
    const paths = parts.filter((p) => !p.startsWith('--'));
    const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length).toLowerCase();
    out.push({ from, sources: paths.slice(0, -1), dest: paths.at(-1)!, workdir });
  }
  return out;
}
/** Where a COPY puts one source in the image: a file into a dest ending in /, else at dest (a folder's content goes to dest). */
const copyTarget = (c: Copy, src: string) => {
  const dest = posix.resolve(c.workdir, c.dest);
  const folder = !c.from && existsSync(join(ROOT, src)) && statSync(join(ROOT, src)).isDirectory();
  return c.dest.endsWith('/') && !folder ? posix.join(dest, posix.basename(src)) : dest;
};

const workspaces = readdirSync(join(ROOT, 'packages')).filter((p) => existsSync(join(ROOT, 'packages', p, 'package.json'))).sort();
const manifest = (p: string): Json => JSON.parse(read(`packages/${p}/package.json`));
const dirOf = new Map(workspaces.map((p) => [manifest(p).name as string, p]));

/** The workspace packages the server needs at run time: @hestia/server and its production @hestia dependencies, transitively. */
function runtimeWorkspaces(): string[] {
  const seen = new Set<string>();
  const visit = (name: string) => {
    const dir = dirOf.get(name);
    if (!dir || seen.has(dir)) return;
    seen.add(dir);
    for (const dep of Object.keys(manifest(dir).dependencies ?? {})) visit(dep);
  };
  visit('@hestia/server');
  return [...seen].sort();
}

describe('Dockerfile', () => {
  test('multi-stage: build (npm ci + tsc -b), production dependencies (npm ci --omit=dev), runtime', () => {
    const build = stageNamed('build');
    const deps = stageNamed('deps');
    assert.ok(build && deps, 'stages "build" and "deps" exist');
    assert.ok(dockerfile.length >= 3 && runtime !== build && runtime !== deps, 'the runtime stage is a stage of its own, last');
    for (const s of dockerfile) assert.match(s.from, /^node:20([.-]|$)/, `stage ${s.name} is based on the official Node 20 image`);
    const runs = (s: Stage) => all(s, 'RUN').map((i) => i.args).join('\n');
    assert.match(runs(build), /\bnpm ci\b/);
    assert.match(runs(build), /\btsc -b\b/);
    assert.match(runs(deps), /\bnpm ci\b[^\n]*--omit=dev/);
    assert.doesNotMatch(runs(runtime), /\bnpm (ci|install)\b/, 'the runtime stage installs nothing itself');
  });

  test('runtime: non-root user, port 8080 on 0.0.0.0, a /data volume holding the embedded database and exports', () => {
    const user = last(runtime, 'USER')?.args;
    assert.ok(user && !/^(root|0)(:|$)/.test(user), `runs as a non-root user (USER ${user})`);
    const env = envOf(runtime);
    assert.equal(env.HESTIA_HOST, '0.0.0.0');
    assert.equal(env.HESTIA_PORT, '8080');
    assert.deepEqual(all(runtime, 'EXPOSE').map((i) => i.args), ['8080']);
    const volumes = all(runtime, 'VOLUME').flatMap((i) => (i.args.startsWith('[') ? JSON.parse(i.args) : i.args.split(/\s+/)) as string[]);
    assert.deepEqual(volumes, ['/data']);
    for (const k of ['HESTIA_DATA_DIR', 'HESTIA_EXPORT_FOLDER']) assert.match(env[k] ?? '', /^\/data\/[^/]+$/, `${k} is a folder inside the volume`);
    // The image's ENV must be settings the server reads, giving the configuration meant.
    const cfg = loadConfig(env);
    assert.equal(cfg.storage.kind, 'embedded');
    assert.equal(cfg.storage.dataDir, env.HESTIA_DATA_DIR);
    assert.equal(cfg.export.folder, env.HESTIA_EXPORT_FOLDER);
    assert.equal(cfg.port, 8080);
    // /data is made the server user's before VOLUME (a new named volume takes the folder's owner).
    const chown = all(runtime, 'RUN').find((i) => /\bchown\b.*\/data\b/.test(i.args));
    assert.ok(chown, 'a RUN gives /data to the server user');
    assert.ok(chown.args.includes(user.split(':')[0]), 'to the same user');
    assert.ok(runtime.instructions.indexOf(chown) < runtime.instructions.indexOf(all(runtime, 'VOLUME')[0]));
  });

  test('every workspace package.json is copied before npm ci (build and deps stages)', () => {
    for (const name of ['build', 'deps']) {
      const s = stageNamed(name)!;
      const firstCi = s.instructions.findIndex((i) => i.cmd === 'RUN' && /\bnpm ci\b/.test(i.args));
      assert.ok(firstCi > 0, `${name} runs npm ci`);
      const cs = copies({ ...s, instructions: s.instructions.slice(0, firstCi) }).filter((c) => !c.from);
      const copied = new Set(cs.flatMap((c) => c.sources.map((src) => copyTarget(c, src))));
      for (const f of ['package.json', 'package-lock.json', ...workspaces.map((p) => `packages/${p}/package.json`)]) {
        assert.ok(copied.has(`/app/${f}`), `${name} stage copies ${f} before npm ci`);
      }
    }
  });

  test('the runtime stage gets the production node_modules and, of every package the server needs, its files but src', () => {
    const cs = copies(runtime);
    assert.equal(last(runtime, 'WORKDIR')?.args, '/app');
    assert.ok(cs.some((c) => c.from === 'deps' && c.sources.includes('/app') && posix.resolve(c.workdir, c.dest) === '/app'), 'COPY --from=deps /app ./');
    const fromBuild = new Map(cs.filter((c) => c.from === 'build').flatMap((c) => c.sources.map((src) => [copyTarget(c, src), src] as const)));
    const needed = runtimeWorkspaces();
    assert.deepEqual(needed, ['core', 'persistence-cosmos', 'persistence-mssql', 'persistence-postgres', 'server', 'sql-common']);
    for (const p of needed) {
      for (const entry of (manifest(p).files ?? []) as string[]) {
        if (entry === 'src') continue;
        const path = `/app/packages/${p}/${entry}`;
        assert.equal(fromBuild.get(path), path, `the runtime stage copies ${path} from the build stage`);
        if (entry !== 'dist') assert.ok(existsSync(join(ROOT, 'packages', p, entry)), `${p}/${entry} exists in the repository`);
      }
    }
  });

  test('no production dependency needs an install script (the image installs with --ignore-scripts)', () => {
    const lock = JSON.parse(read('package-lock.json'));
    const scripted = Object.entries(lock.packages as Record<string, Json>).filter(([, v]) => v.hasInstallScript && !v.dev).map(([k]) => k);
    assert.deepEqual(scripted, []);
  });

  test('CMD runs the compiled server (built by tsc -b) with plain node; HEALTHCHECK probes the health path', () => {
    const cmd = execForm(last(runtime, 'CMD')!.args, 'CMD');
    assert.equal(cmd[0], 'node');
    assert.ok(!cmd.some((a) => /tsx|--conditions|\.ts$/.test(a)), 'no TypeScript or dev tooling at run time');
    const script = cmd.find((a) => a.endsWith('.js'))!;
    assert.equal(script, 'packages/server/dist/main.js');
    assert.ok(existsSync(join(ROOT, 'packages/server/src/main.ts')), 'its source exists');
    assert.ok(existsSync(join(ROOT, script)), `${script} exists: run \`npx tsc -b\` first`);
    const hc = execForm(last(runtime, 'HEALTHCHECK')!.args, 'HEALTHCHECK');
    assert.equal(hc[0], 'node');
    const url = /'http:\/\/127\.0\.0\.1:'\s*\+\s*\(process\.env\.HESTIA_PORT\s*\|\|\s*8080\)\s*\+\s*'([^']+)'/.exec(hc.join(' '));
    assert.ok(url, 'the HEALTHCHECK fetches http://127.0.0.1:$HESTIA_PORT<path>');
    assert.equal(url[1], HEALTH_PATH);
  });

  test('the compiled server starts the way CMD runs it, answers /health/check and /metadata, and stops on SIGTERM', { timeout: 90_000 }, async () => {
    const cmd = execForm(last(runtime, 'CMD')!.args, 'CMD');
    const hc = execForm(last(runtime, 'HEALTHCHECK')!.args, 'HEALTHCHECK');
    assert.ok(existsSync(join(ROOT, cmd[1])), `${cmd[1]} exists: run \`npx tsc -b\` first`);
    const dir = mkdtempSync(join(tmpdir(), 'hestia-deploy-'));
    const port = await freePort();
    // The image's environment, then what differs here: a free port on loopback and a temp /data.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HESTIA_') && k !== 'NODE_OPTIONS' && k !== 'PORT'));
    const env = { ...inherited, ...envOf(runtime), HESTIA_PORT: String(port), HESTIA_HOST: '127.0.0.1', HESTIA_DATA_DIR: join(dir, 'db'), HESTIA_EXPORT_FOLDER: join(dir, 'export') };
    const started = Date.now();
    const child = spawn(process.execPath, cmd.slice(1), { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitFor(`${base}${HEALTH_PATH}`, child, () => stderr, 60_000);
      const startupMs = Date.now() - started;
      const health = await fetch(`${base}${HEALTH_PATH}`);
      assert.equal(health.status, 200);
      assert.equal(((await health.json()) as Json).status, 'healthy');
      const meta = await fetch(`${base}/metadata`, { headers: { accept: 'application/fhir+json' } });
      assert.equal(meta.status, 200);
      const cs = (await meta.json()) as Json;
      assert.equal(cs.resourceType, 'CapabilityStatement');
      assert.equal(cs.fhirVersion, '4.0.1');
      // The HEALTHCHECK command itself, with the container's environment.
      assert.equal(runNode(hc, env), 0, 'HEALTHCHECK passes against the running server');
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 15_000)))]);
      clearTimeout(timer);
      assert.equal(code, 0, `the server stops cleanly on SIGTERM (docker stop); stderr:\n${stderr}`);
      assert.equal(runNode(hc, env), 1, 'HEALTHCHECK fails once the server is gone');
      assert.ok(existsSync(join(dir, 'db')), 'the embedded database is in HESTIA_DATA_DIR');
      console.log(`# compiled server ready on embedded storage in ${startupMs} ms`);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
async function waitFor(url: string, child: ChildProcess, log: () => string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) assert.fail(`the server exited with ${child.exitCode}:\n${log()}`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch { /* not listening yet */ }
    await delay(200);
  }
  assert.fail(`no 200 from ${url} within ${ms} ms:\n${log()}`);
}
function runNode(argv: string[], env: NodeJS.ProcessEnv): number | null {
  return spawnSync(process.execPath, argv.slice(1), { env, timeout: 10_000 }).status;
}

// ---------------------------------------------------------------------------------------------------
// .dockerignore, with Docker's rules: patterns relative to the context root, `*` and `?` within one
// path segment, `**` across segments, `!` re-includes; the last matching pattern decides, and a
// pattern that matches a folder also matches everything inside it.

function dockerignore(text: string): (path: string) => boolean {
  const rules = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((l) => {
    const negate = l.startsWith('!');
    const pattern = posix.normalize((negate ? l.slice(1) : l).trim().replace(/^\/+/, '')).replace(/\/+$/, '');
    let re = '';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i];
      if (c === '*' && pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') { i++; re += '(?:.*/)?'; } else re += '.*';
      } else if (c === '*') re += '[^/]*';
      else if (c === '?') re += '[^/]';
      else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    return { negate, re: new RegExp(`^${re}$`) };
  });
  return (path: string) => {
    const prefixes = path.split('/').map((_, i, a) => a.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const r of rules) if (prefixes.some((p) => r.re.test(p))) excluded = !r.negate;
    return excluded;
  };
}

function filesUnder(rel: string): string[] {
  const abs = join(ROOT, rel);
  if (!existsSync(abs)) return [];
  if (!statSync(abs).isDirectory()) return [rel];
  return readdirSync(abs).flatMap((n) => filesUnder(posix.join(rel, n)));
}

describe('.dockerignore', () => {
  const ignored = dockerignore(read('.dockerignore'));

  test('the build context has everything the build stage copies and compiles', () => {
    const needed = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.base.json'];
    for (const p of workspaces) {
      needed.push(`packages/${p}/package.json`, `packages/${p}/tsconfig.json`, ...filesUnder(`packages/${p}/src`));
      for (const entry of (manifest(p).files ?? []) as string[]) if (entry !== 'dist') needed.push(...filesUnder(`packages/${p}/${entry}`));
    }
    assert.ok(needed.some((f) => f.startsWith('packages/core/definitions/')) && needed.includes('packages/server/roles.json'));
    assert.deepEqual(needed.filter(ignored), []);
    // And every COPY from the context names something that is there and not ignored.
    for (const s of dockerfile) {
      for (const c of copies(s).filter((x) => !x.from)) {
        for (const src of c.sources) {
          const rel = src.replace(/\/$/, '');
          assert.ok(existsSync(join(ROOT, rel)), `${s.name}: COPY ${src} exists`);
          assert.ok(!ignored(rel), `${s.name}: COPY ${src} is not ignored`);
        }
      }
    }
  });

  test('leaves out git, installed modules, build output, local databases and results, tests and their data', () => {
    for (const p of ['.git/HEAD', 'node_modules/express/package.json', 'packages/server/node_modules/x/index.js', 'packages/core/dist/index.js',
      'packages/server/tsconfig.tsbuildinfo', '.hestia-data/PG_VERSION', '.hestia-export/job/Patient.ndjson', 'packages/server/.hestia-data/x',
      '.test-data/x', 'bench/results/run.json', 'test/deployment.test.ts', 'packages/server/test/http.test.ts', 'templates/azuredeploy.json',
      '.env', 'Dockerfile', 'README.md']) {
      assert.ok(ignored(p), `${p} is left out of the build context`);
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// ARM template expressions: a parser and an evaluator of the functions the template uses.

type Node =
  | { k: 'str'; v: string }
  | { k: 'num'; v: number }
  | { k: 'call'; name: string; args: Node[] }
  | { k: 'prop'; of: Node; name: string }
  | { k: 'index'; of: Node; index: Node };

function parseExpression(src: string): Node {
  let i = 0;
  const ws = () => { while (/\s/.test(src[i] ?? '')) i++; };
  const expect = (c: string) => {
    ws();
    if (src[i] !== c) throw new Error(`expected '${c}' at ${i} in [${src}]`);
    i++;
  };
  const primary = (): Node => {
    ws();
    const c = src[i];
    if (c === "'") {
      let v = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new Error(`unterminated string in [${src}]`);
        if (src[i] === "'") {
          if (src[i + 1] === "'") { v += "'"; i += 2; continue; }
          i++;
          break;
        }
        v += src[i++];
      }
      return { k: 'str', v };
    }
    const num = /^-?\d+/.exec(src.slice(i));
    if (num) { i += num[0].length; return { k: 'num', v: Number(num[0]) }; }
    const id = /^[A-Za-z_][A-Za-z0-9_.]*?(?=\s*\()/.exec(src.slice(i));
    if (!id) throw new Error(`expected a function call at ${i} in [${src}]`);
    i += id[0].length;
    expect('(');
    const args: Node[] = [];
    ws();
    if (src[i] === ')') i++;
    else {
      for (;;) {
        args.push(expr());
        ws();
        if (src[i] === ',') { i++; continue; }
        expect(')');
        break;
      }
    }
    return { k: 'call', name: id[0], args };
  };
  const expr = (): Node => {
    let n = primary();
    for (;;) {
      ws();
      if (src[i] === '.') {
        i++;
        const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(src.slice(i));
        if (!m) throw new Error(`expected a property name at ${i} in [${src}]`);
        i += m[0].length;
        n = { k: 'prop', of: n, name: m[0] };
      } else if (src[i] === '[') {
        i++;
        const index = expr();
        expect(']');
        n = { k: 'index', of: n, index };
      } else return n;
    }
  };
  const n = expr();
  ws();
  if (i !== src.length) throw new Error(`unexpected '${src.slice(i)}' in [${src}]`);
  return n;
}

/** The expression in a template string, or undefined for a literal ('[[' escapes a literal '['). */
const expressionOf = (s: string): string | undefined => (s.startsWith('[') && !s.startsWith('[[') && s.endsWith(']') ? s.slice(1, -1) : undefined);

function walkStrings(v: Json, fn: (s: string, path: string) => void, path = '$'): void {
  if (typeof v === 'string') fn(v, path);
  else if (Array.isArray(v)) v.forEach((x, i) => walkStrings(x, fn, `${path}[${i}]`));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walkStrings(x, fn, `${path}.${k}`);
}
function walkCalls(n: Node, fn: (n: Extract<Node, { k: 'call' }>) => void): void {
  if (n.k === 'call') { fn(n); n.args.forEach((a) => walkCalls(a, fn)); }
  else if (n.k === 'prop') walkCalls(n.of, fn);
  else if (n.k === 'index') { walkCalls(n.of, fn); walkCalls(n.index, fn); }
}

const SUBSCRIPTION = '/subscriptions/00000000-0000-0000-0000-000000000000';
const RESOURCE_GROUP = { id: `${SUBSCRIPTION}/resourceGroups/hestia-rg`, name: 'hestia-rg', location: 'westeurope' };
const STUBS = {
  cosmosKey: 'Y29zbW9zLWtleQ==',
  storageKey: 'c3RvcmFnZS1rZXk=',
  guid: '6f1d4c1e-2b59-4a6b-9d7e-0d6f6f0b1a11',
};

function resourceIdOf(type: string, names: string[]): string {
  const segs = type.split('/');
  assert.equal(segs.length - 1, names.length, `resourceId('${type}') takes ${segs.length - 1} name(s), got ${names.length}`);
  let id = `${RESOURCE_GROUP.id}/providers/${segs[0]}/${segs[1]}/${names[0]}`;
  for (let k = 2; k < segs.length; k++) id += `/${segs[k]}/${names[k - 1]}`;
  return id;
}

const isEmpty = (v: unknown) => v === null || v === '' || (Array.isArray(v) && !v.length) || (typeof v === 'object' && v !== null && !Object.keys(v).length);
const armString = (v: unknown): string => (typeof v === 'boolean' ? (v ? 'True' : 'False') : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** Evaluates a template for one set of parameter values, as Resource Manager would (the parts used here). */
class TemplateEvaluator {
  readonly params: Record<string, unknown> = {};
  private readonly vars = new Map<string, unknown>();
  private inParamDefault = false;

  constructor(readonly template: Json, given: Record<string, unknown>) {
    for (const [name, def] of Object.entries(template.parameters as Record<string, Json>)) {
      if (name in given) this.params[name] = given[name];
      else {
        assert.ok('defaultValue' in def, `parameter ${name} has no value and no default`);
        this.inParamDefault = true;
        this.params[name] = this.value(def.defaultValue);
        this.inParamDefault = false;
      }
      if (def.allowedValues) assert.ok(def.allowedValues.includes(this.params[name]), `${name}=${String(this.params[name])} is allowed`);
    }
  }

  /** Resources by id, with their evaluated condition. */
  resources(): Map<string, { type: string; name: string; deployed: boolean; res: Json }> {
    const out = new Map<string, { type: string; name: string; deployed: boolean; res: Json }>();
    for (const res of this.template.resources as Json[]) {
      const name = this.value(res.name) as string;
      const deployed = res.condition === undefined ? true : this.value(res.condition) === true;
      out.set(resourceIdOf(res.type, name.split('/')), { type: res.type, name, deployed, res });
    }
    return out;
  }

  value(v: Json): unknown {
    if (typeof v === 'string') {
      const e = expressionOf(v);
      return e === undefined ? (v.startsWith('[[') ? v.slice(1) : v) : this.eval(parseExpression(e));
    }
    if (Array.isArray(v)) return v.map((x) => this.value(x));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.value(x)]));
    return v;
  }

  private deployedResource(id: unknown, fn: string) {
    const r = this.resources().get(String(id));
    assert.ok(r, `${fn}() of ${String(id)}: no such resource in the template`);
    assert.ok(r.deployed, `${fn}() of ${r.type} '${r.name}', which this deployment does not create (guard it with if())`);
    return r;
  }

  eval(n: Node): unknown {
    switch (n.k) {
      case 'str': return n.v;
      case 'num': return n.v;
      case 'prop': {
        const o = this.eval(n.of) as Record<string, unknown>;
        assert.ok(o && typeof o === 'object' && n.name in o, `no property '${n.name}'`);
        return o[n.name];
      }
      case 'index': {
        const o = this.eval(n.of) as Record<string, unknown>;
        const k = this.eval(n.index) as string;
        assert.ok(o && typeof o === 'object' && k in o, `no member [${String(k)}]`);
        return o[k];
      }
      case 'call': break;
    }
    const name = n.name.toLowerCase();
    if (name === 'if') {
      assert.equal(n.args.length, 3, 'if() takes 3 arguments');
      const c = this.eval(n.args[0]);
      assert.equal(typeof c, 'boolean', 'if() needs a boolean condition');
      return this.eval(n.args[c ? 1 : 2]); // only the branch taken is evaluated, as in Resource Manager
    }
    const a = n.args.map((x) => this.eval(x));
    switch (name) {
      case 'parameters':
        assert.ok(String(a[0]) in this.params, `parameters('${String(a[0])}') is not declared`);
        return this.params[String(a[0])];
      case 'variables': {
        const vars = this.template.variables as Record<string, Json>;
        const v = String(a[0]);
        assert.ok(v in vars, `variables('${v}') is not declared`);
        if (!this.vars.has(v)) this.vars.set(v, this.value(vars[v]));
        return this.vars.get(v);
      }
      case 'newguid':
        assert.ok(this.inParamDefault, 'newGuid() is only allowed in a parameter default value');
        return STUBS.guid;
      case 'reference': {
        const r = this.deployedResource(a[0], n.name);
        if (r.type === 'Microsoft.DBforPostgreSQL/flexibleServers') return { fullyQualifiedDomainName: `${r.name}.postgres.database.azure.com` };
        if (r.type === 'Microsoft.DocumentDB/databaseAccounts') return { documentEndpoint: `https://${r.name}.documents.azure.com:443/` };
        if (r.type === 'Microsoft.Web/sites') return { defaultHostName: `${r.name}.azurewebsites.net` };
        return assert.fail(`no reference() stub for ${r.type}`);
      }
      case 'listkeys': {
        const r = this.deployedResource(a[0], n.name);
        if (r.type === 'Microsoft.DocumentDB/databaseAccounts') return { primaryMasterKey: STUBS.cosmosKey };
        if (r.type === 'Microsoft.Storage/storageAccounts') return { keys: [{ keyName: 'key1', value: STUBS.storageKey }] };
        return assert.fail(`no listKeys() stub for ${r.type}`);
      }
    }
    const fn = FUNCTIONS[name];
    assert.ok(fn, `unknown template function ${n.name}()`);
    return fn(a);
  }
}

/** Pure template functions; parameters, variables, newGuid, reference, listKeys and if are the evaluator's own. */
const FUNCTIONS: Record<string, (a: any[]) => unknown> = {
  resourcegroup: () => RESOURCE_GROUP,
  environment: () => ({ name: 'AzureCloud', suffixes: { storage: 'core.windows.net' } }),
  resourceid: (a) => resourceIdOf(a[0], a.slice(1)),
  concat: (a) => (a.every(Array.isArray) ? a.flat() : (assert.ok(a.every((x) => typeof x === 'string' || typeof x === 'number'), 'concat() of strings or of arrays'), a.join(''))),
  format: (a) => String(a[0]).replace(/\{(\d+)\}/g, (_, i) => { assert.ok(Number(i) + 1 < a.length, `format() has no argument {${i}}`); return armString(a[Number(i) + 1]); }),
  createarray: (a) => a,
  createobject: (a) => { assert.equal(a.length % 2, 0, 'createObject() takes name/value pairs'); return Object.fromEntries(a.flatMap((x, i) => (i % 2 ? [] : [[x, a[i + 1]]]))); },
  equals: (a) => JSON.stringify(a[0]) === JSON.stringify(a[1]),
  not: (a) => { assert.equal(typeof a[0], 'boolean'); return !a[0]; },
  and: (a) => a.every((x) => x === true),
  or: (a) => a.some((x) => x === true),
  empty: (a) => isEmpty(a[0]),
  tolower: (a) => String(a[0]).toLowerCase(),
  string: (a) => armString(a[0]),
  uricomponent: (a) => encodeURIComponent(String(a[0])),
  uniquestring: (a) => BigInt(`0x${createHash('sha256').update(a.join('|')).digest('hex').slice(0, 16)}`).toString(32).padStart(13, 'a').slice(0, 13),
};
const KNOWN_FUNCTIONS = new Set([...Object.keys(FUNCTIONS), 'if', 'parameters', 'variables', 'newguid', 'reference', 'listkeys']);

const TEMPLATE_PATH = 'templates/azuredeploy.json';
const template: Json = JSON.parse(read(TEMPLATE_PATH));
const sampleParameters: Json = JSON.parse(read('templates/azuredeploy.parameters.json'));

/** Settings App Service itself reads (not the server). */
const PLATFORM_SETTINGS = new Set(['WEBSITES_PORT', 'WEBSITES_ENABLE_APP_SERVICE_STORAGE', 'DOCKER_REGISTRY_SERVER_URL', 'DOCKER_REGISTRY_SERVER_USERNAME', 'DOCKER_REGISTRY_SERVER_PASSWORD']);

function site(ev: TemplateEvaluator) {
  const sites = [...ev.resources().values()].filter((r) => r.type === 'Microsoft.Web/sites');
  assert.equal(sites.length, 1, 'one web app');
  return sites[0];
}

/** The app settings of a deployment with these parameters, as the container's environment. */
function deploy(params: Record<string, unknown>) {
  const given = { ...Object.fromEntries(Object.entries(sampleParameters.parameters as Record<string, Json>).map(([k, v]) => [k, v.value])), ...params };
  const ev = new TemplateEvaluator(template, given);
  const web = site(ev);
  const settings = ev.value(web.res.properties.siteConfig.appSettings) as { name: string; value: unknown }[];
  assert.ok(Array.isArray(settings));
  const names = settings.map((s) => s.name);
  assert.equal(new Set(names).size, names.length, `app setting names are unique: ${names.join(', ')}`);
  for (const s of settings) assert.equal(typeof s.value, 'string', `${s.name} is a string`);
  const appSettings = Object.fromEntries(settings.map((s) => [s.name, s.value as string]));
  // App Service starts the image with its ENV, overridden by the app settings.
  const env: Record<string, string> = { ...envOf(runtime), ...appSettings };
  const readVars = new Set<string>();
  const recording = new Proxy(env, { get: (t, k) => { if (typeof k === 'string') readVars.add(k); return t[k as string]; } });
  const outputs = Object.fromEntries(Object.entries(template.outputs as Record<string, Json>).map(([k, o]) => [k, ev.value(o.value)]));
  return { ev, web, appSettings, env, readVars, recording, outputs, deployed: new Set([...ev.resources().values()].filter((r) => r.deployed).map((r) => r.type)) };
}

describe('ARM template (templates/azuredeploy.json)', () => {
  test('is a deployment template: $schema, contentVersion, parameters, resources, outputs', () => {
    assert.match(template.$schema, /^https:\/\/schema\.management\.azure\.com\/schemas\/\d{4}-\d{2}-\d{2}\/deploymentTemplate\.json#$/);
    assert.match(template.contentVersion, /^\d+\.\d+\.\d+\.\d+$/);
    assert.ok(template.parameters && template.variables && Array.isArray(template.resources) && template.outputs);
    for (const r of template.resources) {
      assert.ok(r.type && r.apiVersion && r.name, `resource ${JSON.stringify(r.name)} has type, apiVersion and name`);
      assert.match(r.apiVersion, /^\d{4}-\d{2}-\d{2}$/, `${r.type} uses a stable API version`);
    }
    for (const [name, p] of Object.entries(template.parameters as Record<string, Json>)) {
      assert.ok(['string', 'securestring', 'int', 'bool', 'object', 'secureObject', 'array'].includes(p.type), `${name}: valid type`);
      assert.ok(p.metadata?.description, `${name} is described`);
      if (/password|secret|connectionstring|key$/i.test(name)) assert.equal(p.type, 'securestring', `${name} is a securestring`);
    }
    assert.ok(template.outputs.fhirServerUrl, 'outputs the FHIR base URL');
    for (const [name, o] of Object.entries(template.outputs as Record<string, Json>)) {
      walkStrings(o, (s) => assert.ok(!/parameters\('(\w*(password|secret|connectionstring)\w*)'\)/i.test(s), `output ${name} leaks no secret`));
    }
  });

  test('every expression parses; every parameters() and variables() is declared; every parameter is used', () => {
    const usedParams = new Set<string>();
    const usedVars = new Set<string>();
    let count = 0;
    walkStrings(template, (s, path) => {
      const e = expressionOf(s);
      if (s.startsWith('[') && !s.startsWith('[[')) assert.ok(e !== undefined, `${path}: an expression must end with ']'`);
      if (e === undefined) return;
      count++;
      let ast: Node;
      try { ast = parseExpression(e); } catch (err) { return assert.fail(`${path}: ${(err as Error).message}`); }
      walkCalls(ast, (c) => {
        const fname = c.name.toLowerCase();
        assert.ok(KNOWN_FUNCTIONS.has(fname), `${path}: unknown function ${c.name}()`);
        if (fname === 'parameters' || fname === 'variables') {
          assert.ok(c.args.length === 1 && c.args[0].k === 'str', `${path}: ${c.name}() takes one literal name`);
          (fname === 'parameters' ? usedParams : usedVars).add((c.args[0] as { v: string }).v);
        }
      });
    });
    assert.ok(count > 50, `found ${count} expressions`);
    const declaredParams = Object.keys(template.parameters);
    const declaredVars = Object.keys(template.variables);
    assert.deepEqual([...usedParams].filter((p) => !declaredParams.includes(p)), [], 'undeclared parameters');
    assert.deepEqual([...usedVars].filter((v) => !declaredVars.includes(v)), [], 'undeclared variables');
    assert.deepEqual(declaredParams.filter((p) => !usedParams.has(p)), [], 'declared but unused parameters');
    assert.deepEqual(declaredVars.filter((v) => !usedVars.has(v)), [], 'declared but unused variables');
  });

  test('the sample parameters file names only declared parameters, with values of their type and allowed', () => {
    assert.match(sampleParameters.$schema, /deploymentParameters\.json#$/);
    assert.match(sampleParameters.contentVersion, /^\d+\.\d+\.\d+\.\d+$/);
    const typeOf: Record<string, string> = { string: 'string', securestring: 'string', int: 'number', bool: 'boolean', object: 'object', secureObject: 'object', array: 'object' };
    for (const [name, v] of Object.entries(sampleParameters.parameters as Record<string, Json>)) {
      const def = template.parameters[name];
      assert.ok(def, `${name} is a parameter of the template`);
      assert.ok('value' in v || 'reference' in v, `${name} has a value or a Key Vault reference`);
      if ('value' in v) {
        assert.equal(typeof v.value, typeOf[def.type], `${name} is a ${def.type}`);
        if (def.allowedValues) assert.ok(def.allowedValues.includes(v.value), `${name}: ${String(v.value)} is allowed`);
        if (def.type === 'securestring') assert.equal(v.value, '', `${name}: no secret in the sample file`);
      }
    }
    for (const [name, def] of Object.entries(template.parameters as Record<string, Json>)) {
      if (!('defaultValue' in def)) assert.ok(name in sampleParameters.parameters, `required parameter ${name} is in the sample`);
    }
  });

  test('dependsOn names resources of the template; the web app runs the image, on port 8080, health-checked on the server\'s path', () => {
    const { ev, web } = deploy({ storage: 'postgres', postgresAdminPassword: 'x' });
    const ids = ev.resources();
    for (const r of ids.values()) {
      for (const d of (r.res.dependsOn ?? []) as string[]) assert.ok(ids.has(String(ev.value(d))), `${r.type} depends on ${String(ev.value(d))}, a resource of the template`);
    }
    const cfg = web.res.properties.siteConfig;
    assert.equal(ev.value(cfg.linuxFxVersion), `DOCKER|${String(sampleParameters.parameters.image.value)}`);
    assert.equal(cfg.healthCheckPath, HEALTH_PATH);
    assert.equal(web.res.properties.httpsOnly, true);
    const { appSettings } = deploy({ storage: 'postgres', postgresAdminPassword: 'x' });
    const exposed = all(runtime, 'EXPOSE').map((i) => i.args);
    assert.deepEqual([appSettings.WEBSITES_PORT], exposed, 'WEBSITES_PORT is the port the image exposes');
  });

  const PASSWORD = "p@ss:w/rd#1%&'?";
  const SCENARIOS: { name: string; params: Record<string, unknown>; kind: string; creates: string[] }[] = [
    { name: 'new PostgreSQL flexible server', params: { storage: 'postgres', postgresAdminPassword: PASSWORD }, kind: 'postgres', creates: ['Microsoft.DBforPostgreSQL/flexibleServers', 'Microsoft.DBforPostgreSQL/flexibleServers/databases', 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules'] },
    { name: 'new Cosmos DB account (serverless)', params: { storage: 'cosmos' }, kind: 'cosmos', creates: ['Microsoft.DocumentDB/databaseAccounts'] },
    { name: 'new Cosmos DB account (provisioned)', params: { storage: 'cosmos', cosmosServerless: false, cosmosThroughput: 1000 }, kind: 'cosmos', creates: ['Microsoft.DocumentDB/databaseAccounts'] },
    { name: 'existing PostgreSQL', params: { storage: 'existingPostgres', existingConnectionString: 'postgres://u:p@db.example.org:5432/fhir?sslmode=verify-full' }, kind: 'postgres', creates: [] },
    { name: 'existing SQL Server', params: { storage: 'existingSqlServer', existingConnectionString: 'Server=tcp:db.example.org,1433;Database=fhir;User Id=u;Password=p;Encrypt=True' }, kind: 'sqlserver', creates: [] },
  ];

  for (const sc of SCENARIOS) {
    test(`storage: ${sc.name} — the app settings are settings the server reads, giving that storage`, () => {
      const d = deploy(sc.params);
      const storageTypes = ['Microsoft.DBforPostgreSQL/flexibleServers', 'Microsoft.DBforPostgreSQL/flexibleServers/databases', 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules', 'Microsoft.DocumentDB/databaseAccounts'];
      assert.deepEqual(storageTypes.filter((t) => d.deployed.has(t)), sc.creates, 'the resources created for the storage');
      const cfg = loadConfig(d.recording); // throws when the settings make an invalid configuration
      for (const name of Object.keys(d.appSettings)) {
        if (name.startsWith('HESTIA_')) assert.ok(d.readVars.has(name), `${name} is read by the server's configuration`);
        else assert.ok(PLATFORM_SETTINGS.has(name), `${name} is an App Service setting`);
      }
      assert.equal(cfg.storage.kind, sc.kind);
      const name = String(sampleParameters.parameters.serviceName.value);
      if (sc.params.storage === 'postgres') {
        // Parsed by the PostgreSQL driver's own connection-string parser.
        const pgRequire = createRequire(createRequire(join(ROOT, 'packages/persistence-postgres/package.json')).resolve('pg'));
        const parse = pgRequire('pg-connection-string') as (s: string) => Record<string, unknown>;
        const c = parse(cfg.storage.connectionString);
        assert.equal(c.host, `${name}-pg.postgres.database.azure.com`);
        assert.equal(c.port, '5432');
        assert.equal(c.database, 'fhir');
        assert.equal(c.user, 'hestia');
        assert.equal(c.password, PASSWORD, 'the password survives URL encoding');
        assert.ok(c.ssl && (c.ssl as { rejectUnauthorized?: boolean }).rejectUnauthorized !== false, 'TLS, with the certificate verified');
      }
      if (sc.params.storage === 'existingPostgres') assert.equal(cfg.storage.connectionString, sc.params.existingConnectionString);
      if (sc.params.storage === 'existingSqlServer') assert.equal(cfg.storage.sqlserver.url, sc.params.existingConnectionString);
      if (sc.kind === 'cosmos') {
        assert.equal(cfg.storage.cosmos.endpoint, `https://${name}-cosmos.documents.azure.com:443/`);
        assert.equal(cfg.storage.cosmos.key, STUBS.cosmosKey);
        assert.equal(cfg.storage.cosmos.database, 'hestia');
        assert.equal(cfg.storage.cosmos.throughput, sc.params.cosmosServerless === false ? 1000 : 0, 'serverless accounts take no throughput');
      }
      // Common settings: public URL = the output, security from the parameters, audit location, export to blob.
      assert.equal(cfg.baseUrl, d.outputs.fhirServerUrl);
      assert.equal(d.outputs.fhirServerUrl, `https://${name}.azurewebsites.net`);
      assert.equal(cfg.security.enabled, true);
      assert.equal(cfg.security.authority, sampleParameters.parameters.securityAuthority.value);
      assert.deepEqual(cfg.security.audience, [d.outputs.fhirServerUrl], 'the audience defaults to the server URL');
      assert.equal(cfg.pagingSecret, STUBS.guid);
      assert.equal(cfg.audit.location, RESOURCE_GROUP.location);
      assert.equal(cfg.fhirVersion, 'r4');
      assert.equal(cfg.export.enabled, true);
      assert.equal(cfg.export.destination, 'blob');
      assert.match(cfg.export.blob.connectionString, new RegExp(`^DefaultEndpointsProtocol=https;AccountName=hestia[a-z0-9]{13};AccountKey=${STUBS.storageKey.replace(/[+=/]/g, '\\$&')};EndpointSuffix=core\\.windows\\.net$`));
      assert.ok(d.deployed.has('Microsoft.Storage/storageAccounts'));
      // The image's own settings still hold where the template sets nothing.
      assert.equal(cfg.port, 8080);
      assert.equal(cfg.host, '0.0.0.0');
    });
  }

  test('security settings: authority, audiences, allowed object ids; off when asked; refused without an authority', () => {
    const on = deploy({ storage: 'postgres', postgresAdminPassword: 'x', securityAudience: 'api://hestia, https://fhir.example.org', securityAllowedObjectIds: 'a1, b2' });
    const cfg = loadConfig(on.recording);
    assert.deepEqual(cfg.security.audience, ['api://hestia', 'https://fhir.example.org']);
    assert.deepEqual(cfg.security.allowedObjectIds, ['a1', 'b2']);
    assert.equal(cfg.security.smartProxy, false);
    assert.equal(loadConfig(deploy({ storage: 'postgres', postgresAdminPassword: 'x', enableSmartProxy: true }).env).security.smartProxy, true);
    const off = loadConfig(deploy({ storage: 'postgres', postgresAdminPassword: 'x', securityEnabled: false, securityAuthority: '' }).env);
    assert.equal(off.security.enabled, false);
    assert.throws(() => loadConfig(deploy({ storage: 'postgres', postgresAdminPassword: 'x', securityAuthority: '' }).env), /HESTIA_SECURITY_AUTHORITY/, 'security on without an authority: the server refuses to start');
  });

  test('options: CORS origins, STU3, export off, private registry credentials only when given', () => {
    const d = deploy({ storage: 'cosmos', corsOrigins: 'https://app.example.org', fhirVersion: 'stu3', bulkExport: false, registryUsername: '' });
    const cfg = loadConfig(d.recording);
    assert.deepEqual(cfg.cors.origins, ['https://app.example.org']);
    assert.equal(cfg.fhirVersion, 'stu3');
    assert.equal(cfg.export.enabled, false);
    assert.ok(!d.deployed.has('Microsoft.Storage/storageAccounts'), 'no storage account without export');
    assert.ok(!Object.keys(d.appSettings).some((k) => k.startsWith('DOCKER_REGISTRY_')));
    const priv = deploy({ storage: 'cosmos', registryServer: 'r.azurecr.io', registryUsername: 'r', registryPassword: 'pw' });
    assert.equal(priv.appSettings.DOCKER_REGISTRY_SERVER_URL, 'https://r.azurecr.io');
    assert.equal(priv.appSettings.DOCKER_REGISTRY_SERVER_USERNAME, 'r');
    assert.equal(priv.appSettings.DOCKER_REGISTRY_SERVER_PASSWORD, 'pw');
  });
});
