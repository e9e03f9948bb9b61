/**
 * RaftJournal (driver + core + storage) with three nodes on the in-memory network: one leader,
 * proposals applied everywhere in order, a follower's proposal refused with the leader's id,
 * restart from disk, failover after the leader goes away (and at once when its process dies: the
 * connections reset), snapshots.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RaftJournal } from '../../../src/journal/raft/driver.js';
import { MemoryNetwork } from '../../../src/journal/raft/transport.js';
import type { AnyEntry, StateMachine } from '../../../src/journal/types.js';
import { InvalidArgumentError, JournalCorruptError, NotLeaderError } from '../../../src/errors.js';

class Kv implements StateMachine {
  m = new Map<string, string>();
  log: string[] = [];
  /** An entry type this node's decode refuses (as a master of another version would). */
  refuse = '';
  decode(v: unknown): AnyEntry {
    if ((v as AnyEntry).type === this.refuse) throw new InvalidArgumentError(`unknown entry type ${this.refuse}`);
    return v as AnyEntry;
  }
  apply(e: AnyEntry): unknown {
    if (e.type === 'fail') throw new Error(`rejected ${String(e.k)}`);
    this.m.set(String(e.k), String(e.v));
    this.log.push(String(e.k));
    return this.m.size;
  }
  snapshot(): Buffer { return Buffer.from(JSON.stringify({ m: [...this.m], log: this.log })); }
  restore(b: Buffer): void { const s = JSON.parse(b.toString()); this.m = new Map(s.m); this.log = s.log; }
}

const ids = ['a', 'b', 'c'];

async function cluster(dir: string, net: MemoryNetwork, opts: { snapshotEvery?: number; log?: (msg: string) => void } = {}) {
  const nodes = new Map<string, { j: RaftJournal; sm: Kv }>();
  for (const id of ids) nodes.set(id, await startNode(dir, net, id, opts));
  return nodes;
}

async function startNode(dir: string, net: MemoryNetwork, id: string, opts: { snapshotEvery?: number; log?: (msg: string) => void } = {}) {
  const sm = new Kv();
  const j = new RaftJournal({ id, voters: ids, dir: path.join(dir, id), transport: net.transport(id), tickMs: 10, electionTicks: 10, heartbeatTicks: 1, fsync: false, writeTimeoutMs: 5000, ...opts });
  await j.start(sm);
  return { j, sm };
}

async function leaderOf(nodes: Map<string, { j: RaftJournal }>, except?: string): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const leaders = [...nodes].filter(([id, n]) => id !== except && n.j.isLeader()).map(([id]) => id);
    if (leaders.length === 1) return leaders[0]!;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no single leader within 3 s');
}

async function until(what: string, f: () => boolean): Promise<void> {
  for (let i = 0; i < 300; i++) { if (f()) return; await new Promise((r) => setTimeout(r, 10)); }
  throw new Error(`timed out: ${what}`);
}

/** Three nodes on a memory network in a fresh folder; closed (and the folder removed) after `fn`. */
async function withCluster(opts: { snapshotEvery?: number; log?: (msg: string) => void }, fn: (nodes: Map<string, { j: RaftJournal; sm: Kv }>, dir: string, net: MemoryNetwork) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raft-driver-'));
  const net = new MemoryNetwork();
  const nodes = await cluster(dir, net, opts);
  try {
    await fn(nodes, dir, net);
  } finally {
    for (const n of nodes.values()) await n.j.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('three nodes: a leader, ordered replication, NotLeader from followers, apply errors propagate', async () => {
  await withCluster({}, async (nodes) => {
    const leader = await leaderOf(nodes);
    const l = nodes.get(leader)!;
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => l.j.propose({ type: 'put', k: `k${i}`, v: `v${i}` })));
    assert.deepEqual(results, Array.from({ length: 50 }, (_, i) => i + 1));
    await assert.rejects(l.j.propose({ type: 'fail', k: 'x' }), /rejected x/);
    const follower = ids.find((id) => id !== leader)!;
    await assert.rejects(nodes.get(follower)!.j.propose({ type: 'put', k: 'f', v: '1' }), (e: unknown) => e instanceof NotLeaderError && e.leader === leader);
    await until('all applied', () => [...nodes.values()].every((n) => n.sm.log.length === 50));
    for (const n of nodes.values()) assert.deepEqual(n.sm.log, l.sm.log);
  });
});

