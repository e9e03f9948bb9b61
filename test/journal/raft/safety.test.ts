/**
 * The five safety properties of the Raft paper (Figure 3), each checked after every step of many
 * seeded randomized simulations (message loss, duplication and reordering, partitions, crashes
 * with restart from storage, compaction with snapshot transfer, membership changes); see sim.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Entry, NodeId } from '../../../src/journal/raft/types.js';
import type { Applied, TestNode } from './harness.js';
import { type Sim, runMany } from './sim.js';

type Check = (sim: Sim) => void;

const RUNS = Number(process.env.RAFT_SAFETY_RUNS ?? 80);
const STEPS = Number(process.env.RAFT_SAFETY_STEPS ?? 3000);

/** The entry at `i` in a node's in-memory log (undefined if compacted or absent). */
function entryAt(n: TestNode, i: number): Entry | undefined {
  const v = n.core.logView();
  if (i <= v.snapshotIndex) return undefined;
  return v.entries[i - v.snapshotIndex - 1];
}

function termAt(n: TestNode, i: number): number | undefined {
  const v = n.core.logView();
  if (i === v.snapshotIndex) return v.snapshotTerm;
  return entryAt(n, i)?.term;
}

function sameEntry(a: Entry, b: Entry): boolean {
  return a.index === b.index && a.term === b.term && a.type === b.type && a.data === b.data;
}

function leaders(sim: Sim): TestNode[] {
  return sim.alive().filter((n) => n.core.status().role === 'leader');
}

/** Sanity: the simulations really elect leaders, commit, crash, snapshot and reconfigure. */
function assertNotVacuous(stats: ReturnType<typeof runMany>): void {
  assert.ok(stats.leaderTerms > RUNS * 3, `too few leader terms: ${JSON.stringify(stats)}`);
  assert.ok(stats.proposals > RUNS * 10, `too few proposals: ${JSON.stringify(stats)}`);
  assert.ok(stats.crashes > RUNS, `too few crashes: ${JSON.stringify(stats)}`);
  assert.ok(stats.snapshotsSent > 0, `no snapshot was ever sent: ${JSON.stringify(stats)}`);
  assert.ok(stats.confChanges > 0, `no membership change: ${JSON.stringify(stats)}`);
}

const electionSafety = (): Check => {
  const leaderOf = new Map<number, NodeId>();
  return (sim) => {
    for (const n of leaders(sim)) {
      const term = n.core.status().term;
      const prev = leaderOf.get(term);
      assert.ok(prev === undefined || prev === n.id, `term ${term} has two leaders: ${prev} and ${n.id}`);
      leaderOf.set(term, n.id);
    }
  };
};

test('election safety: at most one leader can be elected in a given term', () => {
  assertNotVacuous(runMany(RUNS, STEPS, electionSafety));
});

const leaderAppendOnly = (): Check => {
  const seen = new Map<NodeId, { term: number; entries: readonly Entry[] }>();
  return (sim) => {
    for (const n of sim.nodes.values()) {
      const st = n.core.status();
      if (sim.down.has(n.id) || st.role !== 'leader') {
        seen.delete(n.id);
        continue;
      }
      const before = seen.get(n.id);
      if (before && before.term === st.term) {
        const snapIndex = n.core.logView().snapshotIndex;
        for (const e of before.entries) {
          if (e.index <= snapIndex) continue; // compacted into a snapshot, not overwritten
          const now = entryAt(n, e.index);
          assert.ok(now && sameEntry(now, e), `leader ${n.id} (term ${st.term}) changed entry ${e.index}`);
        }
      }
      seen.set(n.id, { term: st.term, entries: [...n.core.logView().entries] });
    }
  };
};

test('leader append-only: a leader never overwrites or deletes entries in its log', () => {
  assertNotVacuous(runMany(RUNS, STEPS, leaderAppendOnly));
});

const logMatching = (): Check => (sim) => {
  const nodes = sim.alive();
  for (let a = 0; a < nodes.length; a++) {
    for (let b = a + 1; b < nodes.length; b++) {
      const x = nodes[a]!;
      const y = nodes[b]!;
      const lo = Math.max(x.core.logView().snapshotIndex, y.core.logView().snapshotIndex) + 1;
      const hi = Math.min(x.core.status().lastIndex, y.core.status().lastIndex);
      // Find the highest index where both have the same term...
      let top = 0;
      for (let i = hi; i >= lo; i--) {
        if (termAt(x, i) === termAt(y, i)) {
          top = i;
          break;
        }
      }
      // ...then everything at and below it (that both still hold) must be identical.
      for (let i = lo; i <= top; i++) {
        const ex = entryAt(x, i)!;
        const ey = entryAt(y, i)!;
        assert.ok(sameEntry(ex, ey), `${x.id} and ${y.id} agree at ${top} but differ at ${i}: ${JSON.stringify(ex)} vs ${JSON.stringify(ey)}`);
      }
    }
  }
};

test('log matching: logs with an entry of the same index and term are identical up to it', () => {
  assertNotVacuous(runMany(RUNS, STEPS, logMatching));
});

