/**
 * A seeded, randomized simulation of a small Raft cluster for the safety tests: message loss,
 * duplication and reordering, partitions, crashes with restart from storage, compaction and
 * membership changes, all chosen by one seeded random source. After every step a checker
 * callback inspects the cluster. With `wipes`, a member also loses its storage now and then and
 * restarts `recovering`, as the driver starts it (one lost disk at a time).
 */
import { NotLeaderError } from '../../../src/errors.js';
import { ConfChangeRefusedError, type Message, type NodeId } from '../../../src/journal/raft/types.js';
import { TestNode, lcg } from './harness.js';

export interface SimOptions {
  seed: number;
  steps: number;
  /** Now and then wipe a member's storage (restart it empty and recovering). */
  wipes?: boolean;
  /**
   * Slow disks: a leader goes on without waiting for its own writes (the driver's way), which
   * become durable only in later steps, in order; a crash loses a random suffix of them.
   */
  slowDisks?: boolean;
}

export class Sim {
  readonly rnd: () => number;
  readonly pool: NodeId[];
  readonly nodes = new Map<NodeId, TestNode>();
  readonly down = new Set<NodeId>();
  /** Messages in flight, delivered in random order. */
  bag: Message[] = [];
  /** Cut links "a->b". */
  cut = new Set<string>();
  step = 0;
  /** Members persisted as recovering and not caught up yet (to count recoveries). */
  private readonly wasRecovering = new Set<NodeId>();
  /** What happened in this step (for failure messages). */
  lastAction = '';
  stats = { proposals: 0, confChanges: 0, crashes: 0, snapshotsSent: 0, wipes: 0, recovered: 0, lostWrites: 0, commitsAhead: 0 };

  constructor(readonly opts: SimOptions) {
    this.rnd = lcg(opts.seed);
    const size = this.rnd() < 0.5 ? 3 : 5;
    this.pool = Array.from({ length: size + 1 }, (_, i) => String(i + 1));
    const voters = this.pool.slice(0, size);
    const preVote = this.rnd() < 0.7;
    const checkQuorum = this.rnd() < 0.7;
    const maxInflight = 1 + Math.floor(this.rnd() * 4);
    const maxEntriesPerMsg = 1 + Math.floor(this.rnd() * 3);
    for (const id of this.pool) {
      // The last node of the pool starts outside the cluster and may be added later.
      const initial = voters.includes(id) ? voters : [];
      this.nodes.set(
        id,
        new TestNode({ id, voters: initial, electionTicks: 10, heartbeatTicks: 2, random: lcg(opts.seed * 31 + Number(id)), preVote, checkQuorum, maxInflight, maxEntriesPerMsg }),
      );
      this.nodes.get(id)!.slowDisk = opts.slowDisks === true;
    }
  }

  alive(): TestNode[] {
    return [...this.nodes.values()].filter((n) => !this.down.has(n.id));
  }

  private pick<T>(xs: readonly T[]): T | undefined {
    return xs.length === 0 ? undefined : xs[Math.floor(this.rnd() * xs.length)];
  }

  /** Run all steps, calling `check` after each. */
  run(check: (sim: Sim) => void): void {
    for (this.step = 0; this.step < this.opts.steps; this.step++) {
      this.randomAction();
      this.processReadys();
      check(this);
    }
  }

  private processReadys(): void {
    for (const n of this.alive()) {
      const v = n.core.logView();
      if (n.core.roleInfo().role === 'leader' && v.committed > v.durable) this.stats.commitsAhead++;
      const rd = n.processReady();
      if (!rd) continue;
      if (rd.hardState && this.wasRecovering.has(n.id) && !rd.hardState.recovering) {
        this.wasRecovering.delete(n.id);
        this.stats.recovered++;
      }
      if (rd.hardState?.recovering) this.wasRecovering.add(n.id);
      for (const m of rd.messages) {
        if (m.type === 'Snap') this.stats.snapshotsSent++;
        if (!this.cut.has(`${m.from}->${m.to}`)) this.bag.push(m);
      }
    }
  }

