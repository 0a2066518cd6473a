// The $export file destinations: one behavioural suite run over the folder destination (temp dir)
// and the Azure Blob destination on Azurite (in-process, in memory), the latter configured by
// connection string, by account URL + shared key (with a prefix), and by account URL + container SAS.
// Then what is blob-only: configuration errors, init() creating the container, block staging.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  BlobServiceClient,
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
  RestError,
  StorageSharedKeyCredential,
  type ContainerClient,
} from '@azure/storage-blob';
import type { ExportDestination } from '../src/export/destination.js';
import { FolderDestination } from '../src/export/folder.js';
import { BlobDestination, type BlobDestinationConfig } from '../src/export/blob.js';
import { AZURITE_ACCOUNT, startAzurite, type Azurite } from './support/azurite.js';

/** Block size for the blob destinations: small, so that a few hundred bytes span many blocks. */
const BLOCK = 64;

async function readAll(r: Readable | undefined): Promise<Buffer | undefined> {
  if (!r) return undefined;
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(chunks);
}

/** A fresh, empty destination, and every file in it as sorted '<job>/<file>' names. */
interface Fixture {
  dest: ExportDestination;
  list(): Promise<string[]>;
  cleanup(): Promise<void>;
}

let azurite: Azurite;
before(async () => {
  azurite = await startAzurite();
});
after(async () => {
  await azurite?.stop();
});

let containers = 0;
/** A new container name per fixture, so tests do not see each other's blobs. */
const newContainer = (kind: string) => `t-${kind}-${++containers}-${randomBytes(3).toString('hex')}`;

async function listBlobs(container: ContainerClient, prefix = ''): Promise<string[]> {
  const names: string[] = [];
  for await (const b of container.listBlobsFlat()) {
    // A blob outside the prefix is listed unstripped, so exact comparisons catch it.
    names.push(b.name.startsWith(prefix) ? b.name.slice(prefix.length) : `(outside prefix) ${b.name}`);
  }
  return names.sort();
}

async function blobFixture(kind: string, config: (container: string) => Omit<BlobDestinationConfig, 'container'>, prefix?: string): Promise<Fixture> {
  const name = newContainer(kind);
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(name);
  // Created up front so that the container-scoped SAS fixture works too (it may not create one).
  await container.create();
  const dest = new BlobDestination({ container: name, prefix, ...config(name) }, { blockSize: BLOCK });
  await dest.init();
  return {
    dest,
    list: () => listBlobs(container, prefix ? `${prefix}/` : ''),
    cleanup: async () => {
      await container.delete();
    },
  };
}