test('the leader goes away: a new one is elected and writes continue; the old one rejoins as follower with the same state', async () => {
  await withCluster({ snapshotEvery: 20 }, async (nodes, dir, net) => {
    const first = await leaderOf(nodes);
    for (let i = 0; i < 30; i++) await nodes.get(first)!.j.propose({ type: 'put', k: `a${i}`, v: '1' });
    await nodes.get(first)!.j.close();
    nodes.delete(first);
    const second = await leaderOf(nodes, first);
    for (let i = 0; i < 30; i++) await nodes.get(second)!.j.propose({ type: 'put', k: `b${i}`, v: '1' });
    // Restart the old leader from its disk (snapshot + log): it catches up as a follower.
    nodes.set(first, await startNode(dir, net, first, { snapshotEvery: 20 }));
    await until('old leader caught up', () => nodes.get(first)!.sm.m.size === 60);
    assert.equal(nodes.get(first)!.j.isLeader(), false);
    assert.deepEqual([...nodes.get(first)!.sm.m.keys()].sort(), [...nodes.get(second)!.sm.m.keys()].sort());
    assert.ok(fs.readdirSync(path.join(dir, first, 'snapshots')).length > 0, 'snapshots were taken');
  });
});

test('the leader process dies (its connections reset): the followers start a pre-vote at once, elect a new leader, writes continue', async (t) => {
  const logs: string[] = [];
  await withCluster({ log: (m) => logs.push(m) }, async (nodes, _dir, net) => {
    const first = await leaderOf(nodes);
    for (let i = 0; i < 10; i++) await nodes.get(first)!.j.propose({ type: 'put', k: `a${i}`, v: '1' });
    const t0 = performance.now();
    net.kill(first); // the process is gone: the others hear their connections to it reset
    await nodes.get(first)!.j.close();
    nodes.delete(first);
    const second = await leaderOf(nodes, first);
    t.diagnostic(`new leader ${second} ${(performance.now() - t0).toFixed(1)} ms after the leader's process died (election timeout 100-200 ms)`);
    const resets = logs.filter((l) => l.includes(`the connections to leader ${first} were reset; asking the others for a pre-vote now`));
    assert.equal(resets.length, 2, logs.join('\n'));
    for (let i = 0; i < 10; i++) await nodes.get(second)!.j.propose({ type: 'put', k: `b${i}`, v: '1' });
    await until('all applied', () => [...nodes.values()].every((n) => n.sm.m.size === 20));
  });
});

test('linearizable reads: the leader serves after a quorum round; a partitioned leader cannot', async () => {
  await withCluster({}, async (nodes, _dir, net) => {
    const leader = await leaderOf(nodes);
    const l = nodes.get(leader)!;
    await l.j.propose({ type: 'put', k: 'x', v: '1' });
    await Promise.all(Array.from({ length: 20 }, () => l.j.readBarrier()));
    const follower = ids.find((id) => id !== leader)!;
    await assert.rejects(nodes.get(follower)!.j.readBarrier(), NotLeaderError);
    net.partition(leader, ids.filter((id) => id !== leader));
    await assert.rejects(l.j.readBarrier(), NotLeaderError);
  });
});

