/** RaftStorage: what is saved is what a restart restores, through overwrites, snapshots and compaction. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RaftStorage } from '../../../src/journal/raft/storage.js';
import type { Entry } from '../../../src/journal/raft/types.js';
import { dataLength } from '../../harness/journalFiles.js';

const ents = (from: number, to: number, term: number): Entry[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ term, index: from + i, type: 'normal' as const, data: `d${from + i}t${term}` }));

function tmp(): string { return fs.mkdtempSync(path.join(os.tmpdir(), 'raft-storage-')); }

async function reopen(dir: string, opts = {}) {
  return RaftStorage.open(dir, opts);
}

test('a fresh directory restores the empty state', async () => {
  const dir = tmp();
  const { storage, state, warnings } = RaftStorage.open(dir);
  assert.deepEqual(state, { hardState: { term: 0, vote: '', commit: 0 }, entries: [] });
  assert.deepEqual(warnings, []);
  await storage.close();
});

test('hard state and entries survive a restart; a rewritten suffix replaces the old one', async () => {
  const dir = tmp();
  let { storage } = RaftStorage.open(dir);
  await storage.save({ hardState: { term: 1, vote: 'a', commit: 0 }, entries: ents(1, 5, 1) });
  await storage.save({ hardState: { term: 2, vote: 'b', commit: 3 }, entries: ents(4, 6, 2) });
  await storage.close();
  const r = await reopen(dir);
  assert.deepEqual(r.state.hardState, { term: 2, vote: 'b', commit: 3 });
  assert.deepEqual(r.state.entries, [...ents(1, 3, 1), ...ents(4, 6, 2)]);
  assert.equal(r.state.snapshot, undefined);
  await r.storage.close();
});

test('a snapshot taken locally keeps the log after it; compaction deletes old segments; a restart agrees', async () => {
  const dir = tmp();
  let { storage } = RaftStorage.open(dir, { segmentBytes: 600 });
  for (let i = 1; i <= 40; i += 4) await storage.save({ hardState: { term: 3, vote: 'a', commit: i + 3 }, entries: ents(i, i + 3, 3) });
  const before = fs.readdirSync(path.join(dir, 'wal')).length;
  const deleted = await storage.compact({ index: 30, term: 3, voters: ['a', 'b', 'c'], data: 'state@30' });
  assert.ok(deleted.length > 0, 'old segments deleted');
  assert.ok(fs.readdirSync(path.join(dir, 'wal')).length < before);
  await storage.save({ entries: ents(41, 42, 3) });
  await storage.close();
  const r = await reopen(dir, { segmentBytes: 600 });
  assert.deepEqual(r.state.snapshot, { index: 30, term: 3, voters: ['a', 'b', 'c'], data: 'state@30' });
  assert.deepEqual(r.state.entries, ents(31, 42, 3));
  assert.deepEqual(r.state.hardState, { term: 3, vote: 'a', commit: 40 });
  await r.storage.close();
});

test('a snapshot installed from the leader replaces a divergent log, and keeps a matching one', async () => {
  const dir = tmp();
  let { storage } = RaftStorage.open(dir);
  await storage.save({ hardState: { term: 1, vote: 'a', commit: 2 }, entries: ents(1, 5, 1) });
  // Divergent: the leader's log has term 3 at index 8.
  await storage.save({ hardState: { term: 3, vote: '', commit: 8 }, entries: [], snapshot: { index: 8, term: 3, voters: ['a', 'b', 'c'], data: 's8' } });
  await storage.save({ entries: ents(9, 10, 3) });
  await storage.close();
  let r = await reopen(dir);
  assert.deepEqual(r.state.snapshot?.index, 8);
  assert.deepEqual(r.state.entries, ents(9, 10, 3));
  // Matching: a snapshot at 9 (term 3) keeps entry 10.
  await r.storage.save({ entries: [], snapshot: { index: 9, term: 3, voters: ['a', 'b', 'c'], data: 's9' } });
  await r.storage.close();
  r = await reopen(dir);
  assert.deepEqual(r.state.snapshot, { index: 9, term: 3, voters: ['a', 'b', 'c'], data: 's9' });
  assert.deepEqual(r.state.entries, ents(10, 10, 3));
  await r.storage.close();
});

test('a torn last record is dropped with a warning; everything saved before it is restored', async () => {
  const dir = tmp();
  const { storage } = RaftStorage.open(dir);
  await storage.save({ hardState: { term: 1, vote: 'a', commit: 1 }, entries: ents(1, 3, 1) });
  await storage.close();
  const wal = path.join(dir, 'wal');
  const seg = path.join(wal, fs.readdirSync(wal).sort().at(-1)!);
  fs.appendFileSync(seg, Buffer.from([50, 0, 0, 0, 9, 9]));
  const r = await reopen(dir);
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0]!, /torn tail/);
  assert.deepEqual(r.state.entries, ents(1, 3, 1));
  await r.storage.close();
});

/** Bytes of data in the WAL segments (segments are preallocated): grows exactly when something is written. */
function walBytes(dir: string): number {
  return fs.readdirSync(path.join(dir, 'wal')).reduce((n, f) => n + dataLength(path.join(dir, 'wal', f)), 0);
}

/** What a restart after a crash right now would restore (a copy of the directory, opened). */
function afterCrash(dir: string) {
  const copy = tmp();
  fs.cpSync(dir, copy, { recursive: true });
  const r = RaftStorage.open(copy);
  void r.storage.close();
  return r.state;
}

test('a change of the commit index alone waits for the next write or a clean stop; term and vote are written at once', async () => {
  const dir = tmp();
  const { storage } = RaftStorage.open(dir);
  await storage.save({ hardState: { term: 1, vote: 'a', commit: 0 }, entries: ents(1, 3, 1) });
  const size = walBytes(dir);
  await storage.save({ hardState: { term: 1, vote: 'a', commit: 3 }, entries: [] });
  assert.equal(walBytes(dir), size, 'no write for a commit-only change');
  assert.deepEqual(storage.hardState, { term: 1, vote: 'a', commit: 3 });
  assert.deepEqual(afterCrash(dir).hardState, { term: 1, vote: 'a', commit: 0 }, 'a crash may lose the commit hint, never entries');
  assert.deepEqual(afterCrash(dir).entries, ents(1, 3, 1));

  await storage.save({ entries: ents(4, 4, 1) });
  assert.deepEqual(afterCrash(dir).hardState, { term: 1, vote: 'a', commit: 3 }, 'the pending commit goes out with the next entries');

  const before = walBytes(dir);
  await storage.save({ hardState: { term: 2, vote: '', commit: 3 }, entries: [] });
  assert.ok(walBytes(dir) > before, 'a new term is durable at once');
  await storage.save({ hardState: { term: 2, vote: 'b', commit: 3 }, entries: [] });
  assert.deepEqual(afterCrash(dir).hardState, { term: 2, vote: 'b', commit: 3 }, 'a vote is durable at once');

  await storage.save({ hardState: { term: 2, vote: 'b', commit: 4 }, entries: [] });
  await storage.close();
  const r = await reopen(dir);
  assert.deepEqual(r.state.hardState, { term: 2, vote: 'b', commit: 4 }, 'a clean stop records the commit index');
  await r.storage.close();
});
