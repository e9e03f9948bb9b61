/** Unit tests for the Raft core's pure helpers: the log, progress/inflights, quorum, config. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RaftLog } from '../../../src/journal/raft/log.js';
import { Inflights, Progress, committedIndex, quorum, voteResult } from '../../../src/journal/raft/progress.js';
import { applyConfChange, configFromLog, decodeConfChange, encodeConfChange } from '../../../src/journal/raft/config.js';
import { RaftCore } from '../../../src/journal/raft/core.js';
import { type Entry, RaftInvariantError } from '../../../src/journal/raft/types.js';
import { NotLeaderError } from '../../../src/errors.js';
import { lcg } from './harness.js';

const ent = (term: number, index: number, data = `d${index}`): Entry => ({ term, index, type: 'normal', data });
const ents = (...terms: number[]): Entry[] => terms.map((t, i) => ent(t, i + 1));

test('log: restore, terms, up-to-date comparison', () => {
  const log = new RaftLog(undefined, ents(1, 1, 2), 2, undefined);
  assert.equal(log.lastIndex(), 3);
  assert.equal(log.lastTerm(), 2);
  assert.equal(log.term(0), 0);
  assert.equal(log.term(4), undefined);
  assert.equal(log.committed, 2);
  assert.equal(log.stabled, 3);
  assert.ok(log.isUpToDate(3, 2));
  assert.ok(log.isUpToDate(1, 3));
  assert.ok(!log.isUpToDate(5, 1));
  assert.ok(!log.isUpToDate(2, 2));
});

test('log: maybeAppend truncates a conflicting suffix, never committed entries', () => {
  const log = new RaftLog(undefined, ents(1, 1, 1, 1), 1, undefined);
  assert.equal(log.maybeAppend(5, 1, 3, []), undefined, 'gap');
  assert.equal(log.maybeAppend(2, 2, 3, []), undefined, 'term mismatch');
  const r = log.maybeAppend(2, 1, 3, [ent(1, 3), ent(2, 4, 'x'), ent(2, 5, 'y')]);
  assert.deepEqual(r, { lastNew: 5, truncatedAt: 4 });
  assert.equal(log.entry(4)!.data, 'x');
  assert.equal(log.stabled, 3, 'persisted suffix that was replaced is unstable again');
  assert.equal(log.committed, 3);
  assert.deepEqual(log.unstableEntries().map((e) => e.index), [4, 5]);
  // Already present: nothing truncated, nothing appended.
  assert.deepEqual(log.maybeAppend(1, 1, 3, [ent(1, 2)]), { lastNew: 2 });
  assert.equal(log.lastIndex(), 5);
  assert.throws(() => log.maybeAppend(1, 1, 3, [ent(9, 2)]), RaftInvariantError);
});

test('log: findConflictByTerm skips whole terms', () => {
  const log = new RaftLog(undefined, ents(1, 1, 2, 2, 4, 4, 4), 0, undefined);
  assert.equal(log.findConflictByTerm(7, 3), 4);
  assert.equal(log.findConflictByTerm(7, 4), 7);
  assert.equal(log.findConflictByTerm(3, 1), 2);
  assert.equal(log.findConflictByTerm(7, 0), 0);
  assert.equal(log.findConflictByTerm(10, 4), 7, 'clamped to last index');
});

test('log: compaction, snapshot restore, committed entries', () => {
  const log = new RaftLog(undefined, ents(1, 1, 1, 2), 3, undefined);
  assert.deepEqual(log.nextCommittedEntries().map((e) => e.index), [1, 2, 3]);
  log.appliedTo(3);
  assert.throws(() => log.compact({ index: 4, term: 2, voters: [], data: '' }), RaftInvariantError);
  log.compact({ index: 2, term: 1, voters: ['a'], data: 's' });
  assert.equal(log.firstIndex(), 3);
  assert.equal(log.term(2), 1);
  assert.equal(log.term(1), undefined);
  assert.equal(log.slice(2, 4), undefined, 'compacted');
  assert.deepEqual(log.slice(3, 4, 1)!.map((e) => e.index), [3]);
  const s = { index: 10, term: 3, voters: ['a', 'b'], data: 'snap' };
  log.restore(s);
  assert.equal(log.lastIndex(), 10);
  assert.equal(log.committed, 10);
  assert.equal(log.pendingSnapshot, s);
  assert.deepEqual(log.nextCommittedEntries(), []);
  log.snapshotApplied(s);
  assert.equal(log.applied, 10);
  assert.equal(log.pendingSnapshot, undefined);
});

test('inflights: bounded window freed by acknowledgements', () => {
  const f = new Inflights(3);
  f.add(2);
  f.add(4);
  f.add(6);
  assert.ok(f.full());
  f.freeLE(4);
  assert.equal(f.count, 1);
  f.freeFirst();
  assert.equal(f.count, 0);
});

test('progress: probe -> replicate, stale and fresh rejections, pausing', () => {
  const pr = new Progress(11, 2);
  assert.equal(pr.isPaused(), false);
  pr.sentEntries(0, 10);
  assert.ok(pr.isPaused(), 'one probe at a time');
  assert.equal(pr.maybeDecrTo(7, 3), false, 'stale: not the outstanding probe');
  assert.ok(pr.maybeDecrTo(10, 3));
  assert.equal(pr.next, 4, 'follows the hint');
  assert.ok(!pr.isPaused());
  assert.ok(pr.maybeUpdate(5));
  pr.becomeReplicate();
  assert.equal(pr.next, 6);
  pr.sentEntries(2, 7);
  pr.sentEntries(1, 8);
  assert.ok(pr.isPaused(), 'inflight window full');
  assert.equal(pr.next, 9);
  assert.equal(pr.maybeDecrTo(4, 0), false, 'below match: an answer to an older App');
  assert.ok(pr.maybeDecrTo(8, 5));
  assert.equal(pr.next, 6);
  assert.equal(pr.match, 5);
  pr.becomeSnapshot(20);
  assert.ok(pr.isPaused());
  pr.becomeProbe();
  assert.equal(pr.next, 21, 'after a snapshot, probe right after it');
});

test('progress: a follower that lost entries it acknowledged (storage wiped) is probed from its real end', () => {
  // [state before, rejected index, hint] -> match and next after. A rejection at match, or a hint
  // below match, cannot come from a follower that still holds match (issue #10, defect 7: such
  // rejections used to be dropped as stale and the follower stayed behind for ever).
  const cases: { name: string; setup: (p: Progress) => void; rejected: number; hint: number; match: number; next: number }[] = [
    { name: 'replicate, rejected at match, hint below', setup: (p) => { p.maybeUpdate(6); p.becomeReplicate(); }, rejected: 6, hint: 3, match: 0, next: 4 },
    { name: 'replicate, pipelined beyond match, hint below', setup: (p) => { p.maybeUpdate(6); p.becomeReplicate(); p.sentEntries(2, 8); }, rejected: 8, hint: 0, match: 0, next: 1 },
    { name: 'probe at match+1, hint below', setup: (p) => { p.maybeUpdate(6); p.becomeProbe(); p.sentEntries(0, 6); }, rejected: 6, hint: 3, match: 0, next: 4 },
    { name: 'replicate, healthy follower missing the pipelined tail', setup: (p) => { p.maybeUpdate(6); p.becomeReplicate(); p.sentEntries(2, 8); }, rejected: 8, hint: 7, match: 6, next: 7 },
  ];
  for (const c of cases) {
    const pr = new Progress(7, 4);
    c.setup(pr);
    assert.ok(pr.maybeDecrTo(c.rejected, c.hint), c.name);
    assert.deepEqual({ match: pr.match, next: pr.next, state: pr.state }, { match: c.match, next: c.next, state: 'probe' }, c.name);
  }
  const pr = new Progress(7, 4);
  pr.maybeUpdate(6);
  pr.becomeReplicate();
  pr.lostLog(0);
  assert.deepEqual(pr.status(), { match: 0, next: 1, state: 'probe' }, 'a heartbeat answer showing an empty log');
});

test('quorum helpers', () => {
  assert.deepEqual([1, 2, 3, 4, 5].map(quorum), [1, 2, 2, 3, 3]);
  const match: Record<string, number> = { a: 5, b: 3, c: 9, d: 1 };
  assert.equal(committedIndex(['a', 'b', 'c'], (id) => match[id]!), 5);
  assert.equal(committedIndex(['a', 'b', 'c', 'd'], (id) => match[id]!), 3);
  assert.equal(voteResult(['a', 'b', 'c'], new Map([['a', true]])), 'pending');
  assert.equal(voteResult(['a', 'b', 'c'], new Map([['a', true], ['b', true]])), 'won');
  assert.equal(voteResult(['a', 'b', 'c'], new Map([['a', true], ['b', false], ['c', false]])), 'lost');
  assert.equal(voteResult(['a', 'b', 'c'], new Map([['x', true], ['y', true], ['a', true]])), 'pending', 'non-voters do not count');
});

test('config: conf entries applied in log order', () => {
  assert.deepEqual(decodeConfChange(encodeConfChange({ op: 'add', node: 'n4' })), { op: 'add', node: 'n4' });
  assert.throws(() => decodeConfChange('{"op":"move"}'), RaftInvariantError);
  assert.deepEqual(applyConfChange(['b', 'a'], { op: 'add', node: 'c' }), ['a', 'b', 'c']);
  const log: Entry[] = [
    { term: 1, index: 1, type: 'conf', data: encodeConfChange({ op: 'add', node: 'x' }) },
    ent(1, 2),
    { term: 1, index: 3, type: 'conf', data: encodeConfChange({ op: 'remove', node: 'a' }) },
  ];
  assert.deepEqual(configFromLog(['a', 'b'], log), { voters: ['b', 'x'], lastConfIndex: 3 });
  assert.deepEqual(configFromLog(['a', 'b'], log, 2), { voters: ['a', 'b', 'x'], lastConfIndex: 1 });
});

test('core: a single node elects itself, commits and serves reads; advance discipline enforced', () => {
  const core = new RaftCore({ id: 'a', voters: ['a'], electionTicks: 5, heartbeatTicks: 1, random: lcg(1) });
  assert.throws(() => core.propose('x'), NotLeaderError);
  assert.deepEqual(core.roleInfo(), { role: 'follower', leader: '', term: core.status().term });
  for (let i = 0; i < 10; i++) core.tick();
  assert.equal(core.status().role, 'leader');
  const st = core.status();
  assert.deepEqual(core.roleInfo(), { role: 'leader', leader: 'a', term: st.term });
  assert.ok(st.term > 0);
  const i = core.propose('x');
  const rd = core.ready();
  assert.throws(() => core.ready(), RaftInvariantError);
  assert.equal(core.hasReady(), false, 'nothing more until advance');
  assert.deepEqual(rd.messages, []);
  assert.deepEqual(rd.entries.map((e) => e.index), [1, 2, 3]);
  // Its own copy counts only once durable: nothing of this term is committed yet.
  assert.equal(rd.hardState?.commit, 1);
  assert.deepEqual(rd.committedEntries.map((e) => e.index), [1]);
  core.advance(rd, false); // handed to the disk, not durable yet
  assert.equal(core.status().commit, 1, 'a single member commits only once its own write is durable');
  assert.equal(core.hasReady(), false);
  core.persisted(i, st.term);
  assert.equal(core.status().commit, i);
  core.readIndex('r');
  const rd2 = core.ready();
  assert.equal(rd2.hardState?.commit, i);
  assert.deepEqual(rd2.committedEntries.map((e) => e.index), [2, 3]);
  assert.deepEqual(rd2.readStates, [], 'not released before the read index is applied');
  core.advance(rd2);
  const rd3 = core.ready();
  assert.deepEqual(rd3.readStates, [{ index: i, context: 'r' }]);
  core.advance(rd3);
  assert.equal(core.hasReady(), false);
});

test('core: restart from durable state keeps term, vote and log; no bootstrap twice', () => {
  const cfg = { id: 'b', voters: ['a', 'b', 'c'], electionTicks: 5, heartbeatTicks: 1, random: lcg(2) };
  const restored = {
    hardState: { term: 7, vote: 'a', commit: 4 },
    entries: [...ents(1, 1, 1), ent(7, 4)].map((e, i) => (i < 3 ? { ...e, type: 'conf' as const, data: encodeConfChange({ op: 'add', node: ['a', 'b', 'c'][i]! }) } : e)),
  };
  const core = new RaftCore(cfg, restored);
  const st = core.status();
  assert.deepEqual([st.term, st.commit, st.lastIndex, st.applied], [7, 4, 4, 0]);
  assert.deepEqual(st.voters, ['a', 'b', 'c']);
  const rd = core.ready();
  assert.equal(rd.hardState, undefined, 'nothing new to persist');
  assert.deepEqual(rd.entries, []);
  assert.equal(rd.committedEntries.length, 4, 'replays committed entries to the state machine');
});
