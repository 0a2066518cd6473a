// The Azure Blob Storage destination: blob <prefix><job id>/<file> in one container. A file is written
// as a block blob: blocks are staged as data arrives and the block list is committed at the end, so
// nothing is visible before commit, memory stays at about one block whatever the file size, and an
// abandoned write leaves only uncommitted blocks, which the service discards by itself.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  BlobServiceClient,
  RestError,
  StorageSharedKeyCredential,
  type ContainerClient,
} from '@azure/storage-blob';
import { safeName, type ExportDestination, type ExportFileWriter } from './destination.js';

export interface BlobDestinationConfig {
  container: string;
  /** Either a connection string ... */
  connectionString?: string;
  /** ... or the account URL (https://<account>.blob.core.windows.net, or http://host:port/<account>
   *  for an emulator) with a shared key or a SAS token. */
  accountUrl?: string;
  accountKey?: string;
  sasToken?: string;
  /** Folder inside the container, e.g. 'exports/' (a missing trailing '/' is added). */
  prefix?: string;
}

export interface BlobDestinationOptions {
  /** Bytes per staged block (default 4 MiB). A file can have at most 50,000 blocks. */
  blockSize?: number;
}

const DEFAULT_BLOCK_SIZE = 4 * 1024 * 1024;
/** The service's limit of committed blocks per blob (about 195 GiB at 4 MiB). */
const MAX_BLOCKS = 50_000;
// Container names: 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit.
const CONTAINER = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;

export class BlobDestination implements ExportDestination {
  readonly kind = 'blob';
  private readonly container: ContainerClient;
  private readonly prefix: string;
  private readonly blockSize: number;

  constructor(config: BlobDestinationConfig, options: BlobDestinationOptions = {}) {
    if (!config.container || !CONTAINER.test(config.container)) {
      throw new Error(`Blob export destination: container '${config.container ?? ''}' is not a valid container name (3-63 lowercase letters, digits and single hyphens).`);
    }
    this.blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
    if (!Number.isInteger(this.blockSize) || this.blockSize < 1) throw new Error(`Blob export destination: block size must be a positive integer, not ${this.blockSize}.`);
    this.prefix = normalizePrefix(config.prefix);
    this.container = serviceClient(config).getContainerClient(config.container);
  }

  async init(): Promise<void> {
    try {
      await this.container.createIfNotExists();
    } catch (e) {
      // A SAS scoped to the container may not create it (403) but is fine if the container exists:
      // check by listing, which removeJob needs anyway.
      if (!(e instanceof RestError && e.statusCode === 403)) throw e;
      try {
        await this.container.listBlobsFlat().byPage({ maxPageSize: 1 }).next();
      } catch (e2) {
        const why = e2 instanceof RestError ? `${e2.statusCode} ${e2.code ?? ''}`.trim() : String(e2);
        throw new Error(`Blob export destination: container '${this.container.containerName}' cannot be created with these credentials (403) and cannot be listed (${why}).`);
      }
    }
  }

  async create(jobId: string, fileName: string): Promise<ExportFileWriter> {
    const blob = this.container.getBlockBlobClient(this.blobName(jobId, fileName));
    const blockSize = this.blockSize;
    // Block ids must all have the same length within a blob, uncommitted ones included; the random
    // part keeps a writer from overwriting blocks staged by another writer of the same file.
    const writerId = randomBytes(8).toString('hex');
    const ids: string[] = [];
    let pending: Buffer[] = [];
    let pendingSize = 0;
    let state: 'open' | 'failed' | 'done' = 'open';
    // One block uploads while the exporter reads the next page: at most one in flight, so memory
    // stays at about two blocks. Its failure surfaces at the next write or at commit.
    let inflight: Promise<void> = Promise.resolve();

    const stage = async (data: Buffer) => {
      await inflight;
      if (ids.length === MAX_BLOCKS) throw new Error(`Export file '${fileName}' of job '${jobId}' exceeds ${MAX_BLOCKS} blocks of ${blockSize} bytes.`);
      const id = Buffer.from(`${writerId}-${String(ids.length).padStart(6, '0')}`).toString('base64');
      ids.push(id);
      inflight = blob.stageBlock(id, data, data.length).then(() => undefined);
      inflight.catch(() => undefined); // (handled where it is awaited; never an unhandled rejection)
    };
    const checkOpen = () => {
      if (state !== 'open') throw new Error(`Export file '${fileName}' of job '${jobId}' is ${state === 'done' ? 'already committed or aborted' : 'broken by an earlier error'}.`);
    };
    const guarded = async (work: () => Promise<void>) => {
      checkOpen();
      try {
        await work();
      } catch (e) {
        state = 'failed';
        throw e;
      }
    };

    return {
      write: (chunk) => guarded(async () => {
        let offset = 0;
        // Fill and stage whole blocks; keep the remainder (copied: the caller may reuse its buffer).
        while (pendingSize + (chunk.length - offset) >= blockSize) {
          const take = blockSize - pendingSize;
          pending.push(chunk.subarray(offset, offset + take));
          offset += take;
          const block = Buffer.concat(pending, blockSize);
          pending = [];
          pendingSize = 0;
          await stage(block);
        }
        if (offset < chunk.length) {
          pending.push(Buffer.from(chunk.subarray(offset)));
          pendingSize += chunk.length - offset;
        }
      }),
      commit: () => guarded(async () => {
        if (pendingSize > 0) await stage(Buffer.concat(pending, pendingSize));
        pending = [];
        pendingSize = 0;
        await inflight;
        // Replaces any earlier blob of that name; blocks not in the list are discarded.
        await blob.commitBlockList(ids, { blobHTTPHeaders: { blobContentType: contentType(fileName) } });
        state = 'done';
      }),
      abort: async () => {
        // Nothing was committed, so nothing is visible; the staged blocks expire on the service.
        pending = [];
        pendingSize = 0;
        state = 'done';
      },
    };
  }

