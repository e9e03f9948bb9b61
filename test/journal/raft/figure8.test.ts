/**
 * Raft paper Figure 8: a leader must not count replicas of an entry from an earlier term to
 * commit it; only entries of its own term are committed by counting (earlier ones follow). The
 * randomized safety runs rarely build this interleaving, so it is scripted here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestNode, lcg } from './harness.js';
import type { Message } from '../../../src/journal/raft/types.js';

const IDS = ['1', '2', '3', '4', '5'];

function cluster() {
  const rnd = lcg(8);
  const nodes = new Map(IDS.map((id) => [id, new TestNode({ id, voters: IDS, electionTicks: 10, heartbeatTicks: 1, random: rnd, maxEntriesPerMsg: 1, maxInflight: 1 })]));
  let queue: Message[] = [];
  const down = new Set<string>();
  let links = (_a: string, _b: string) => true;
  /** Process Readys and deliver allowed messages until nothing moves (bounded). */
  const settle = (limit = 10_000, keep: (m: Message) => boolean = () => true) => {
    for (let i = 0; i < limit; i++) {
      let moved = false;
      for (const [id, n] of nodes) {
        if (down.has(id)) continue;
        const rd = n.processReady();
        if (rd) { moved = true; queue.push(...rd.messages); }
      }
      const next: Message[] = [];
      for (const m of queue) {
        if (down.has(m.to) || down.has(m.from) || !links(m.from, m.to) || !keep(m)) continue;
        nodes.get(m.to)!.core.step(m);
        moved = true;
      }
      queue = next;
      if (!moved) return;
    }
    throw new Error('did not settle');
  };
  return {
    nodes, down, settle,
    setLinks(f: (a: string, b: string) => boolean) { links = f; },
    group(...ids: string[]) { const s = new Set(ids); links = (a, b) => s.has(a) && s.has(b); },
    /** Let `ids` forget their leader (their lease expires) without hearing anyone. */
    expireLease(...ids: string[]) {
      const saved = links;
      links = () => false;
      for (let i = 0; i < 10; i++) for (const id of ids) nodes.get(id)!.core.tick();
      settle();
      links = saved;
    },
  };
}

test('Figure 8: an entry of an older term replicated to a majority is not committed by counting', () => {
  const c = cluster();
  const n = (id: string) => c.nodes.get(id)!;
  // 1 leads (term t1) and everyone has the configuration and its no-op.
  n('1').core.campaign();
  c.settle();
  assert.equal(n('1').core.status().role, 'leader');
  const base = n('1').core.status().commit;

  // 1 appends `a` and reaches only 2.
  c.group('1', '2');
  const k = n('1').core.propose('a');
  c.settle();
  assert.equal(n('2').core.logView().entries.at(-1)?.data, 'a');
  assert.equal(n('1').core.status().commit, base, 'a is on 2 of 5: not committed');

  // 1 crashes; 5 wins with 3 and 4, appends `b` at the same index, reaches no one, crashes.
  c.down.add('1');
  c.expireLease('3', '4');
  c.group('3', '4', '5');
  n('5').core.campaign();
  c.settle(10_000, (m) => !(m.from === '5' && m.type === 'App')); // its new entries reach no one
  assert.equal(n('5').core.status().role, 'leader');
  c.group();
  const kb = n('5').core.propose('b');
  c.settle();
  assert.ok(kb >= k);
  c.down.add('5');

  // 1 comes back and wins with 2 and 3. Only the App carrying `a` reaches 3 (one entry per
  // message, one in flight): a majority (1, 2, 3) now holds `a` from the old term.
  c.down.delete('1');
  n('1').restart();
  c.expireLease('2', '3');
  c.group('1', '2', '3');
  let delivered = false;
  const has = (id: string, index: number) => index === 0 || n(id).core.logView().entries.some((e) => e.index === index) || n(id).core.logView().snapshotIndex >= index;
  // To 3: Apps it will reject (it lacks their previous entry) and the one bringing `a`; nothing
  // that carries the new term's entries.
  const onlyA = (m: Message) => {
    if (m.type !== 'App' || m.to !== '3' || !m.entries?.length) return true;
    if (!has('3', m.index ?? 0)) return true;
    if (m.entries.every((e) => e.index <= k)) { delivered ||= m.entries.some((e) => e.data === 'a'); return true; }
    return false;
  };
  // 3 is a term ahead (it voted for 5): the first campaign may only teach 1 that term.
  for (let i = 0; i < 3 && n('1').core.status().role !== 'leader'; i++) {
    n('1').core.campaign();
    c.settle(10_000, onlyA);
  }
  assert.equal(n('1').core.status().role, 'leader');
  const t3 = n('1').core.status().term;
  assert.ok(delivered, 'the App with `a` reached 3');
  assert.ok(n('3').core.logView().entries.some((e) => e.index === k && e.data === 'a'), '3 holds a');
  const leaderLog = n('1').core.logView().entries;
  assert.ok(leaderLog.some((e) => e.index === k && e.term < t3), 'a is from an older term');
  assert.ok(n('1').core.status().commit < k, `a must not be committed by counting old-term replicas (commit ${n('1').core.status().commit}, a at ${k})`);

  // Once an entry of the leader's own term reaches a majority, everything before it commits.
  // (heartbeats resume replication after the dropped messages)
  for (let i = 0; i < 20 && n('1').core.status().commit <= k; i++) { n('1').core.tick(); c.settle(); }
  assert.ok(n('1').core.status().commit > k);
  // Followers learn the new commit index with the leader's next tick.
  n('1').core.tick();
  c.settle();
  assert.ok(n('3').sm.some((a) => a.index === k && a.data === 'a'));
});
