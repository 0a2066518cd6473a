// Embedding Hestia's FHIR engine in your own Node server, without Express or Hestia's server package:
// plain FhirRequest in, FhirResponse out. Run: node --conditions=source --import tsx samples/embed-core/embed.ts
import { createServer } from 'node:http';
import { FhirEngine } from '@hestia/core';
import { createEmbeddedAdapter } from '@hestia/persistence-postgres';

const adapter = await createEmbeddedAdapter({ dataDir: 'memory://' });
await adapter.init();
const engine = new FhirEngine({ adapter });
await engine.init();

const server = createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const url = new URL(req.url ?? '/', 'http://localhost');
  const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
  const out = await engine.handle({ method: req.method ?? 'GET', path: url.pathname, query: [...url.searchParams], headers, body, baseUrl: `http://${req.headers.host}` });
  res.writeHead(out.status, { ...out.headers, ...(out.body ? { 'content-type': 'application/fhir+json' } : {}) });
  res.end(out.body ? JSON.stringify(out.body) : undefined);
});
server.listen(8081, () => console.log('Embedded Hestia engine on http://localhost:8081'));