  async read(jobId: string, fileName: string): Promise<Readable | undefined> {
    const blob = this.container.getBlockBlobClient(this.blobName(jobId, fileName));
    try {
      const res = await blob.download();
      const body = res.readableStreamBody;
      if (!body) return undefined;
      return body instanceof Readable ? body : Readable.from(body);
    } catch (e) {
      if (isNotFound(e)) return undefined; // no such blob, or no container yet
      throw e;
    }
  }

  async removeJob(jobId: string): Promise<void> {
    const prefix = `${this.prefix}${safeName(jobId)}/`;
    // List first, then delete: a job has a handful of files, and deleting while paging is not needed.
    const names: string[] = [];
    try {
      for await (const b of this.container.listBlobsFlat({ prefix })) names.push(b.name);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    for (const name of names) await this.container.deleteBlob(name, { deleteSnapshots: 'include' }).catch((e) => {
      if (!isNotFound(e)) throw e; // deleted meanwhile by another remover
    });
  }

  private blobName(jobId: string, fileName: string): string {
    return `${this.prefix}${safeName(jobId)}/${safeName(fileName)}`;
  }
}

function contentType(fileName: string): string {
  return fileName.endsWith('.ndjson') ? 'application/fhir+ndjson' : 'application/octet-stream';
}

function isNotFound(e: unknown): boolean {
  return e instanceof RestError && e.statusCode === 404;
}

function normalizePrefix(prefix: string | undefined): string {
  if (!prefix) return '';
  const segments = prefix.replace(/\/+$/, '').split('/');
  for (const s of segments) {
    try {
      safeName(s);
    } catch {
      throw new Error(`Blob export destination: prefix '${prefix}' must be '/'-separated safe names (letters, digits, '.', '_', '-').`);
    }
  }
  return `${segments.join('/')}/`;
}

/** The service client for the configured credentials; throws when the configuration is incomplete. */
function serviceClient(config: BlobDestinationConfig): BlobServiceClient {
  const { connectionString, accountUrl, accountKey, sasToken } = config;
  if (connectionString) {
    if (accountUrl || accountKey || sasToken) {
      throw new Error('Blob export destination: give either a connection string or an account URL with a key or SAS token, not both.');
    }
    return BlobServiceClient.fromConnectionString(connectionString);
  }
  if (!accountUrl) {
    throw new Error('Blob export destination: a connection string, or an account URL with an account key or SAS token, is required.');
  }
  if (!accountKey === !sasToken) {
    throw new Error(`Blob export destination: account URL '${accountUrl}' needs exactly one of an account key or a SAS token.`);
  }
  let url: URL;
  try {
    url = new URL(accountUrl);
  } catch {
    throw new Error(`Blob export destination: account URL '${accountUrl}' is not a URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`Blob export destination: account URL '${accountUrl}' must be http(s).`);
  if (url.search || url.hash) throw new Error(`Blob export destination: account URL '${accountUrl}' must not carry a query (give the SAS token separately).`);
  const base = url.href.replace(/\/+$/, '');
  if (sasToken) return new BlobServiceClient(`${base}?${sasToken.replace(/^\?/, '')}`);
  return new BlobServiceClient(base, new StorageSharedKeyCredential(accountName(url), accountKey!));
}

/**
 * The account name for the shared key: the first path segment for a path-style URL (emulators:
 * http://127.0.0.1:10000/devstoreaccount1), otherwise the first label of the host
 * (https://myaccount.blob.core.windows.net).
 */
function accountName(url: URL): string {
  const fromPath = url.pathname.split('/').find(Boolean);
  if (fromPath) return fromPath;
  const host = url.hostname;
  // An IP address or localhost carries no account name: the URL must be path-style.
  if (host === 'localhost' || /^[\d.]+$/.test(host) || host.startsWith('[')) {
    throw new Error(`Blob export destination: cannot tell the account name from account URL '${url.href}' (use https://<account>.blob.core.windows.net or http://host:port/<account>).`);
  }
  return host.split('.')[0];
}
