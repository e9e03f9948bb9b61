/**
 * Checkpointer (src/journal/local/checkpoint.ts): the checkpoint rules the local journal and the
 * shared UFS journal's leader share: requested checkpoints run one at a time in request order,
 * automatic ones start once a period's entries were applied and never twice at once, a written
 * checkpoint is a file, the index and a snapshot-taken event, and pruning keeps the newest two.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Checkpointer, CHECKPOINTS_KEPT, listCheckpoints } from '../../src/journal/local/checkpoint.js';
import { JournalEvents } from '../../src/journal/events.js';
import { ConfigError } from '../../src/errors.js';

function setup(t: { after(fn: () => void): void }, periodEntries = 10) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'checkpointer-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const events = new JournalEvents(10, () => 0);
  const logged: string[] = [];
  const ckpt = new Checkpointer({ dir, periodEntries, fsync: false, events, log: (m) => logged.push(m) });
  return { dir, events, logged, ckpt };
}

/** A promise and the functions that settle it. */
function deferred(): { promise: Promise<void>; resolve(): void; reject(e: Error): void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

test('a period that is not positive is a ConfigError naming the key', () => {
  for (const p of [0, -1, Number.NaN]) {
    assert.throws(() => new Checkpointer({ dir: '/nonexistent', periodEntries: p, fsync: false, events: new JournalEvents(), log: () => {} }),
      (e: unknown) => e instanceof ConfigError && e.message === `checkpointPeriodEntries must be > 0, got ${p}`);
  }
});

test('run: one at a time in request order; a failed one rejects its caller only; idle waits for all', async (t) => {
  const { ckpt } = setup(t);
  const order: string[] = [];
  const first = deferred();
  const a = ckpt.run(async () => { order.push('a start'); await first.promise; order.push('a end'); });
  const b = ckpt.run(async () => { order.push('b'); throw new Error('b failed'); });
  const c = ckpt.run(async () => { order.push('c'); });
  let idle = false;
  const waiting = ckpt.idle().then(() => { idle = true; });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['a start'], 'b and c wait for a');
  assert.equal(idle, false);
  first.resolve();
  await a;
  await assert.rejects(b, /b failed/);
  await c;
  await waiting;
  assert.deepEqual(order, ['a start', 'a end', 'b', 'c']);
});

test('maybe: starts once a period was applied since the last checkpoint, never twice at once; a failure is logged', async (t) => {
  const { ckpt, logged } = setup(t, 10);
  let requests = 0;
  const pending = deferred();
  const request = () => { requests++; return pending.promise; };
  ckpt.maybe(9, request);
  assert.equal(requests, 0, '9 entries: not a period yet');
  ckpt.maybe(10, request);
  ckpt.maybe(25, request);
  assert.equal(requests, 1, 'one automatic checkpoint at a time');
  pending.reject(new Error('disk on fire'));
  await pending.promise.catch(() => undefined);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(logged, ['journal: automatic checkpoint failed: disk on fire']);
  ckpt.index = 20;
  ckpt.maybe(29, () => { requests++; return Promise.resolve(); });
  assert.equal(requests, 1, 'counted from the newest checkpoint (20)');
  ckpt.maybe(30, () => { requests++; return Promise.resolve(); });
  assert.equal(requests, 2, 'the failed one no longer blocks the next');
});

test('write: the checkpoint file, the index and a snapshot-taken event (with the epoch when given); prune keeps the newest two', async (t) => {
  const { dir, events, ckpt } = setup(t);
  await ckpt.write(5, Buffer.from('five'));
  assert.equal(ckpt.index, 5);
  await ckpt.write(9, Buffer.from('nine'), 3);
  await ckpt.write(12, Buffer.from('twelve'), 3);
  assert.equal(ckpt.index, 12);
  assert.deepEqual(events.list().map(({ kind, index, term, detail }) => ({ kind, index, term, detail })), [
    { kind: 'snapshot-taken', index: 12, term: 3, detail: 'wrote checkpoint 12 (epoch 3)' },
    { kind: 'snapshot-taken', index: 9, term: 3, detail: 'wrote checkpoint 9 (epoch 3)' },
    { kind: 'snapshot-taken', index: 5, term: undefined, detail: 'wrote checkpoint 5' },
  ]);
  assert.ok(!('term' in events.list()[2]!), 'no epoch: no term');
  assert.deepEqual(listCheckpoints(dir).map((c) => c.index), [12, 9, 5]);
  ckpt.prune();
  assert.equal(CHECKPOINTS_KEPT, 2);
  assert.deepEqual(listCheckpoints(dir).map((c) => c.index), [12, 9]);
});
