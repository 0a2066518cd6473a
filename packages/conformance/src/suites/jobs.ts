// The job store ($export jobs): create, read, compare-and-set updates, claims that never hand one
// job to two workers, take-over of jobs whose worker stopped beating, listing and deletion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { JobRecord } from '@hestia/core';
import type { Fixture } from '../index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function jobsSuite(fx: Fixture): void {
  // Each test uses its own kind, so that claims only see that test's jobs.
  const kind = () => `test-${randomUUID().slice(0, 8)}`;

  test('jobs: a created job is queued at version 1 and reads back with its data; a second create with the same id is refused', async () => {
    const k = kind();
    const id = randomUUID();
    const created = await fx.adapter.jobs.createJob({ id, kind: k, owner: 'alice', data: { types: ['Patient'], n: 1, nested: { a: [1, 'x', null] } } });
    assert.deepEqual([created.id, created.kind, created.status, created.owner, created.version, created.heartbeatAt, created.worker], [id, k, 'queued', 'alice', 1, undefined, undefined]);
    const read = await fx.adapter.jobs.getJob(id);
    assert.deepEqual(read, created);
    assert.ok(!Number.isNaN(Date.parse(read!.createdAt)));
    await assert.rejects(fx.adapter.jobs.createJob({ id, kind: k, owner: 'bob', data: {} }), (e: { status?: number }) => e.status === 409);
    assert.equal((await fx.adapter.jobs.getJob(id))!.owner, 'alice');
    assert.equal(await fx.adapter.jobs.getJob(randomUUID()), undefined);
  });

  test('jobs: an update applies only at the expected version, increments it, and a heartbeat is kept only while running', async () => {
    const k = kind();
    const job = await fx.adapter.jobs.createJob({ id: randomUUID(), kind: k, owner: 'alice', data: { step: 0 } });
    const v2 = await fx.adapter.jobs.updateJob(job.id, 1, { status: 'running', heartbeat: true, data: { step: 1 } });
    assert.ok(v2);
    assert.deepEqual([v2.status, v2.version, v2.data], ['running', 2, { step: 1 }]);
    assert.ok(v2.heartbeatAt && Date.parse(v2.heartbeatAt) >= Date.parse(job.createdAt));
    // A stale writer (still at version 1) changes nothing.
    assert.equal(await fx.adapter.jobs.updateJob(job.id, 1, { status: 'failed' }), undefined);
    assert.deepEqual((await fx.adapter.jobs.getJob(job.id))!.data, { step: 1 });
    const v3 = await fx.adapter.jobs.updateJob(job.id, 2, { status: 'completed' });
    assert.deepEqual([v3!.status, v3!.version, v3!.data, v3!.heartbeatAt], ['completed', 3, { step: 1 }, undefined]);
    assert.equal(await fx.adapter.jobs.updateJob(randomUUID(), 1, { status: 'failed' }), undefined);
  });

  test('jobs: claims take the oldest queued job first, each job once, even with claims racing', async () => {
    const k = kind();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push((await fx.adapter.jobs.createJob({ id: `job-${i}-${randomUUID()}`, kind: k, owner: 'alice', data: { i } })).id);
      await sleep(3); // distinct creation instants
    }
    const future = new Date(Date.now() - 60_000).toISOString();
    const first = await fx.adapter.jobs.claimJob(k, 'worker-a', future);
    assert.deepEqual([first!.id, first!.status, first!.worker, first!.version], [ids[0], 'running', 'worker-a', 2]);
    assert.ok(first!.heartbeatAt);
    const raced = await Promise.all([1, 2, 3, 4, 5].map((w) => fx.adapter.jobs.claimJob(k, `worker-${w}`, future)));
    const got = raced.filter((j): j is JobRecord => !!j).map((j) => j.id).sort();
    assert.deepEqual(got, ids.slice(1).sort(), 'every remaining job claimed exactly once');
    assert.equal(await fx.adapter.jobs.claimJob(k, 'worker-z', future), undefined);
    assert.deepEqual((await fx.adapter.jobs.listJobs(k, 'running')).map((j) => j.id), ids);
    assert.deepEqual(await fx.adapter.jobs.listJobs(k, 'queued'), []);
  });

  test('jobs: a running job whose heartbeat is older than the stale limit is taken over; a fresh one is not; finished jobs never are', async () => {
    const k = kind();
    const job = await fx.adapter.jobs.createJob({ id: randomUUID(), kind: k, owner: 'alice', data: {} });
    const claimed = (await fx.adapter.jobs.claimJob(k, 'worker-a', new Date(0).toISOString()))!;
    assert.equal(claimed.worker, 'worker-a');
    // Heartbeat is fresh relative to a limit in the past: not stale.
    assert.equal(await fx.adapter.jobs.claimJob(k, 'worker-b', new Date(Date.now() - 60_000).toISOString()), undefined);
    await sleep(5);
    const taken = await fx.adapter.jobs.claimJob(k, 'worker-b', new Date(Date.now() + 1000).toISOString());
    assert.deepEqual([taken!.id, taken!.worker, taken!.version], [job.id, 'worker-b', 3]);
    // The first worker's next checkpoint (at its old version) fails: it has lost the job.
    assert.equal(await fx.adapter.jobs.updateJob(job.id, claimed.version, { heartbeat: true }), undefined);
    await fx.adapter.jobs.updateJob(job.id, taken!.version, { status: 'cancelled' });
    assert.equal(await fx.adapter.jobs.claimJob(k, 'worker-c', new Date(Date.now() + 1000).toISOString()), undefined);
    assert.deepEqual((await fx.adapter.jobs.listJobs(k, 'cancelled')).map((j) => j.id), [job.id]);
  });

  test('jobs: delete removes a job once', async () => {
    const job = await fx.adapter.jobs.createJob({ id: randomUUID(), kind: kind(), owner: 'alice', data: {} });
    assert.equal(await fx.adapter.jobs.deleteJob(job.id), true);
    assert.equal(await fx.adapter.jobs.getJob(job.id), undefined);
    assert.equal(await fx.adapter.jobs.deleteJob(job.id), false);
  });
}
