// Connection settings (both connection string forms, encryption on by default) as knex hands them
// to tedious, and the mapping of SQL Server errors to FhirErrors.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import knexFactory from 'knex';
import { RequestError } from 'tedious';
import { FhirError } from '@hestia/core';
import { knexConfig, parseConnectionString, resolveSettings } from '../src/connection.js';
import { translateError } from '../src/errors.js';
import { lockName } from '../src/store.js';

/** The tedious configuration knex's mssql client builds from our settings (no connection is opened). */
async function tediousConfig(opts: Parameters<typeof knexConfig>[0]) {
  const knex = knexFactory(knexConfig(opts));
  try {
    return (knex.client as unknown as { _generateConnection(): { server: string; authentication: { options: Record<string, unknown> }; options: Record<string, unknown> } })._generateConnection();
  } finally {
    await knex.destroy();
  }
}

describe('connection settings', () => {
  test('an ADO.NET connection string as the Azure portal shows it', () => {
    assert.deepEqual(parseConnectionString('Server=tcp:hestia.database.windows.net,1433;Initial Catalog=fhir;Persist Security Info=False;User ID=app;Password={p;a=ss};MultipleActiveResultSets=False;Encrypt=True;TrustServerCertificate=False;Connection Timeout=30;'), {
      host: 'hestia.database.windows.net', port: 1433, database: 'fhir', user: 'app', password: 'p;a=ss', encrypt: true, trustServerCertificate: false, connectTimeoutMs: 30000,
    });
    assert.deepEqual(parseConnectionString('Data Source=db1\\SQLEXPRESS;Database=fhir;Uid=sa;Pwd=x'), { host: 'db1', instanceName: 'SQLEXPRESS', database: 'fhir', user: 'sa', password: 'x' });
  });

  test('a mssql:// URL', () => {
    assert.deepEqual(parseConnectionString('mssql://sa:p%40ss@localhost:1433/hestia?encrypt=true&trustServerCertificate=true'), {
      host: 'localhost', port: 1433, user: 'sa', password: 'p@ss', database: 'hestia', encrypt: true, trustServerCertificate: true,
    });
  });

  test('fields given separately win over the connection string', () => {
    assert.deepEqual(resolveSettings({ connectionString: 'Server=a;Database=b;User Id=u;Password=p', database: 'c', password: 'q' }), { host: 'a', database: 'c', user: 'u', password: 'q' });
  });

  test('encrypted by default, server certificate checked, XACT_ABORT on', async () => {
    const c = await tediousConfig({ host: 'db.example.org', user: 'u', password: 'p', database: 'fhir' });
    assert.equal(c.server, 'db.example.org');
    assert.equal(c.authentication.options.userName, 'u');
    assert.equal(c.options.database, 'fhir');
    assert.equal(c.options.port, 1433);
    assert.equal(c.options.encrypt, true);
    assert.equal(c.options.trustServerCertificate, false);
    assert.equal(c.options.abortTransactionOnError, true);
    assert.equal(c.options.enableArithAbort, true);
    assert.equal(c.options.useUTC, true);
  });

  test('encryption can be turned off and a container certificate trusted; a named instance has no port', async () => {
    const c = await tediousConfig({ connectionString: 'Server=localhost\\SQL2022;Database=x;User Id=sa;Password=p;Encrypt=false;TrustServerCertificate=true' });
    assert.equal(c.options.encrypt, false);
    assert.equal(c.options.trustServerCertificate, true);
    assert.equal(c.options.instanceName, 'SQL2022');
    assert.equal(c.options.port, undefined);
  });

  test('no host is an error', () => {
    assert.throws(() => knexConfig({ database: 'x' }), /no host/);
  });
});

describe('errors', () => {
  const sqlError = (number: number) => Object.assign(new RequestError(`error ${number}`, 'EREQUEST'), { number });

  test('deadlock victim, lock timeout and snapshot conflicts are a retryable 409', () => {
    for (const n of [1205, 1222, 3960]) {
      const e = translateError(sqlError(n));
      assert.ok(e instanceof FhirError);
      assert.equal(e.status, 409);
      assert.equal(e.outcome.issue[0].code, 'transient');
    }
  });

  test('a duplicate key is a 409 conflict, also when a failed rollback wraps it', () => {
    const rollbackFailed = Object.assign(sqlError(3903), { originalError: sqlError(2627) });
    const e = translateError(rollbackFailed);
    assert.ok(e instanceof FhirError);
    assert.equal(e.status, 409);
    assert.equal(e.outcome.issue[0].code, 'conflict');
  });

  test('a FhirError thrown inside a transaction comes out unchanged; other errors pass through', () => {
    const fhir = new FhirError(412, 'conflict', 'x');
    assert.equal(translateError(Object.assign(new Error('rollback'), { originalError: fhir })), fhir);
    const other = sqlError(208);
    assert.equal(translateError(other), other);
  });
});

test('application lock names fit sp_getapplock (255 characters) and differ per key', () => {
  const a = lockName(`create:Patient?${'identifier=x&'.repeat(100)}`);
  assert.ok(a.length <= 255);
  assert.notEqual(a, lockName('create:Patient?identifier=y'));
  assert.equal(a, lockName(`create:Patient?${'identifier=x&'.repeat(100)}`));
});
