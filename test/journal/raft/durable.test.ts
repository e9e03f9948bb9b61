/**
 * The leader's own write (issue #14, Raft thesis §10.2.1; core.ts "Leader's own write"): a
 * leader counts its own copy of an entry toward a commit only once its disk made it durable
 * (persisted()), followers count by their acknowledgements (sent only once durable), so two
 * followers can commit an entry whose leader has not written it yet, and a leader whose own
 * write is done cannot commit alone. Nodes here run with slow disks (TestNode.slowDisk): a
 * leader's writes wait until the test completes them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message, NodeId } from '../../../src/journal/raft/types.js';
import { TestNode, lcg } from './harness.js';

class Cluster {
  readonly nodes = new Map<NodeId, TestNode>();
  bag: Message[] = [];
  readonly down = new Set<NodeId>();

  /** No leader lease (checkQuorum off): a test elects whom it likes with campaign(). */
  constructor(ids: NodeId[]) {
    for (const id of ids) {
      const n = new TestNode({ id, voters: ids, electionTicks: 10, heartbeatTicks: 1, random: lcg(Number(id)), checkQuorum: false });
      n.slowDisk = true;
      this.nodes.set(id, n);
    }
  }

  node(id: NodeId): TestNode { return this.nodes.get(id)!; }

  /** Handle Readys and deliver messages (except to `hold`) until nothing moves. */
  settle(hold: NodeId[] = []): void {
    for (let round = 0; round < 100; round++) {
      let moved = false;
      for (const n of this.nodes.values()) {
        if (this.down.has(n.id)) continue;
        const rd = n.processReady();
        if (rd) { moved = true; this.bag.push(...rd.messages); }
      }
      const kept: Message[] = [];
      for (const m of this.bag) {
        if (this.down.has(m.to) || this.down.has(m.from)) { moved = true; continue; }
        if (hold.includes(m.to)) { kept.push(m); continue; }
        this.node(m.to).core.step(m);
        moved = true;
      }
      this.bag = kept;
      if (!moved) return;
    }
    throw new Error('the cluster did not settle in 100 rounds');
  }

  /** Every running node's disk finishes what it was handed; then settle. */
  flush(): void {
    for (const n of this.nodes.values()) if (!this.down.has(n.id)) n.completeWrites();
    this.settle();
  }

  /** Elect node `id` (its elections writes all complete). */
  elect(id: NodeId): void {
    this.node(id).core.campaign();
    this.settle();
    this.flush();
    assert.equal(this.node(id).core.status().role, 'leader');
  }
}

test('three members: two followers that hold an entry durably commit it while the leader has not written it yet', () => {
  const c = new Cluster(['1', '2', '3']);
  c.elect('1');
  const leader = c.node('1');
  const i = leader.core.propose('x');
  c.settle();
  assert.equal(leader.diskQueue.length > 0, true, "the leader's own write is still on its way");
  assert.ok(leader.core.durableIndex() < i);
  assert.equal(leader.core.status().commit, i, 'committed by the two followers');
  assert.deepEqual(leader.sm.map((a) => a.data), ['x'], 'applied (and its caller answered) before its own write is done');
  leader.completeWrites();
  assert.equal(leader.core.durableIndex(), i);
});

test('three members: a leader whose own write is durable commits nothing without a follower; one follower is enough', () => {
  const c = new Cluster(['1', '2', '3']);
  c.elect('1');
  const leader = c.node('1');
  const before = leader.core.status().commit;
  const i = leader.core.propose('y');
  c.settle(['2', '3']); // the appends do not arrive
  leader.completeWrites();
  c.settle(['2', '3']);
  assert.equal(leader.core.durableIndex(), i);
  assert.equal(leader.core.status().commit, before, 'its own durable copy alone is no majority');
  assert.equal(leader.sm.length, 0);
  // One follower's durable copy and the leader's make two of three.
  c.settle(['3']);
  assert.equal(leader.core.status().commit, i);
  assert.deepEqual(leader.sm.map((a) => a.data), ['y']);
});

