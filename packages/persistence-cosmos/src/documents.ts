// The documents. Every resource is its own logical partition (pk = "Type/id"): one current document
// (resources container, id = the FHIR id) carrying the index and sort values, and one version
// document per superseded version (history container, id = "<id>@<versionId>"; '@' cannot occur
// in a FHIR id).
import type { Resource, StoredVersion, WriteOp } from '@hestia/core';
import { emptyIndex, encodeNumber, sortValues, toDocIndex, type DocIndex, type SortValues } from './doc-index.js';

export interface VersionFields {
  id: string;
  pk: string;
  /** 'resource' = the current version (resources container); 'version' = a superseded one (history container). */
  doc: 'resource' | 'version';
  type: string;
  fid: string;
  vid: number;
  /** lastUpdated as core wrote it, and as epoch ms for range tests. */
  lu: string;
  ts: number;
  del: boolean;
  res?: Resource;
  /** History order: newest first by ORDER BY hk DESC; unique per version. */
  hk: string;
}

export interface CurrentDoc extends VersionFields {
  doc: 'resource';
  idx: DocIndex;
  srt: SortValues;
}

export interface VersionDoc extends VersionFields { doc: 'version' }

/** What Cosmos adds to every stored document. */
export interface SystemFields { _etag?: string; _ts?: number; _rid?: string; _self?: string; _attachments?: string }

export const partitionKey = (type: string, id: string) => `${type}/${id}`;
export const versionDocId = (id: string, versionId: number) => `${id}@${versionId}`;

/** Newest first: time, then resource, then version; the current document and its copy share it. */
export function historyKey(ts: number, pk: string, versionId: number): string {
  return `${encodeNumber(ts)}\u0001${pk}\u0001${String(versionId).padStart(10, '0')}`;
}

/** The current document of the version a write creates. */
export function currentDoc(op: WriteOp): CurrentDoc {
  const pk = partitionKey(op.resourceType, op.id);
  const ts = Date.parse(op.lastUpdated);
  const deleted = op.op === 'delete';
  const idx = deleted ? emptyIndex() : toDocIndex(op.index);
  return {
    id: op.id, pk, doc: 'resource', type: op.resourceType, fid: op.id, vid: op.versionId, lu: op.lastUpdated, ts, del: deleted,
    ...(deleted || !op.resource ? {} : { res: op.resource }),
    hk: historyKey(ts, pk, op.versionId),
    idx,
    srt: deleted ? {} : sortValues(idx, { id: op.id, ts, pk }),
  };
}

/** The copy of a current document kept as history once a newer version replaces it. */
export function versionCopy(cur: VersionFields): VersionDoc {
  const { id: _id, doc: _doc, pk, type, fid, vid, lu, ts, del, res, hk } = cur;
  return { id: versionDocId(fid, vid), pk, doc: 'version', type, fid, vid, lu, ts, del, ...(res ? { res } : {}), hk };
}

export function toStoredVersion(d: Pick<VersionFields, 'type' | 'fid' | 'vid' | 'lu' | 'del' | 'res'>): StoredVersion {
  return {
    resourceType: d.type,
    id: d.fid,
    versionId: d.vid,
    lastUpdated: d.lu,
    deleted: d.del,
    ...(d.del || !d.res ? {} : { resource: d.res }),
  };
}

/** The fields a search or history query projects to build a StoredVersion. */
export const VERSION_COLUMNS = 'c.type, c.fid, c.vid, c.lu, c.del, c.res';