  private randomAction(): void {
    if (this.opts.slowDisks && this.rnd() < 0.1) {
      // A disk finishes the oldest write it was handed.
      const n = this.pick(this.alive().filter((x) => x.diskQueue.length > 0));
      if (!n) return;
      this.lastAction = `write done on ${n.id}`;
      n.completeWrites(1);
      return;
    }
    const r = this.rnd() * 100;
    if (r < 35) {
      const n = this.pick(this.alive());
      if (n) {
        this.lastAction = `tick ${n.id}`;
        n.core.tick();
      }
    } else if (r < 75) {
      // Deliver a random message: the network reorders freely.
      if (this.bag.length === 0) return;
      const i = Math.floor(this.rnd() * this.bag.length);
      const m = this.bag[i]!;
      // Occasionally duplicate instead of consuming.
      if (this.rnd() >= 0.03) this.bag.splice(i, 1);
      this.lastAction = `deliver ${m.from}->${m.to} ${m.type}`;
      if (this.down.has(m.to) || this.cut.has(`${m.from}->${m.to}`)) return;
      this.nodes.get(m.to)!.core.step(m);
    } else if (r < 79) {
      if (this.bag.length === 0) return;
      const i = Math.floor(this.rnd() * this.bag.length);
      this.lastAction = `drop ${this.bag[i]!.type}`;
      this.bag.splice(i, 1);
    } else if (r < 91) {
      const n = this.pick(this.alive());
      if (!n) return;
      this.lastAction = `propose on ${n.id}`;
      try {
        n.core.propose(`v${this.step}`);
        this.stats.proposals++;
      } catch (err) {
        if (!(err instanceof NotLeaderError)) throw err;
      }
    } else if (r < 92) {
      // Random two-way split of the pool.
      this.cut.clear();
      const side = new Map(this.pool.map((id) => [id, this.rnd() < 0.5]));
      for (const a of this.pool) for (const b of this.pool) if (side.get(a) !== side.get(b)) this.cut.add(`${a}->${b}`);
      this.lastAction = `partition ${this.pool.filter((id) => side.get(id)).join(',')} | ${this.pool.filter((id) => !side.get(id)).join(',')}`;
    } else if (r < 95) {
      this.cut.clear();
      this.lastAction = 'heal';
    } else if (r < 95.5 && this.opts.wipes && this.rnd() < 0.5) {
      // Lose a member's disk. Its connections die with it: nothing it sent is still in flight.
      // One lost disk at a time: a second while another member is still recovering could lose
      // a majority's copy of an entry, which no protocol survives.
      const n = this.pick(this.alive());
      if (!n || this.alive().some((x) => x.core.status().recovering)) return;
      n.wipe(true);
      this.bag = this.bag.filter((m) => m.from !== n.id);
      this.stats.wipes++;
      this.lastAction = `wipe ${n.id}`;
    } else if (r < 95.5) {
      const n = this.pick(this.alive());
      if (!n || this.down.size >= 2) return;
      // Its disk may have finished some of the writes it was handed; the rest are lost.
      const done = Math.floor(this.rnd() * (n.diskQueue.length + 1));
      this.stats.lostWrites += n.diskQueue.length - done;
      n.completeWrites(done);
      n.diskQueue.length = 0;
      this.down.add(n.id);
      this.stats.crashes++;
      this.lastAction = `crash ${n.id}`;
    } else if (r < 97.5) {
      const id = this.pick([...this.down]);
      if (id === undefined) return;
      this.down.delete(id);
      this.nodes.get(id)!.restart();
      this.lastAction = `restart ${id}`;
    } else if (r < 99) {
      const n = this.pick(this.alive());
      if (!n) return;
      const applied = n.core.status().applied;
      this.lastAction = `compact ${n.id} ${applied}`;
      n.compact(applied);
    } else {
      const n = this.pick(this.alive());
      if (!n || n.core.status().role !== 'leader') return;
      const voters = n.core.status().voters;
      const outside = this.pool.filter((id) => !voters.includes(id));
      // Keep at least two voters; otherwise add or remove at random.
      const op: 'add' | 'remove' = voters.length <= 2 ? 'add' : outside.length === 0 ? 'remove' : this.rnd() < 0.5 ? 'add' : 'remove';
      const node = op === 'add' ? this.pick(outside) : this.pick(voters);
      if (node === undefined) return;
      this.lastAction = `conf-change on ${n.id}: ${op} ${node}`;
      try {
        n.core.proposeConfChange({ op, node });
        this.stats.confChanges++;
      } catch (err) {
        if (!(err instanceof NotLeaderError) && !(err instanceof ConfChangeRefusedError)) throw err;
      }
    }
  }
}

/**
 * Run `runs` seeded simulations; `makeCheck` builds a fresh checker (with its own history) for
 * each run. Returns aggregated stats so tests can assert the runs were not vacuous.
 */
export function runMany(runs: number, steps: number, makeCheck: () => (sim: Sim) => void, firstSeed = 1, opts: { wipes?: boolean; slowDisks?: boolean } = {}): Sim['stats'] & { leaderTerms: number } {
  const total = { proposals: 0, confChanges: 0, crashes: 0, snapshotsSent: 0, wipes: 0, recovered: 0, lostWrites: 0, commitsAhead: 0, leaderTerms: 0 };
  for (let seed = firstSeed; seed < firstSeed + runs; seed++) {
    const sim = new Sim({ seed, steps, ...opts });
    const check = makeCheck();
    const terms = new Set<number>();
    sim.run((s) => {
      for (const n of s.alive()) {
        const st = n.core.status();
        if (st.role === 'leader') terms.add(st.term);
      }
      try {
        check(s);
      } catch (err) {
        (err as Error).message = `seed ${seed}, step ${s.step} (${s.lastAction}): ${(err as Error).message}`;
        throw err;
      }
    });
    total.proposals += sim.stats.proposals;
    total.confChanges += sim.stats.confChanges;
    total.crashes += sim.stats.crashes;
    total.snapshotsSent += sim.stats.snapshotsSent;
    total.wipes += sim.stats.wipes;
    total.recovered += sim.stats.recovered;
    total.lostWrites += sim.stats.lostWrites;
    total.commitsAhead += sim.stats.commitsAhead;
    total.leaderTerms += terms.size;
  }
  return total;
}