const subjects: { name: string; make(): Promise<Fixture> }[] = [
  {
    name: 'folder',
    async make() {
      const root = await mkdtemp(join(tmpdir(), 'hestia-export-dest-'));
      const dest = new FolderDestination(join(root, 'exports'));
      await dest.init();
      return {
        dest,
        async list() {
          const out: string[] = [];
          for (const job of await readdir(join(root, 'exports'))) {
            for (const f of await readdir(join(root, 'exports', job))) out.push(`${job}/${f}`);
          }
          return out.sort();
        },
        cleanup: () => rm(root, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'blob (connection string)',
    make: () => blobFixture('cs', () => ({ connectionString: azurite.connectionString })),
  },
  {
    name: 'blob (account URL + key, prefix)',
    make: () => blobFixture('key', () => ({ accountUrl: azurite.accountUrl, accountKey: azurite.accountKey }), 'hestia/exports'),
  },
  {
    name: 'blob (account URL + container SAS)',
    make: () => blobFixture('sas', (containerName) => ({
      accountUrl: azurite.accountUrl,
      sasToken: generateBlobSASQueryParameters(
        { containerName, permissions: ContainerSASPermissions.parse('racwdl'), expiresOn: new Date(Date.now() + 3600_000) },
        new StorageSharedKeyCredential(AZURITE_ACCOUNT, azurite.accountKey),
      ).toString(),
    })),
  },
];

/**
 * Chunks around the block size: a partial block, a chunk bigger than several blocks, one that ends
 * exactly on a block boundary, exactly one block from a boundary, an empty chunk, exactly two blocks,
 * and a tail that only commit stages. 455 bytes = 7 full blocks + 7 bytes.
 */
const CHUNK_SIZES = [10, 200, 46, BLOCK, 0, 2 * BLOCK, 7];
const chunks = () => CHUNK_SIZES.map((n) => randomBytes(n));

async function writeFile(dest: ExportDestination, job: string, file: string, parts: Buffer[]): Promise<void> {
  const w = await dest.create(job, file);
  for (const p of parts) await w.write(p);
  await w.commit();
}

for (const subject of subjects) {
  describe(`export destination: ${subject.name}`, () => {
    let fx: Fixture;
    let dest: ExportDestination;
    before(async () => {
      fx = await subject.make();
      dest = fx.dest;
    });
    after(async () => {
      await fx?.cleanup();
    });
    // Each test uses its own job ids; the listing checks that nothing else is left around.
    let jobs = 0;
    const job = () => `job-${++jobs}`;

    test('a file written in chunks is invisible until commit, then reads back byte for byte', async () => {
      const j = job();
      const parts = chunks();
      const w = await dest.create(j, 'Patient-1.ndjson');
      for (const p of parts) {
        await w.write(p);
        assert.equal(await dest.read(j, 'Patient-1.ndjson'), undefined);
      }
      assert.deepEqual((await fx.list()).filter((n) => n.startsWith(`${j}/`) && !n.endsWith('.partial')), []);
      await w.commit();
      assert.deepEqual(await readAll(await dest.read(j, 'Patient-1.ndjson')), Buffer.concat(parts));
      assert.deepEqual((await fx.list()).filter((n) => n.startsWith(`${j}/`)), [`${j}/Patient-1.ndjson`]);
      // Once committed, the writer is closed.
      await assert.rejects(w.write(Buffer.from('more')));
    });

    test('an empty file can be committed', async () => {
      const j = job();
      await writeFile(dest, j, 'Empty.ndjson', []);
      assert.deepEqual(await readAll(await dest.read(j, 'Empty.ndjson')), Buffer.alloc(0));
    });

    test('a chunk buffer reused by the caller after write() does not change the file', async () => {
      const j = job();
      const buf = Buffer.from('0123456789');
      const w = await dest.create(j, 'Reuse.ndjson');
      await w.write(buf);
      buf.fill('x');
      await w.write(Buffer.from('!'));
      await w.commit();
      assert.equal((await readAll(await dest.read(j, 'Reuse.ndjson')))!.toString(), '0123456789!');
    });

    test('committing the same name again replaces the content (also with a shorter file)', async () => {
      const j = job();
      const first = chunks();
      await writeFile(dest, j, 'Observation-1.ndjson', first);
      const second = [Buffer.from('{"resourceType":"Observation"}\n')];
      await writeFile(dest, j, 'Observation-1.ndjson', second);
      assert.deepEqual(await readAll(await dest.read(j, 'Observation-1.ndjson')), second[0]);
      assert.deepEqual((await fx.list()).filter((n) => n.startsWith(`${j}/`)), [`${j}/Observation-1.ndjson`]);
    });

    test('abort leaves no file, and does not damage an earlier file of the same name', async () => {
      const j = job();
      const w = await dest.create(j, 'New.ndjson');
      for (const p of chunks()) await w.write(p);
      await w.abort();
      assert.equal(await dest.read(j, 'New.ndjson'), undefined);

      const kept = chunks();
      await writeFile(dest, j, 'Kept.ndjson', kept);
      const again = await dest.create(j, 'Kept.ndjson');
      for (const p of chunks()) await again.write(p);
      await again.abort();
      assert.deepEqual(await readAll(await dest.read(j, 'Kept.ndjson')), Buffer.concat(kept));
      assert.deepEqual((await fx.list()).filter((n) => n.startsWith(`${j}/`)), [`${j}/Kept.ndjson`]);
      // After abort, the writer is closed.
      await assert.rejects(again.commit());
      assert.deepEqual(await readAll(await dest.read(j, 'Kept.ndjson')), Buffer.concat(kept));
    });

    test('reading a missing file or a missing job gives undefined', async () => {
      const j = job();
      await writeFile(dest, j, 'Present.ndjson', [Buffer.from('x\n')]);
      assert.equal(await dest.read(j, 'Absent.ndjson'), undefined);
      assert.equal(await dest.read('no-such-job', 'Present.ndjson'), undefined);
    });

    test('jobs are isolated, and removeJob removes only that job, idempotently', async () => {
      const a = job();
      const b = job();
      const before = await fx.list();
      await writeFile(dest, a, 'Patient-1.ndjson', [Buffer.from('a1\n')]);
      await writeFile(dest, a, 'Patient-2.ndjson', [Buffer.from('a2\n')]);
      await writeFile(dest, b, 'Patient-1.ndjson', [Buffer.from('b1\n')]);
      assert.equal((await readAll(await dest.read(a, 'Patient-1.ndjson')))!.toString(), 'a1\n');
      assert.equal((await readAll(await dest.read(b, 'Patient-1.ndjson')))!.toString(), 'b1\n');
      assert.deepEqual(await fx.list(), [...before, `${a}/Patient-1.ndjson`, `${a}/Patient-2.ndjson`, `${b}/Patient-1.ndjson`].sort());

      await dest.removeJob(a);
      assert.deepEqual(await fx.list(), [...before, `${b}/Patient-1.ndjson`].sort());
      assert.equal(await dest.read(a, 'Patient-1.ndjson'), undefined);
      assert.equal((await readAll(await dest.read(b, 'Patient-1.ndjson')))!.toString(), 'b1\n');

      await dest.removeJob(a);
      await dest.removeJob('never-existed');
      assert.deepEqual(await fx.list(), [...before, `${b}/Patient-1.ndjson`].sort());
    });

    test('a job id that is a prefix of another job id does not take the other job with it', async () => {
      const j = job();
      await writeFile(dest, j, 'A.ndjson', [Buffer.from('short\n')]);
      await writeFile(dest, `${j}0`, 'A.ndjson', [Buffer.from('long\n')]);
      await dest.removeJob(j);
      assert.equal(await dest.read(j, 'A.ndjson'), undefined);
      assert.equal((await readAll(await dest.read(`${j}0`, 'A.ndjson')))!.toString(), 'long\n');
    });

    test('unsafe job and file names are rejected', async () => {
      const before = await fx.list();
      for (const bad of ['../x', 'a/b', '.hidden', '', 'a\\b']) {
        await assert.rejects(dest.create(bad, 'ok.ndjson'), /Unsafe export file name/, `job ${JSON.stringify(bad)}`);
        await assert.rejects(dest.create('ok-job', bad), /Unsafe export file name/, `file ${JSON.stringify(bad)}`);
        await assert.rejects(dest.read(bad, 'ok.ndjson'), /Unsafe export file name/);
        await assert.rejects(dest.read('ok-job', bad), /Unsafe export file name/);
        await assert.rejects(dest.removeJob(bad), /Unsafe export file name/);
      }
      assert.deepEqual(await fx.list(), before);
    });
  });
}

describe('blob destination only', () => {
  const key = () => ({ accountUrl: azurite.accountUrl, accountKey: azurite.accountKey });

  test('an incomplete or contradictory configuration throws a clear error', () => {
    const cases: [Partial<BlobDestinationConfig>, RegExp][] = [
      [{ container: 'exports' }, /a connection string, or an account URL with an account key or SAS token, is required/],
      [{ container: 'exports', accountKey: 'k' }, /a connection string, or an account URL with an account key or SAS token, is required/],
      [{ container: 'exports', accountUrl: 'https://acct.blob.core.windows.net' }, /needs exactly one of an account key or a SAS token/],
      [{ container: 'exports', accountUrl: 'https://acct.blob.core.windows.net', accountKey: 'k', sasToken: 'sv=x' }, /needs exactly one of an account key or a SAS token/],
      [{ container: 'exports', connectionString: 'UseDevelopmentStorage=true', accountUrl: 'https://acct.blob.core.windows.net' }, /either a connection string or an account URL .* not both/],
      [{ container: 'exports', accountUrl: 'not a url', accountKey: 'k' }, /account URL 'not a url' is not a URL/],
      [{ container: 'exports', accountUrl: 'ftp://acct.example', accountKey: 'k' }, /must be http\(s\)/],
      [{ container: 'exports', accountUrl: 'http://127.0.0.1:10000', accountKey: 'k' }, /cannot tell the account name/],
      [{ container: 'exports', accountUrl: 'https://acct.blob.core.windows.net?sv=x', sasToken: 'sv=x' }, /must not carry a query/],
      [{ connectionString: azurite.connectionString }, /container '' is not a valid container name/],
      [{ container: 'Exports', connectionString: azurite.connectionString }, /container 'Exports' is not a valid container name/],
      [{ container: 'ex--ports', connectionString: azurite.connectionString }, /not a valid container name/],
      [{ container: 'exports', connectionString: azurite.connectionString, prefix: '../up' }, /prefix '..\/up' must be/],
    ];
    for (const [config, message] of cases) {
      assert.throws(() => new BlobDestination(config as BlobDestinationConfig), message, JSON.stringify(config));
    }
    assert.throws(() => new BlobDestination({ container: 'exports', ...key() }, { blockSize: 0 }), /block size must be a positive integer/);
    // Complete configurations are accepted without contacting the service.
    assert.equal(new BlobDestination({ container: 'exports', accountUrl: 'https://acct.blob.core.windows.net/', accountKey: azurite.accountKey }).kind, 'blob');
    assert.equal(new BlobDestination({ container: 'exports', accountUrl: 'https://acct.blob.core.windows.net', sasToken: '?sv=2024-01-01&sig=x' }).kind, 'blob');
  });

  test('init() creates a missing container, and is idempotent', async () => {
    const name = newContainer('init');
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(name);
    assert.equal(await container.exists(), false);
    const dest = new BlobDestination({ container: name, ...key() });
    await dest.init();
    assert.equal(await container.exists(), true);
    await dest.init();
    await writeFile(dest, 'job', 'A.ndjson', [Buffer.from('a\n')]);
    assert.deepEqual(await listBlobs(container), ['job/A.ndjson']);
    await container.delete();
  });

  test('init() with a container SAS fails clearly when the container does not exist', async () => {
    const name = newContainer('nosas');
    const sasToken = generateBlobSASQueryParameters(
      { containerName: name, permissions: ContainerSASPermissions.parse('racwdl'), expiresOn: new Date(Date.now() + 3600_000) },
      new StorageSharedKeyCredential(AZURITE_ACCOUNT, azurite.accountKey),
    ).toString();
    const dest = new BlobDestination({ container: name, accountUrl: azurite.accountUrl, sasToken });
    await assert.rejects(dest.init(), new RegExp(`container '${name}' cannot be created with these credentials \\(403\\) and cannot be listed \\(404 ContainerNotFound\\)`));
  });

  test('blocks are staged while writing (one uploading, one filling at most) and committed as the list', async () => {
    const name = newContainer('blocks');
    const dest = new BlobDestination({ container: name, connectionString: azurite.connectionString }, { blockSize: BLOCK });
    await dest.init();
    const blob = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(name).getBlockBlobClient('job/Big.ndjson');
    const parts = chunks();
    const w = await dest.create('job', 'Big.ndjson');
    // A block is staged as soon as it is full (also when a chunk ends exactly on a block boundary);
    // when write() returns, every full block but the last is on the service, the last one may still
    // be uploading.
    const stagedAfterEachWrite: number[] = [];
    for (const p of parts) {
      await w.write(p);
      // Get Block List answers 404 while the blob has no block at all.
      const list = await blob.getBlockList('uncommitted').catch((e: RestError) => (e.statusCode === 404 ? undefined : Promise.reject(e)));
      stagedAfterEachWrite.push(list?.uncommittedBlocks?.length ?? 0);
    }
    const full = [0, 3, 4, 5, 5, 7, 7];
    stagedAfterEachWrite.forEach((n, i) => {
      const uploading = full[i] > (full[i - 1] ?? 0) ? 1 : 0;
      assert.ok(n >= full[i] - uploading && n <= full[i], `after write ${i + 1}: ${n} blocks staged of ${full[i]} full (${stagedAfterEachWrite})`);
    });
    // Before commit: only full blocks are on the service, uncommitted; the 7-byte tail is still in memory.
    const staged = await blob.getBlockList('all');
    assert.ok(staged.uncommittedBlocks!.length >= 6 && staged.uncommittedBlocks!.every((b) => b.size === BLOCK));
    assert.deepEqual(staged.committedBlocks ?? [], []);
    await w.commit();
    const committed = await blob.getBlockList('all');
    assert.deepEqual(committed.committedBlocks?.map((b) => b.size), [BLOCK, BLOCK, BLOCK, BLOCK, BLOCK, BLOCK, BLOCK, 7]);
    assert.equal(new Set(committed.committedBlocks!.map((b) => b.name.length)).size, 1);
    assert.deepEqual(committed.uncommittedBlocks ?? [], []);
    const props = await blob.getProperties();
    assert.equal(props.contentLength, 455);
    assert.equal(props.contentType, 'application/fhir+ndjson');
    assert.deepEqual(await readAll(await dest.read('job', 'Big.ndjson')), Buffer.concat(parts));
  });

  test('a missing container reads as no file, and removeJob on it is fine', async () => {
    const dest = new BlobDestination({ container: newContainer('absent'), ...key() });
    assert.equal(await dest.read('job', 'A.ndjson'), undefined);
    await dest.removeJob('job');
  });
});
