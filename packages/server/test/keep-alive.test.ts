// Idle kept-alive connections stay open longer than a load balancer's idle timeout (65 s by default,
// HESTIA_KEEP_ALIVE_SECONDS), and the server says so in its Keep-Alive header.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer } from '../src/server.js';
import { loadConfig } from '../src/config.js';

function keepAliveHeader(url: string): Promise<string | undefined> {
  const agent = new http.Agent({ keepAlive: true });
  return new Promise((resolve, reject) => {
    http.get(`${url}/metadata`, { agent }, (res) => {
      res.resume();
      res.on('end', () => {
        agent.destroy();
        resolve(res.headers['keep-alive']);
      });
    }).on('error', reject);
  });
}

test('kept-alive connections: 65 s by default, HESTIA_KEEP_ALIVE_SECONDS otherwise, announced in Keep-Alive', async () => {
  for (const [setting, expected] of [[undefined, 'timeout=65'], ['120', 'timeout=120']] as const) {
    const s = await startServer({ port: 0, host: '127.0.0.1', storage: { kind: 'embedded', dataDir: 'memory://' } }, { HESTIA_AUDIT_CONSOLE: 'false', ...(setting ? { HESTIA_KEEP_ALIVE_SECONDS: setting } : {}) });
    try {
      assert.equal(s.server.keepAliveTimeout, Number(expected.slice(8)) * 1000);
      assert.ok(s.server.headersTimeout > s.server.keepAliveTimeout);
      assert.equal(await keepAliveHeader(s.url), expected);
    } finally {
      await s.close();
    }
  }
  assert.throws(() => loadConfig({ HESTIA_KEEP_ALIVE_SECONDS: '0' }), /HESTIA_KEEP_ALIVE_SECONDS/);
  assert.throws(() => loadConfig({ HESTIA_KEEP_ALIVE_SECONDS: 'long' }), /HESTIA_KEEP_ALIVE_SECONDS/);
});
