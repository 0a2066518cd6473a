// The quick start: `packages/server/src/main.ts` on the embedded database, as a real process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../../', import.meta.url).pathname;

function startMain(dataDir: string, port: number): { child: ChildProcess; output: () => string; ready: Promise<string>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'packages/server/src/main.ts'], {
    cwd: root,
    env: { ...process.env, HESTIA_DATA_DIR: dataDir, HESTIA_PORT: String(port), HESTIA_HOST: '127.0.0.1', HESTIA_STORAGE: 'embedded' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening on')) resolve(out);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', () => reject(new Error(`exited: ${out}`)));
  });
  ready.catch(() => undefined);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, output: () => out, ready, exited };
}

test('the embedded server starts, keeps its data across a restart, and refuses a second process on the same folder', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hestia-embedded-'));
  const dataDir = join(dir, 'data');
  const port = 18000 + Math.floor(Math.random() * 2000);
  try {
    const first = startMain(dataDir, port);
    await first.ready;
    const meta = await fetch(`http://127.0.0.1:${port}/metadata`);
    assert.equal(meta.status, 200);
    const cap = await meta.json();
    assert.equal(cap.resourceType, 'CapabilityStatement');
    // Security off (the quick start): no security section and no SMART configuration.
    assert.equal(cap.rest[0].security, undefined);
    assert.equal((await fetch(`http://127.0.0.1:${port}/.well-known/smart-configuration`)).status, 404);
    const created = await (await fetch(`http://127.0.0.1:${port}/Patient/persist-1`, {
      method: 'PUT', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Patient', id: 'persist-1', name: [{ family: 'Kept' }] }),
    })).json();
    assert.equal(created.meta.versionId, '1');

    const second = startMain(dataDir, port + 1);
    assert.equal(await second.exited, 1);
    assert.match(second.output(), /in use by another Hestia process/);

    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);

    const again = startMain(dataDir, port + 2);
    await again.ready;
    const read = await fetch(`http://127.0.0.1:${port + 2}/Patient/persist-1`);
    assert.equal(read.status, 200);
    assert.equal((await read.json()).name[0].family, 'Kept');
    again.child.kill('SIGTERM');
    assert.equal(await again.exited, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