test('three members: a leader with one follower commits only once its own write is durable', () => {
  const c = new Cluster(['1', '2', '3']);
  c.elect('1');
  const leader = c.node('1');
  const before = leader.core.status().commit;
  const i = leader.core.propose('z');
  c.settle(['3']);
  assert.equal(c.node('2').core.logView().durable, i, 'follower 2 holds it durably');
  assert.equal(leader.core.status().commit, before, 'one follower alone is no majority while the leader has not written it');
  leader.completeWrites();
  c.settle(['3']);
  assert.equal(leader.core.status().commit, i);
});

test('a single member commits only once its own write is durable', () => {
  const c = new Cluster(['1']);
  for (let t = 0; t < 30 && c.node('1').core.status().role !== 'leader'; t++) { c.node('1').core.tick(); c.settle(); }
  const n = c.node('1');
  c.flush();
  const i = n.core.propose('w');
  c.settle();
  assert.ok(n.core.status().commit < i);
  assert.equal(n.sm.length, 0);
  c.flush();
  assert.equal(n.core.status().commit, i);
  assert.deepEqual(n.sm.map((a) => a.data), ['w']);
});

test('a leader that crashes before its own write is durable loses the entry locally; the majority keeps it and gives it back', () => {
  const c = new Cluster(['1', '2', '3']);
  c.elect('1');
  const old = c.node('1');
  const i = old.core.propose('kept');
  c.settle();
  assert.equal(old.core.status().commit, i);
  assert.deepEqual(old.sm.map((a) => a.data), ['kept'], 'applied: its caller was answered');
  // Crash: the write never reached its disk.
  c.down.add('1');
  old.diskQueue.length = 0;
  old.restart();
  assert.ok(old.core.status().lastIndex < i, 'lost locally');
  c.bag = [];
  c.elect('2');
  c.down.delete('1');
  c.node('2').core.tick(); // a heartbeat: its probe of 1 went nowhere while 1 was down
  c.flush();
  const next = c.node('2').core.propose('after');
  c.flush();
  c.node('2').core.tick(); // followers learn the commit index with the next append or heartbeat
  c.settle();
  for (const n of c.nodes.values()) {
    const data = n.core.logView().entries.filter((e) => e.type === 'normal' && e.data !== '').map((e) => e.data);
    assert.deepEqual(data, ['kept', 'after'], `member ${n.id}'s log`);
    assert.ok(n.core.status().commit >= next);
  }
  assert.deepEqual(old.sm.map((a) => a.data), ['kept', 'after'], 'the restarted member applied it again from the new leader');
});

test("a durability report for entries the log no longer holds (another leader's entries replaced them) is ignored", () => {
  const c = new Cluster(['1', '2', '3']);
  c.elect('1');
  const old = c.node('1');
  const i = old.core.propose('lost');
  c.settle(['2', '3']); // the append reaches no one
  assert.equal(old.diskQueue.length, 1);
  const term = old.core.status().term;
  // The others elect 2, which commits a different entry at i.
  c.down.add('1');
  c.bag = [];
  c.node('2').core.campaign();
  c.flush(); // (1 is down: its write stays pending)
  c.node('2').core.propose('won');
  c.flush();
  // 1 comes back (its process kept running, its write was slow) and follows 2: its entry i is replaced.
  c.down.delete('1');
  c.node('2').core.tick();
  c.settle();
  assert.notEqual(old.core.logView().entries.find((e) => e.index === i)?.term, term, 'replaced');
  const durable = old.core.logView().durable;
  old.core.persisted(i, term); // the old write's report, late
  assert.equal(old.core.logView().durable, durable, 'ignored: it names an entry the log no longer holds');
  c.flush();
  c.node('2').core.tick(); // the commit index reaches 1 with the next heartbeat
  c.settle();
  for (const n of c.nodes.values()) {
    assert.deepEqual(n.sm.map((a) => a.data), ['won'], `member ${n.id} applied only the committed entry`);
  }
});
