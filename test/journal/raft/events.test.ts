/**
 * What the Raft journal records in its event ring (journal/events.ts) for the Journal/HA page:
 * three RaftJournal nodes on the in-memory network; the first election (timeout), a leadership
 * transfer (requested on the old leader, seen by the new one as a transfer), membership changes,
 * snapshots taken and installed, the leader's process dying (its connections reset: pre-vote),
 * a partitioned leader stepping down on a lost quorum. The bootstrap configuration and replayed
 * entries are no events.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RaftJournal } from '../../../src/journal/raft/driver.js';
import { MemoryNetwork } from '../../../src/journal/raft/transport.js';
import type { AnyEntry, StateMachine } from '../../../src/journal/types.js';
import type { JournalEvent } from '../../../src/journal/events.js';
import { waitFor } from '../../harness/wait.js';

/** A state machine holding the applied keys. */
class Keys implements StateMachine {
  keys: string[] = [];
  decode(v: unknown): AnyEntry { return v as AnyEntry; }
  apply(e: AnyEntry): unknown { this.keys.push(String(e.k)); return this.keys.length; }
  snapshot(): Buffer { return Buffer.from(JSON.stringify(this.keys)); }
  restore(b: Buffer): void { this.keys = JSON.parse(b.toString()); }
}

const ids = ['a', 'b', 'c'];

async function node(dir: string, net: MemoryNetwork, id: string, rejoin = false): Promise<RaftJournal> {
  const j = new RaftJournal({ id, voters: ids, dir: path.join(dir, id), transport: net.transport(id), tickMs: 10, electionTicks: 10, heartbeatTicks: 1, fsync: false, writeTimeoutMs: 5000, rejoin });
  await j.start(new Keys());
  return j;
}

async function leaderOf(nodes: Map<string, RaftJournal>): Promise<string> {
  return waitFor('one leader', async () => {
    const l = [...nodes].filter(([, j]) => j.isLeader()).map(([id]) => id);
    return l.length === 1 ? l[0]! : false;
  }, 5000);
}

const leaders = (j: RaftJournal) => j.events.list().filter((e) => e.kind === 'leader');
const summary = (e: JournalEvent) => `${e.kind} ${e.oldLeader ?? ''}->${e.newLeader ?? ''} ${e.reason ?? ''}`;

test('Raft events: first election, transfer, membership, snapshots, a dead leader (reset), a partitioned leader (lost quorum)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raft-events-'));
  const net = new MemoryNetwork();
  const nodes = new Map<string, RaftJournal>();
  try {
    for (const id of ids) nodes.set(id, await node(dir, net, id));
    const first = await leaderOf(nodes);
    const l1 = nodes.get(first)!;
    await l1.propose({ type: 'put', k: 'x' });
    // The first leader campaigned on its election timeout; nothing else happened (the bootstrap
    // configuration is no membership change).
    assert.deepEqual(l1.events.list().map(summary), [`leader ->${first} election by ${first} after the election timeout (no word from a leader)`]);
    const t1 = leaders(l1)[0]!.term!;
    for (const [id, j] of nodes) if (id !== first) await waitFor(`${id} saw leader ${first}`, async () => leaders(j).some((e) => e.newLeader === first && e.term === t1), 5000);

    // A transfer: requested on the leader, seen by the target as a transfer.
    const target = ids.find((id) => id !== first)!;
    await l1.transferLeadership(target, 5000);
    const t = nodes.get(target)!;
    await waitFor('target leads', async () => t.isLeader(), 5000);
    const req = l1.events.list().find((e) => e.kind === 'transfer')!;
    assert.deepEqual([req.oldLeader, req.newLeader, req.reason, req.term], [first, target, 'requested', t1]);
    assert.equal(req.detail, `leadership transfer ${first} -> ${target} requested in term ${t1} (fsadmin journal quorum elect)`);
    const moved = leaders(t)[0]!;
    assert.deepEqual([moved.oldLeader, moved.newLeader, moved.reason], [first, target, `leadership transfer from ${first}`]);
    assert.ok(moved.term! > t1, `term ${moved.term} after ${t1}`);
    await waitFor('old leader saw the transfer', async () => leaders(l1)[0]!.newLeader === target, 5000);
    assert.equal(leaders(l1)[0]!.reason, `leadership transfer from ${first} requested here`);

    // Membership: remove and add a follower; every member records the committed changes.
    const other = ids.find((id) => id !== first && id !== target)!;
    await t.quorum.change('remove', other);
    await t.quorum.change('add', other);
    const changes = (j: RaftJournal) => j.events.list().filter((e) => e.kind === 'membership').map((e) => `${e.op} ${e.member}`);
    assert.deepEqual(changes(t), [`add ${other}`, `remove ${other}`]);
    await waitFor('the old leader saw both changes', async () => changes(l1).length === 2, 5000);

    // Snapshots: taken on the leader; a member that was away installs the leader's.
    await nodes.get(other)!.close();
    nodes.delete(other);
    for (let i = 0; i < 5; i++) await t.propose({ type: 'put', k: `y${i}` });
    await t.checkpoint();
    const taken = t.events.list().find((e) => e.kind === 'snapshot-taken')!;
    assert.equal(taken.index, t.stats().checkpointIndex);
    // Its storage is lost (re-seeded: it rejoins recovering): it catches up from the leader's snapshot.
    fs.rmSync(path.join(dir, other), { recursive: true, force: true });
    nodes.set(other, await node(dir, net, other, true));
    const back = nodes.get(other)!;
    await waitFor('the wiped member installed a snapshot', async () => back.events.list().some((e) => e.kind === 'snapshot-installed'), 5000);
    assert.equal(back.events.list().find((e) => e.kind === 'snapshot-installed')!.index, taken.index);
    assert.deepEqual(back.events.list().filter((e) => e.kind === 'membership'), [], 'the configuration inside a snapshot is no event');

    // The leader's process dies: the others see its connections reset and elect at once.
    const lead2 = await leaderOf(nodes);
    net.kill(lead2);
    await nodes.get(lead2)!.close();
    nodes.delete(lead2);
    const lead3 = await leaderOf(nodes);
    const seen = leaders(nodes.get(lead3)!)[0]!;
    assert.deepEqual([seen.oldLeader, seen.newLeader, seen.reason], [lead2, lead3, `pre-vote after the connections to leader ${lead2} were reset`]);

    // A partitioned leader loses its quorum and steps down.
    const rest = [...nodes.keys()].filter((id) => id !== lead3);
    net.partition(lead3, rest);
    await waitFor('step-down recorded', async () => nodes.get(lead3)!.events.list().some((e) => e.kind === 'step-down'), 5000);
    const down = nodes.get(lead3)!.events.list().find((e) => e.kind === 'step-down')!;
    assert.deepEqual([down.oldLeader, down.reason], [lead3, 'lost quorum']);
    net.heal();
  } finally {
    for (const j of nodes.values()) await j.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