test('entries are decoded where they enter: a proposal the leader cannot decode is refused; a committed entry a follower cannot decode stops its journal', async () => {
  await withCluster({}, async (nodes, dir) => {
    const leader = await leaderOf(nodes);
    const l = nodes.get(leader)!;
    await l.j.propose({ type: 'put', k: 'a', v: '1' });
    l.sm.refuse = 'alien';
    const before = l.j.stats().lastIndex;
    await assert.rejects(l.j.propose({ type: 'alien', k: 'x' }), InvalidArgumentError);
    assert.equal(l.j.stats().lastIndex, before, 'a refused proposal is not in the log');
    // Followers of another version: they cannot apply what this leader commits.
    l.sm.refuse = '';
    const follower = ids.find((id) => id !== leader)!;
    nodes.get(follower)!.sm.refuse = 'alien';
    await l.j.propose({ type: 'alien', k: 'x' });
    await l.j.propose({ type: 'put', k: 'b', v: '2' }); // committed by the leader and the other follower
    await until('the follower stops', () => !nodes.get(follower)!.j.isLeader() && nodes.get(follower)!.sm.log.length === 1
      && (nodes.get(follower)!.j as unknown as { failure?: Error }).failure !== undefined);
    await assert.rejects(nodes.get(follower)!.j.propose({ type: 'put', k: 'f', v: '1' }), (e: unknown) => {
      assert.ok(e instanceof JournalCorruptError, String(e));
      assert.equal(e.message, `raft journal entry ${before + 1} in ${path.join(dir, follower)} is not an entry this master knows: unknown entry type alien`);
      return true;
    });
    assert.deepEqual(nodes.get(follower)!.sm.log, ['a'], 'the entry it cannot decode is not applied, nor anything after it');
  });
});

/** Hold every save of `j`'s storage until release() (a stalled disk); count the saves. */
function stallDisk(j: RaftJournal): { release(): void; held(): number; saves(): number } {
  const storage = (j as unknown as { storage: { save(req: unknown): Promise<void> } }).storage;
  const save = storage.save.bind(storage);
  let open: () => void = () => undefined;
  const gate = new Promise<void>((r) => { open = r; });
  let held = 0;
  let saves = 0;
  let released = false;
  storage.save = (req) => { saves++; if (released) return save(req); held++; return gate.then(() => save(req)); };
  return { release: () => { released = true; open(); }, held: () => held, saves: () => saves };
}

test("the leader's disk stalls: its followers' durable copies commit the writes and the leader answers them; its own write goes on when the disk does", async () => {
  await withCluster({}, async (nodes) => {
    const leader = await leaderOf(nodes);
    const l = nodes.get(leader)!;
    await l.j.propose({ type: 'put', k: 'before', v: '1' });
    const disk = stallDisk(l.j);
    // One after the other: each is answered while the leader's own writes wait for its disk.
    const results: unknown[] = [];
    for (let i = 0; i < 20; i++) results.push(await l.j.propose({ type: 'put', k: `k${i}`, v: `v${i}` }));
    assert.deepEqual(results, Array.from({ length: 20 }, (_, i) => i + 2), 'applied in order on the leader');
    assert.ok(disk.held() > 0, "the leader's own write is still waiting for its disk");
    const before = disk.saves();
    disk.release();
    await l.j.propose({ type: 'put', k: 'after', v: '1' });
    await until('all applied', () => [...nodes.values()].every((n) => n.sm.log.length === 22));
    for (const n of nodes.values()) assert.deepEqual(n.sm.log, l.sm.log);
    // The 20 Readys that queued behind the stalled write went to the disk merged, not one by one.
    assert.equal(before, 1, 'one write at a time');
    assert.ok(disk.saves() - before <= 4, `${disk.saves() - before} saves after the stall`);
  });
});

test('a single member whose disk stalls commits nothing until its own write is durable', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raft-driver-'));
  const net = new MemoryNetwork();
  const sm = new Kv();
  const j = new RaftJournal({ id: 'a', voters: ['a'], dir: path.join(dir, 'a'), transport: net.transport('a'), tickMs: 10, electionTicks: 10, heartbeatTicks: 1, fsync: false, writeTimeoutMs: 5000 });
  try {
    await j.start(sm);
    await until('leader', () => j.isLeader());
    await j.propose({ type: 'put', k: 'a', v: '1' });
    const disk = stallDisk(j);
    let done = false;
    const p = j.propose({ type: 'put', k: 'b', v: '2' }).then((r) => { done = true; return r; });
    await until('the write reached the disk', () => disk.held() > 0);
    await new Promise((r) => setTimeout(r, 100)); // ten ticks
    assert.equal(done, false, 'not committed while its only copy is not durable');
    assert.deepEqual(sm.log, ['a']);
    disk.release();
    assert.equal(await p, 2);
    assert.deepEqual(sm.log, ['a', 'b']);
  } finally {
    await j.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
