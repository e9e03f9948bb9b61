/**
 * The journal's event ring (src/journal/events.ts): bounded, newest first, listeners, leader
 * changes recorded once per leader and term with the previous leader, and counted as
 * Master.JournalLeaderChanges exactly when recorded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JournalEvents } from '../../src/journal/events.js';
import { journalMetrics } from '../../src/metrics/index.js';

test('the ring keeps the newest `capacity` events, newest first, and counts the dropped ones', () => {
  let t = 1000;
  const ev = new JournalEvents(3, () => t++);
  for (let i = 1; i <= 5; i++) ev.record({ kind: 'snapshot-taken', index: i * 10, detail: `s${i}` });
  assert.deepEqual(ev.list(), [
    { seq: 5, timeMs: 1004, kind: 'snapshot-taken', index: 50, detail: 's5' },
    { seq: 4, timeMs: 1003, kind: 'snapshot-taken', index: 40, detail: 's4' },
    { seq: 3, timeMs: 1002, kind: 'snapshot-taken', index: 30, detail: 's3' },
  ]);
  assert.equal(ev.dropped, 2);
  assert.equal(ev.capacity, 3);
  // list() is a copy: changing it changes nothing inside.
  ev.list().pop();
  assert.equal(ev.list().length, 3);
  assert.throws(() => new JournalEvents(0), /positive integer, got 0/);
});

test('listeners get every event from their subscription on, until they unsubscribe; a throwing listener stops nothing', () => {
  const ev = new JournalEvents(10, () => 7);
  const seen: number[] = [];
  ev.onEvent(() => { throw new Error('listener bug'); });
  const off = ev.onEvent((e) => seen.push(e.seq));
  ev.record({ kind: 'transfer', detail: 'a' });
  ev.record({ kind: 'transfer', detail: 'b' });
  off();
  ev.record({ kind: 'transfer', detail: 'c' });
  assert.deepEqual(seen, [1, 2]);
  assert.equal(ev.list().length, 3);
});

test('leader(): one event per new leader or term, naming the previous leader; the same leader and term again is no event', () => {
  const ev = new JournalEvents(10, () => 5);
  assert.equal(ev.leader('', 1, 'x'), undefined, 'no leader is no event');
  assert.deepEqual(ev.leader('m1:19200', 2, 'election by m1:19200 after the election timeout (no word from a leader)'), {
    seq: 1, timeMs: 5, kind: 'leader', term: 2, oldLeader: '', newLeader: 'm1:19200', reason: 'election by m1:19200 after the election timeout (no word from a leader)',
    detail: 'leader m1:19200 in term 2: election by m1:19200 after the election timeout (no word from a leader)',
  });
  assert.equal(ev.leader('m1:19200', 2, 'again'), undefined);
  assert.deepEqual(ev.leader('m2:19200', 3, undefined), { seq: 2, timeMs: 5, kind: 'leader', term: 3, oldLeader: 'm1:19200', newLeader: 'm2:19200', detail: 'leader m1:19200 -> m2:19200 in term 3' });
  assert.equal(ev.leader('m2:19200', 4, 'quorum re-elected it')?.detail, 'leader m2:19200 -> m2:19200 in term 4: quorum re-elected it');
  assert.equal(ev.lastLeader(), 'm2:19200');
  assert.deepEqual(ev.list().map((e) => e.seq), [3, 2, 1]);
});

test('Master.JournalLeaderChanges counts the leader events, nothing else', () => {
  const ev = new JournalEvents(10, () => 5);
  const count = () => journalMetrics.leaderChanges.count;
  const before = count();
  ev.leader('', 1, undefined);
  ev.record({ kind: 'step-down', term: 1, oldLeader: 'm1:19200', detail: 'stood down' });
  ev.record({ kind: 'election', newLeader: 'm1:19200', reason: 'won', detail: 'won' });
  assert.equal(count(), before, 'no leader known, a step-down, an election won: no leader change');
  ev.leader('m1:19200', 1, undefined);
  ev.leader('m1:19200', 1, 'again');
  ev.leader('m2:19200', 2, undefined);
  ev.leader('m2:19200', 3, undefined);
  assert.equal(count() - before, ev.list().filter((e) => e.kind === 'leader').length);
  assert.equal(count() - before, 3);
});
