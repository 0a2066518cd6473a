// Storage kind `sqlserver`: its settings from the environment, their validation, and openStorage
// reaching for the configured server (none runs here, so the connection is refused).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../src/config.js';
import { openStorage } from '../src/storage.js';

test('sqlserver settings come from HESTIA_SQLSERVER_URL or host/user/password/database, encrypted by default', () => {
  const byUrl = loadConfig({ HESTIA_STORAGE: 'sqlserver', HESTIA_SQLSERVER_URL: 'Server=db;Database=fhir;User Id=u;Password=p', HESTIA_SQLSERVER_POOL_MAX: '4' });
  assert.equal(byUrl.storage.kind, 'sqlserver');
  assert.equal(byUrl.storage.sqlserver.url, 'Server=db;Database=fhir;User Id=u;Password=p');
  assert.equal(byUrl.storage.poolMax, 4);
  const byFields = loadConfig({ HESTIA_STORAGE: 'sqlserver', HESTIA_SQLSERVER_HOST: 'db', HESTIA_SQLSERVER_DATABASE: 'fhir', HESTIA_SQLSERVER_USER: 'u', HESTIA_SQLSERVER_PASSWORD: 'p' });
  assert.deepEqual(byFields.storage.sqlserver, { url: '', host: 'db', port: 1433, user: 'u', password: 'p', database: 'fhir', encrypt: true, trustServerCertificate: false });
  assert.equal(loadConfig({ HESTIA_STORAGE: 'sqlserver', HESTIA_SQLSERVER_URL: 'x', HESTIA_SQLSERVER_ENCRYPT: 'false' }).storage.sqlserver.encrypt, false);
  assert.throws(() => loadConfig({ HESTIA_STORAGE: 'sqlserver', HESTIA_SQLSERVER_HOST: 'db' }), /HESTIA_SQLSERVER_URL/);
  assert.throws(() => loadConfig({ HESTIA_STORAGE: 'oracle' }), /embedded, postgres, sqlserver/);
});

test('openStorage opens the SQL Server adapter (here: connection refused, reported as such)', async () => {
  const cfg = loadConfig({ HESTIA_STORAGE: 'sqlserver', HESTIA_SQLSERVER_URL: 'Server=tcp:127.0.0.1,1;Database=fhir;User Id=u;Password=p;Encrypt=false' });
  await assert.rejects(openStorage(cfg), /Failed to connect to 127\.0\.0\.1:1/);
});