const leaderCompleteness = (): Check => {
  /** index -> the committed entry and the term of the first node seen holding it committed. */
  const committed = new Map<number, { e: Entry; seenAt: number }>();
  const scanned = new Map<NodeId, number>();
  return (sim) => {
    for (const n of sim.alive()) {
      const v = n.core.logView();
      const term = n.core.status().term;
      for (let i = Math.max(v.snapshotIndex, scanned.get(n.id) ?? 0) + 1; i <= v.committed; i++) {
        const e = entryAt(n, i)!;
        const known = committed.get(i);
        if (!known) committed.set(i, { e, seenAt: term });
        else assert.ok(sameEntry(known.e, e), `two different entries committed at ${i}`);
      }
      scanned.set(n.id, Math.max(scanned.get(n.id) ?? 0, v.committed));
    }
    for (const l of leaders(sim)) {
      const lt = l.core.status().term;
      const snapIndex = l.core.logView().snapshotIndex;
      for (const [i, { e, seenAt }] of committed) {
        // Committed no later than term seenAt, hence present in every leader of term >= seenAt.
        if (seenAt > lt || i < snapIndex) continue;
        if (i === snapIndex) {
          assert.equal(termAt(l, i), e.term, `leader ${l.id} (term ${lt}) snapshot disagrees with committed entry ${i}`);
          continue;
        }
        const mine = entryAt(l, i);
        assert.ok(mine && sameEntry(mine, e), `leader ${l.id} (term ${lt}) lacks committed entry ${i}@${e.term} (seen committed at term ${seenAt})`);
      }
    }
  };
};

test('leader completeness: a committed entry is in the log of every leader of a later term', () => {
  assertNotVacuous(runMany(RUNS, STEPS, leaderCompleteness));
});

const stateMachineSafety = (): Check => {
  const applied = new Map<number, { term: number; data: string }>();
  /** Per node: the applied-log array of its current incarnation and how much of it was checked. */
  const cursor = new Map<NodeId, { log: unknown; done: number; last: number }>();
  return (sim) => {
    for (const n of sim.alive()) {
      let c = cursor.get(n.id);
      if (!c || c.log !== n.appliedLog) {
        c = { log: n.appliedLog, done: 0, last: 0 };
        cursor.set(n.id, c);
      }
      for (; c.done < n.appliedLog.length; c.done++) {
        const a: Applied = n.appliedLog[c.done]!;
        assert.ok(a.index > c.last, `${n.id} applied ${a.index} after ${c.last}`);
        c.last = a.index;
        const known = applied.get(a.index);
        if (!known) applied.set(a.index, { term: a.term, data: a.data });
        else assert.deepEqual({ term: a.term, data: a.data }, known, `${n.id} applied a different entry at ${a.index}`);
      }
      // The state machine (possibly restored from a snapshot) holds only agreed entries.
      for (const a of n.sm) {
        const known = applied.get(a.index);
        if (known) assert.deepEqual({ term: a.term, data: a.data }, known, `${n.id}'s state machine differs at ${a.index}`);
      }
    }
  };
};

test('state machine safety: no two nodes apply different entries at the same index', () => {
  assertNotVacuous(runMany(RUNS, STEPS, stateMachineSafety));
});

test('with members losing their storage (restarted empty and recovering, one at a time): election safety, log matching, leader completeness and state machine safety hold', () => {
  const checks = (): Check => {
    const all = [electionSafety(), logMatching(), leaderCompleteness(), stateMachineSafety()];
    return (sim) => { for (const c of all) c(sim); };
  };
  const stats = runMany(RUNS, STEPS, checks, 1, { wipes: true });
  // Fewer elections than without wipes: a recovering member does not vote.
  assert.ok(stats.leaderTerms > RUNS * 2, `too few leader terms: ${JSON.stringify(stats)}`);
  assert.ok(stats.proposals > RUNS * 10 && stats.snapshotsSent > 0, `not enough traffic: ${JSON.stringify(stats)}`);
  assert.ok(stats.wipes > RUNS, `too few wipes: ${JSON.stringify(stats)}`);
  assert.ok(stats.recovered > RUNS / 2, `too few wiped members caught up: ${JSON.stringify(stats)}`);
});

test("with slow disks (a leader goes on before its own write is durable; a crash loses the writes not done): election safety, leader append-only, log matching, leader completeness and state machine safety hold", (t) => {
  const checks = (): Check => {
    const all = [electionSafety(), leaderAppendOnly(), logMatching(), leaderCompleteness(), stateMachineSafety()];
    return (sim) => { for (const c of all) c(sim); };
  };
  const stats = runMany(RUNS, STEPS, checks, 1, { slowDisks: true });
  t.diagnostic(JSON.stringify(stats));
  assertNotVacuous(stats);
  // The new rule is exercised: leaders committed past their own disk, and crashes lost writes.
  assert.ok(stats.commitsAhead > RUNS, `too few commits ahead of the leader's own disk: ${JSON.stringify(stats)}`);
  assert.ok(stats.lostWrites > RUNS / 4, `too few writes lost in crashes: ${JSON.stringify(stats)}`);
});
