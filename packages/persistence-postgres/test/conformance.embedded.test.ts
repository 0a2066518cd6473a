// The conformance kit on the embedded database (PGlite, in a temporary folder).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConformance } from '@hestia/conformance';
import { createEmbeddedAdapter } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'hestia-pglite-'));
runConformance({
  name: 'embedded (PGlite)',
  async open() {
    const adapter = await createEmbeddedAdapter({ dataDir: join(dir, 'db') });
    await adapter.init();
    return adapter;
  },
  async close(adapter) {
    await adapter.close();
    rmSync(dir, { recursive: true, force: true });
  },
});
