/**
 * A seeded deterministic simulation of the master's replicated namespace: 3 or 5 RaftCore nodes,
 * each driven synchronously in the driver's order (persist -> send -> apply -> advance) with a
 * real Namespace as its state machine, on an in-memory network that loses, duplicates (Raft
 * messages), reorders and delays messages (mostly a few steps, 1% up to 400 steps) and partitions
 * nodes and clients; every node's clock ticks at its own rate; nodes crash and restart from their
 * durable state (hard state + persisted entries + snapshot via test/journal/raft/harness.ts's
 * MemStorage) and compact their logs.
 *
 * Connection resets (issue #14): a crash is either a process crash, whose connections the kernel
 * resets (every peer it can reach is told peerLost a few steps later, as the driver reports it),
 * or a host crash (no reset arrives, like a partition). Spurious resets of one link to a live
 * node (a flaky connection) also happen, and nodes pause (SIGSTOP: no tick, no processing,
 * messages to them wait) without any reset.
 *
 * Simulated clients issue namespace operations (mkdir, createFile, delete, rename; exists and
 * getStatus as ReadIndex reads) to the node they believe leads, follow NotLeader hints, and retry
 * timed-out attempts with the SAME opId, like src/client/masterClient.ts. Nodes behave like
 * src/server/master/master.ts on the Raft journal: serve only as leader once their own
 * 'leaderInfo' entry of the current term applied, pre-check mkdir/createFile for an existing
 * path, settle a proposal when its index applies (NotLeader when another entry took it).
 *
 * Checked at every step: election safety (one leader per term) and state machine safety (every
 * node applies the same entry with the same result at each index; snapshots taken at the same
 * index are identical). At the end: after a quiet period all nodes converge to identical
 * namespaces, and the clients' history is linearizable (see checker.ts and nsModel.ts).
 *
 * Everything - faults, timing, the clients' choices, every node's election timer - comes from
 * one seed, so a seed replays exactly.
 */
import { RaftCore } from '../../src/journal/raft/core.js';
import { Namespace } from '../../src/server/master/namespace.js';
import { NotLeaderError } from '../../src/errors.js';
import type { MasterEntry } from '../../src/server/master/entries.js';
import type { Message, NodeId, RaftConfig, Ready } from '../../src/journal/raft/types.js';
import { MemStorage, lcg } from '../journal/raft/harness.js';
import { checkLinearizable, type CheckResult } from './checker.js';
import { isRead, nsModel, describeNsOp, type NsInput, type NsOp, type NsOutput } from './nsModel.js';

export interface SimSpec {
  seed: number;
  nodes: 3 | 5;
  /** Steps with faults and new client operations. */
  steps: number;
  /** Max steps of the quiet period at the end (no faults, no new operations). */
  settleSteps: number;
  clients: number;
  /** Independent path groups (/k0a, /k0b, /k0a/x, ...): the checker's partitions. */
  groups: number;
  /**
   * The old (buggy) master.ts: answer FILE_ALREADY_EXISTS from the leader's applied state before
   * proposing mkdir / createFile. Off by default, as in master.ts now.
   */
  precheck: boolean;
  /**
   * A failed operation is remembered under its opId like a successful one, so a duplicate or
   * retried attempt applied later fails the same way (namespace.ts does this now; setting it to
   * false here cannot switch the namespace's own memory off, only this extra layer).
   */
  rememberFailures: boolean;
  /** Client attempt timeout and give-up deadline, in steps. */
  attemptTimeout: number;
  opDeadline: number;
  /**
   * Slow disks (issue #14): a leader goes on without waiting for its own write, as the driver
   * does; each write becomes durable 1-30 steps later, in order, and a crash loses a random
   * suffix of those not done yet.
   */
  slowDisks?: boolean;
}

/**
 * Everything about a run follows from its seed, so `SIM_SEED=<seed>` alone replays it: seeds
 * divisible by 3 run 5 nodes, the others 3; seeds >= 1000 are the long runs of SIM=1.
 */
export function specFor(seed: number, overrides: Partial<SimSpec> = {}): SimSpec {
  const nodes = seed % 3 === 0 ? 5 : 3;
  const long = seed >= 1000;
  return {
    seed,
    nodes,
    steps: long ? 40_000 : nodes === 5 ? 8_000 : 6_000,
    settleSteps: 6_000,
    clients: nodes === 5 ? 5 : 4,
    groups: long ? 6 : 3,
    precheck: false,
    rememberFailures: true,
    attemptTimeout: 150,
    opDeadline: 600,
    ...overrides,
  };
}

/** One client-visible operation: its invocation and, if heard, its response. */
export interface HistOp {
  client: number;
  opId: string;
  input: NsInput;
  call: number;
  ret?: number;
  output?: NsOutput;
}

type Reply = { type: 'ok'; value?: boolean | 'dir' | 'file' } | { type: 'error'; code: string } | { type: 'notLeader'; hint?: NodeId };

interface Request { client: string; opId: string; attempt: number; input: NsInput; ts: number }
interface Response { opId: string; attempt: number; reply: Reply }

type Payload = { from: string; to: string } & (
  | { kind: 'raft'; msg: Message }
  | { kind: 'req'; req: Request }
  | { kind: 'resp'; resp: Response }
  /** `to`'s connections to `lost` were reset: the driver's peerLost. */
  | { kind: 'reset'; lost: NodeId });
/** A message in flight, deliverable from step `at`. */
type Envelope = Payload & { at: number };

/** A check failed. `summary` is one line; the message adds the details and recent actions. */
export class SimFailure extends Error {
  constructor(readonly summary: string, details: string) {
    super(`${summary}\n${details}`);
  }
}

/** A master node: core + durable storage + namespace + the master's serving logic. */
class SimNode {
  core: RaftCore;
  readonly storage = new MemStorage();
  ns = new Namespace();
  /** rememberFailures: opId -> error code of operations that failed (part of the snapshot). */
  failed = new Map<string, string>();
  /** Proposals waiting to apply: index -> proposer's term and the request (none for leaderInfo). */
  pending = new Map<number, { term: number; req?: Request }>();
  /** Reads waiting for their ReadIndex: context -> request. */
  reads = new Map<string, Request>();
  /** Term whose leaderInfo entry applied while this node led it (the master serves from then). */
  servingTerm = -1;
  leaderInfoTerm = -1;
  /** Last index applied in this incarnation (0, or the snapshot's index at restart). */
  lastApplied = 0;
  up = true;
  /** Paused (SIGSTOP) until this step: no tick, no processing; messages to it wait. */
  pausedUntil = 0;
  /** Probability of a tick per step: every node's clock runs at its own speed. */
  tickRate = 0.1;
  /** Slow disks: a leader's writes on their way to its disk, durable from step `at` on, in order. */
  diskQueue: { rd: Ready; at: number }[] = [];

  constructor(readonly cfg: RaftConfig) {
    this.core = new RaftCore(cfg);
  }

  get id(): NodeId {
    return this.cfg.id;
  }

  serving(): boolean {
    const st = this.core.status();
    return st.role === 'leader' && this.servingTerm === st.term;
  }

  /** The state machine's snapshot: the namespace, plus the remembered failures when modelled. */
  snapshotData(): string {
    return JSON.stringify({ ns: this.ns.snapshot().toString('base64'), failed: [...this.failed] });
  }

  restore(data: string): void {
    const s = JSON.parse(data) as { ns: string; failed: [string, string][] };
    this.ns = new Namespace();
    this.ns.restore(Buffer.from(s.ns, 'base64'));
    this.failed = new Map(s.failed);
  }

  /** Lose all volatile state and start again from storage. */
  restart(): void {
    this.diskQueue = []; // writes not done before the crash are lost
    const st = this.storage.state();
    this.ns = new Namespace();
    this.failed = new Map();
    if (st.snapshot) this.restore(st.snapshot.data);
    this.core = new RaftCore({ ...this.cfg, applied: st.snapshot?.index ?? 0 }, st);
    this.pending.clear();
    this.reads.clear();
    this.servingTerm = -1;
    this.leaderInfoTerm = -1;
    this.lastApplied = st.snapshot?.index ?? 0;
    this.up = true;
    this.pausedUntil = 0;
  }
}

class SimClient {
  target: NodeId;
  cur: { h: HistOp; attempt: number; inflight: boolean; timeoutAt: number; nextSendAt: number; deadline: number } | undefined;
  seq = 0;
  constructor(readonly index: number, first: NodeId) {
    this.target = first;
  }
  get id(): string {
    return `c${this.index}`;
  }
}

export interface SimStats {
  steps: number;
  ops: number;
  okOps: number;
  errorOps: number;
  unknownOps: number;
  droppedOps: number;
  reads: number;
  leaderTerms: number;
  crashes: number;
  restarts: number;
  partitions: number;
  snapshotsSent: number;
  compactions: number;
  retries: number;
  notLeader: number;
  applied: number;
  /** Process crashes (resets sent to the peers), spurious one-link resets, pauses. */
  processCrashes: number;
  flakyResets: number;
  pauses: number;
  /** peerLost delivered to a follower of the lost node (it started a reset round or forfeited its lease). */
  resetsToFollowers: number;
  /** Slow disks: writes a crash lost; Readys of a leader whose commit was past its own disk. */
  lostWrites: number;
  commitsAhead: number;
}

export interface SimResult {
  spec: SimSpec;
  history: HistOp[];
  stats: SimStats;
  check: CheckResult;
  /** Digest of the whole run (history + final state), for the replay test. */
  fingerprint: string;
}

/** Cheap string hash (FNV-1a, 32 bits), for fingerprints. */
function fnv(s: string, h = 0x811c9dc5): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export class NsSim {
  readonly rnd: () => number;
  readonly ids: NodeId[];
  readonly nodes = new Map<NodeId, SimNode>();
  readonly clients: SimClient[] = [];
  bag: Envelope[] = [];
  /** Partition: endpoint -> side; undefined when healed. */
  side: Map<string, number> | undefined;
  readonly history: HistOp[] = [];
  step = 0;
  private clock = 0;
  private quiet = false;
  /** Recent actions, printed when a check fails. */
  private trace: string[] = [];
  /** Every index applied anywhere: the entry and its result (state machine safety). */
  private readonly applied = new Map<number, { term: number; type: string; data: string; outcome: string }>();
  private readonly leaderOf = new Map<number, NodeId>();
  private readonly snapshotsAt = new Map<number, string>();
  /** opIds that some node applied successfully (an unknown-outcome write may have taken effect). */
  private readonly effective = new Set<string>();
  /** opId -> "index:outcome" of every distinct index where it applied (for failure reports). */
  private readonly appliedOps = new Map<string, string[]>();
  /** opId -> what happened to its attempts (sent, proposed, refused, answered), for reports. */
  private readonly opEvents = new Map<string, string[]>();
  readonly stats: SimStats = {
    steps: 0, ops: 0, okOps: 0, errorOps: 0, unknownOps: 0, droppedOps: 0, reads: 0, leaderTerms: 0, crashes: 0, restarts: 0,
    partitions: 0, snapshotsSent: 0, compactions: 0, retries: 0, notLeader: 0, applied: 0,
    processCrashes: 0, flakyResets: 0, pauses: 0, resetsToFollowers: 0, lostWrites: 0, commitsAhead: 0,
  };

  constructor(readonly spec: SimSpec) {
    this.rnd = lcg(spec.seed * 7919 + 17);
    this.ids = Array.from({ length: spec.nodes }, (_, i) => String(i + 1));
    const preVote = this.rnd() < 0.7;
    const checkQuorum = this.rnd() < 0.7;
    const maxInflight = 1 + Math.floor(this.rnd() * 4);
    const maxEntriesPerMsg = 1 + Math.floor(this.rnd() * 4);
    for (const id of this.ids) {
      this.nodes.set(id, new SimNode({
        id, voters: this.ids, electionTicks: 10, heartbeatTicks: 2, random: lcg(spec.seed * 31 + Number(id)),
        preVote, checkQuorum, maxInflight, maxEntriesPerMsg,
      }));
    }
    for (const n of this.nodes.values()) n.tickRate = 0.1 * (0.6 + 0.8 * this.rnd());
    for (let i = 0; i < spec.clients; i++) this.clients.push(new SimClient(i, this.pick(this.ids)!));
    this.note(`config nodes=${spec.nodes} preVote=${preVote} checkQuorum=${checkQuorum} maxInflight=${maxInflight} maxEntriesPerMsg=${maxEntriesPerMsg}`);
  }

  // ------------------------------------------------------------------ helpers

  private pick<T>(xs: readonly T[]): T | undefined {
    return xs.length === 0 ? undefined : xs[Math.floor(this.rnd() * xs.length)];
  }

  private note(s: string): void {
    this.trace.push(`${this.step}: ${s}`);
    if (this.trace.length > 60) this.trace.shift();
  }

  private fail(msg: string, summary = msg.split('\n')[0]!): never {
    throw new SimFailure(`step ${this.step}: ${summary}`, `${msg}\n  recent actions:\n    ${this.trace.join('\n    ')}`);
  }

  private alive(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.up);
  }

  /** Up and not paused: its clock ticks and it handles its Readys. */
  private running(): SimNode[] {
    return this.alive().filter((n) => n.pausedUntil <= this.step);
  }

  private linkCut(a: string, b: string): boolean {
    return this.side !== undefined && this.side.get(a) !== this.side.get(b);
  }

  private send(env: Payload): void {
    if (this.linkCut(env.from, env.to)) return;
    if (!this.quiet && this.rnd() < 0.01) return; // lost on the way
    this.bag.push({ ...env, at: this.step + this.delay() });
  }

  private opEvent(opId: string, what: string): void {
    const list = this.opEvents.get(opId) ?? [];
    if (list.length < 40) list.push(`step ${this.step}: ${what}`);
    this.opEvents.set(opId, list);
  }

  private reply(node: SimNode, req: Request, reply: Reply): void {
    this.opEvent(req.opId, `${node.id} answers attempt ${req.attempt}: ${reply.type === 'error' ? reply.code : reply.type}`);
    this.send({ kind: 'resp', from: node.id, to: req.client, resp: { opId: req.opId, attempt: req.attempt, reply } });
  }

  private notLeader(node: SimNode): Reply {
    const leader = node.core.status().leader;
    return leader && leader !== node.id ? { type: 'notLeader', hint: leader } : { type: 'notLeader' };
  }

  // ------------------------------------------------------------------ run

  /** Run the faulty phase, then the quiet phase; check everything; return the result. */
  run(checkOpts: { maxSteps?: number; timeoutMs?: number } = {}): SimResult {
    const spec = this.spec;
    for (this.step = 0; this.step < spec.steps; this.step++) this.oneStep();
    this.quiet = true;
    this.side = undefined;
    this.note('quiet: heal, restart every node, wake paused ones, no new operations');
    for (const n of this.nodes.values()) if (!n.up) this.restartNode(n);
    for (const n of this.nodes.values()) n.pausedUntil = 0;
    const end = spec.steps + spec.settleSteps;
    for (; this.step < end && !this.settled(); this.step++) this.oneStep();
    if (!this.settled()) this.fail(`the cluster did not settle within ${spec.settleSteps} quiet steps: ${this.describeNodes()}`);
    this.stats.steps = this.step;
    this.checkConverged();

    const ops = this.checkerHistory();
    const check = checkLinearizable(nsModel, ops, checkOpts);
    if (check.result === 'illegal') {
      const suspects = this.journalReport(new Set(check.failedPartition!.map((o) => o.call)));
      const firstSuspect = suspects[0]?.trim();
      this.fail(
        `history is not linearizable.\n${suspects.length ? `writes of this partition whose journal applications contradict the answer:\n${suspects.join('\n')}` : 'no write of this partition was applied against its answer'}\n${check.explanation}`,
        `history is not linearizable${firstSuspect ? ` (suspect: ${firstSuspect})` : ''}`,
      );
    }
    if (check.result === 'unknown') this.fail(`linearizability check gave up after ${check.steps} steps (${ops.length} operations, ${check.partitions} partitions)`);
    let fp = fnv(JSON.stringify(this.history));
    for (const n of this.nodes.values()) fp = fnv(n.snapshotData(), fp);
    return { spec, history: this.history, stats: this.stats, check, fingerprint: fp.toString(16) };
  }

  /** Writes whose journal entries disagree with what the client was told (the usual culprits). */
  private journalReport(calls: ReadonlySet<number>): string[] {
    const lines: string[] = [];
    for (const h of this.history) {
      if (!calls.has(h.call) || isRead(h.input)) continue;
      const apps = this.appliedOps.get(h.opId) ?? [];
      const okApplied = apps.some((a) => a.includes(': ok'));
      const answered = h.ret === undefined ? undefined : h.output!.ok ? 'ok' : `error ${(h.output as { error: string }).error}`;
      // Told it failed but took effect, or told it succeeded but never did.
      if ((answered !== undefined && answered !== 'ok' && okApplied) || (answered === 'ok' && !okApplied)) {
        lines.push(`  ${h.opId} ${describeNsOp({ client: h.client, input: h.input, call: h.call }).replace(/ -> .*$/, '')} answered ${answered ?? 'nothing'} [${h.call}, ${h.ret ?? 'inf'}]; applied at ${apps.join(' | ')}`);
        for (const ev of this.opEvents.get(h.opId) ?? []) lines.push(`      ${ev}`);
      }
    }
    return lines;
  }

  private settled(): boolean {
    if (this.clients.some((c) => c.cur !== undefined)) return false;
    const nodes = [...this.nodes.values()];
    const leader = nodes.find((n) => n.serving());
    if (!leader) return false;
    const last = leader.core.status().lastIndex;
    return nodes.every((n) => n.up && n.core.status().applied === last);
  }

  private describeNodes(): string {
    return [...this.nodes.values()].map((n) => {
      const st = n.core.status();
      return `${n.id}${n.up ? '' : '(down)'} ${st.role} term=${st.term} commit=${st.commit} applied=${st.applied} last=${st.lastIndex}`;
    }).join('; ') + `; clients busy: ${this.clients.filter((c) => c.cur).map((c) => c.id).join(',') || 'none'}`;
  }

  /**
   * One unit of time: every live node's clock may tick (each at its own rate: clocks drift), the
   * network delivers what is due, a fault may strike, nodes handle their Readys, clients act.
   */
  private oneStep(): void {
    for (const n of this.running()) if (this.rnd() < n.tickRate) n.core.tick();
    this.deliverDue();
    if (!this.quiet) this.fault();
    if (this.spec.slowDisks) for (const n of this.running()) this.completeWrites(n, this.step);
    for (const n of this.running()) this.processReady(n);
    for (const n of this.running()) this.maybeAnnounce(n);
    for (const c of this.clients) this.clientStep(c);
    this.checkElectionSafety();
  }

  // ------------------------------------------------------------------ network and faults

  /** A message's delay in steps: mostly short, sometimes long (reordering), rarely very long. */
  private delay(): number {
    if (this.quiet) return 1 + Math.floor(this.rnd() * 4);
    const r = this.rnd();
    if (r < 0.01) return 1 + Math.floor(this.rnd() * 400);
    return 1 + Math.floor(this.rnd() * this.rnd() * 16);
  }

  /** Deliver every message that is due, in random order. */
  private deliverDue(): void {
    const due: Envelope[] = [];
    const later: Envelope[] = [];
    for (const env of this.bag) (env.at <= this.step ? due : later).push(env);
    if (due.length === 0) return;
    this.bag = later;
    for (let i = due.length - 1; i > 0; i--) {
      const j = Math.floor(this.rnd() * (i + 1));
      [due[i], due[j]] = [due[j]!, due[i]!];
    }
    for (const env of due) this.deliver(env);
  }

  private deliver(env: Envelope): void {
    // Occasionally duplicated (delivered again later): Raft messages only, as the client's unary
    // RPCs (gRPC over HTTP/2) are never delivered twice; a client retry is a new attempt.
    if (!this.quiet && env.kind === 'raft' && this.rnd() < 0.02) this.bag.push({ ...env, at: this.step + this.delay() });
    if (this.linkCut(env.from, env.to)) return;
    if (env.kind === 'resp') {
      this.clientReceive(this.clients.find((c) => c.id === env.to)!, env.resp);
      return;
    }
    const node = this.nodes.get(env.to)!;
    if (!node.up) return;
    if (node.pausedUntil > this.step) {
      // A paused process reads nothing: the message waits in its socket until it wakes.
      this.bag.push({ ...env, at: node.pausedUntil });
      return;
    }
    if (env.kind === 'raft') node.core.step(env.msg);
    else if (env.kind === 'reset') {
      if (node.core.status().leader === env.lost && node.core.status().role === 'follower') this.stats.resetsToFollowers++;
      node.core.peerLost(env.lost);
    } else this.handleRequest(node, env.req);
  }

  private fault(): void {
    const r = this.rnd() * 1000;
    if (r < 10) {
      // Lose a message in flight.
      if (this.bag.length === 0) return;
      const i = Math.floor(this.rnd() * this.bag.length);
      this.bag.splice(i, 1);
    } else if (r < 12) {
      // Random two-way split of nodes and clients.
      this.side = new Map();
      for (const id of this.ids) this.side.set(id, this.rnd() < 0.5 ? 0 : 1);
      for (const c of this.clients) this.side.set(c.id, this.rnd() < 0.5 ? 0 : 1);
      this.stats.partitions++;
      this.note(`partition ${[...this.side].filter(([, x]) => x === 0).map(([e]) => e).join(',')} | ${[...this.side].filter(([, x]) => x === 1).map(([e]) => e).join(',')}`);
    } else if (r < 16) {
      if (this.side) this.note('heal');
      this.side = undefined;
    } else if (r < 18) {
      // Crash a node (never a majority: the cluster should keep making progress).
      const down = this.ids.length - this.alive().length;
      const n = this.pick(this.alive());
      if (!n || down >= Math.floor((this.ids.length - 1) / 2)) return;
      n.up = false;
      if (this.spec.slowDisks) {
        // Its disk may have finished some of the writes it was handed; the rest are lost.
        const done = Math.floor(this.rnd() * (n.diskQueue.length + 1));
        this.stats.lostWrites += n.diskQueue.length - done;
        n.diskQueue.splice(done);
        this.completeWrites(n, Infinity);
      }
      n.pending.clear();
      n.reads.clear();
      this.stats.crashes++;
      // A process crash: the kernel resets its connections (the peers it can reach hear of it). A
      // host crash: nothing arrives.
      const process = this.rnd() < 0.6;
      if (process) {
        this.stats.processCrashes++;
        for (const p of this.alive()) if (p !== n) this.send({ kind: 'reset', from: n.id, to: p.id, lost: n.id });
      }
      this.note(`crash ${n.id} (${n.core.status().role}, term ${n.core.status().term}${process ? ', process: connections reset' : ', host: no reset'})`);
    } else if (r < 24) {
      const n = this.pick([...this.nodes.values()].filter((x) => !x.up));
      if (n) this.restartNode(n);
    } else if (r < 34) {
      const n = this.pick(this.alive());
      if (!n) return;
      const applied = n.core.status().applied;
      if (applied <= n.core.logView().snapshotIndex) return;
      // As the driver: no snapshot beyond what its own disk holds (slow disks only).
      if (n.core.durableIndex() < applied) return;
      const data = n.snapshotData();
      const snap = n.core.compact(applied, data);
      if (!snap) return;
      n.storage.compact(snap);
      this.stats.compactions++;
      this.note(`compact ${n.id} at ${applied}`);
      const other = this.snapshotsAt.get(applied);
      if (other === undefined) this.snapshotsAt.set(applied, data);
      else if (other !== data) this.fail(`state machine safety: ${n.id}'s namespace at index ${applied} differs from another node's snapshot at the same index`);
    } else if (r < 35) {
      const n = this.alive().find((x) => x.core.status().role === 'leader');
      const to = this.pick(this.ids.filter((id) => id !== n?.id));
      if (!n || to === undefined) return;
      this.note(`transfer leadership ${n.id} -> ${to}`);
      n.core.transferLeadership(to);
    } else if (r < 37) {
      // A flaky link: one node sees its connection to a live peer reset (often its leader).
      const n = this.pick(this.alive());
      const leader = n?.core.status().leader;
      const lost = leader && this.rnd() < 0.7 ? leader : this.pick(this.ids.filter((id) => id !== n?.id));
      if (!n || lost === undefined || lost === n.id) return;
      this.stats.flakyResets++;
      this.note(`flaky reset: ${n.id} sees its connections to ${lost} reset`);
      this.send({ kind: 'reset', from: lost, to: n.id, lost });
    } else if (r < 38) {
      // SIGSTOP: the process stops (often the leader); its connections stay open, nothing is reset.
      const leader = this.alive().find((x) => x.core.status().role === 'leader');
      const n = leader && this.rnd() < 0.6 ? leader : this.pick(this.alive());
      if (!n || n.pausedUntil > this.step) return;
      n.pausedUntil = this.step + 20 + Math.floor(this.rnd() * 400);
      this.stats.pauses++;
      this.note(`pause ${n.id} (${n.core.status().role}, term ${n.core.status().term}) until step ${n.pausedUntil}`);
    }
  }

  private restartNode(n: SimNode): void {
    n.restart();
    n.tickRate = 0.1 * (0.6 + 0.8 * this.rnd());
    this.stats.restarts++;
    this.note(`restart ${n.id} (term ${n.core.status().term}, snapshot ${n.lastApplied})`);
  }

  // ------------------------------------------------------------------ node side

  /** Handle one Ready in the driver's order: persist, send, apply, serve reads, advance. */
  private processReady(n: SimNode): void {
    if (!n.core.hasReady()) return;
    const rd: Ready = n.core.ready();
    // 1. persist (with slow disks a leader only hands its write over; the others wait for theirs)
    const async = this.spec.slowDisks === true && n.core.roleInfo().role === 'leader' && !rd.snapshot;
    if (async) {
      const last = n.diskQueue[n.diskQueue.length - 1]?.at ?? 0;
      n.diskQueue.push({ rd, at: Math.max(last, this.step + 1 + Math.floor(this.rnd() * 30)) });
    } else {
      this.completeWrites(n, Infinity);
      n.storage.save(rd);
    }
    // 2. send
    for (const m of rd.messages) {
      if (m.type === 'Snap') this.stats.snapshotsSent++;
      this.send({ kind: 'raft', from: m.from, to: m.to, msg: m });
    }
    // 3. apply
    if (rd.snapshot) {
      n.restore(rd.snapshot.data);
      if (rd.snapshot.index < n.lastApplied) this.fail(`${n.id} restored snapshot ${rd.snapshot.index} after applying ${n.lastApplied}`);
      n.lastApplied = rd.snapshot.index;
      for (const [index, p] of n.pending) {
        if (index > rd.snapshot.index) continue;
        n.pending.delete(index);
        if (p.req) this.reply(n, p.req, this.notLeader(n));
      }
      this.note(`${n.id} installed snapshot ${rd.snapshot.term}/${rd.snapshot.index}`);
    }
    for (const e of rd.committedEntries) this.apply(n, e);
    // 4. reads whose index has been applied
    for (const rs of rd.readStates) {
      const req = n.reads.get(rs.context);
      if (!req) continue;
      n.reads.delete(rs.context);
      this.reply(n, req, this.read(n, req.input));
    }
    if (rd.softState) this.note(`${n.id} is ${rd.softState.role}, leader ${rd.softState.leader || '-'} (term ${n.core.status().term})`);
    // 5. advance
    const v = n.core.logView();
    if (async && v.committed > v.durable) this.stats.commitsAhead++;
    n.core.advance(rd, !async);
  }

  /** Slow disks: the writes of `n` due by step `upTo` become durable, in order; the core is told. */
  private completeWrites(n: SimNode, upTo: number): void {
    while (n.diskQueue.length > 0 && n.diskQueue[0]!.at <= upTo) {
      const { rd } = n.diskQueue.shift()!;
      n.storage.save(rd);
      const last = rd.entries[rd.entries.length - 1];
      if (last) n.core.persisted(last.index, last.term);
    }
  }

  private apply(n: SimNode, e: { index: number; term: number; type: string; data: string }): void {
    if (e.index !== n.lastApplied + 1) this.fail(`${n.id} applied index ${e.index} right after ${n.lastApplied}`);
    n.lastApplied = e.index;
    let outcome = e.type;
    let reply: Reply | undefined;
    let entry: MasterEntry | undefined;
    if (e.type === 'normal' && e.data !== '') {
      entry = n.ns.decode(JSON.parse(e.data));
      const opId = entry.opId;
      try {
        const earlier = opId === undefined ? undefined : n.failed.get(opId);
        if (earlier !== undefined) throw Object.assign(new Error('failed before'), { code: earlier });
        const result = n.ns.apply(entry, e.index);
        outcome = `ok ${JSON.stringify(result)}`;
        reply = { type: 'ok' };
        if (typeof entry.opId === 'string') this.effective.add(entry.opId);
      } catch (err) {
        const code = (err as { code?: string }).code ?? (err as Error).name;
        if (this.spec.rememberFailures && opId !== undefined && !n.ns.hasOp(opId)) n.failed.set(opId, code);
        outcome = `error ${code}`;
        reply = { type: 'error', code };
      }
      this.stats.applied++;
    }
    const known = this.applied.get(e.index);
    const mine = { term: e.term, type: e.type, data: e.data, outcome };
    if (!known) {
      this.applied.set(e.index, mine);
      if (typeof entry?.opId === 'string') {
        const list = this.appliedOps.get(entry.opId) ?? [];
        list.push(`${e.index}@${e.term}: ${outcome}`);
        this.appliedOps.set(entry.opId, list);
      }
    }
    else if (known.term !== mine.term || known.type !== mine.type || known.data !== mine.data || known.outcome !== mine.outcome) {
      this.fail(`state machine safety: ${n.id} applied ${JSON.stringify(mine)} at index ${e.index}, another node applied ${JSON.stringify(known)}`);
    }
    const p = n.pending.get(e.index);
    if (!p) return;
    n.pending.delete(e.index);
    if (p.term !== e.term) {
      // Another entry took the index: this proposal was not applied (RaftJournal: NotLeader).
      if (p.req) this.reply(n, p.req, this.notLeader(n));
      return;
    }
    if (!p.req) {
      // Our leaderInfo applied: everything before it has too; serve while we still lead this term.
      const st = n.core.status();
      if (st.role === 'leader' && st.term === e.term) {
        n.servingTerm = e.term;
        this.note(`${n.id} serving (term ${e.term})`);
      }
      return;
    }
    this.reply(n, p.req, reply!);
  }

  private read(n: SimNode, input: NsInput): Reply {
    const path = (input as { path: string }).path;
    const inode = n.ns.lookup(path);
    if (input.op === 'exists') return { type: 'ok', value: inode !== undefined };
    if (!inode) return { type: 'error', code: 'FILE_DOES_NOT_EXIST' };
    return { type: 'ok', value: inode.dir ? 'dir' : 'file' };
  }

  /** A new leader announces itself with a leaderInfo entry and serves once it applied. */
  private maybeAnnounce(n: SimNode): void {
    const st = n.core.status();
    if (st.role !== 'leader' || n.leaderInfoTerm === st.term) return;
    try {
      const index = n.core.propose(JSON.stringify({ type: 'leaderInfo', id: n.id, rpc: `${n.id}:19998`, web: `${n.id}:19999` }));
      n.pending.set(index, { term: st.term });
      n.leaderInfoTerm = st.term;
    } catch (err) {
      if (!(err instanceof NotLeaderError)) throw err; // leadership transfer in progress: try again later
    }
  }

  private handleRequest(n: SimNode, req: Request): void {
    if (!n.serving()) {
      this.reply(n, req, this.notLeader(n));
      return;
    }
    const input = req.input;
    if (isRead(input)) {
      const ctx = `${req.opId}#${req.attempt}`;
      try {
        n.core.readIndex(ctx);
        n.reads.set(ctx, req);
      } catch (err) {
        if (!(err instanceof NotLeaderError)) throw err;
        this.reply(n, req, this.notLeader(n));
      }
      return;
    }
    // master.ts: CreateDirectory / CreateFile refuse an existing path before proposing (unless
    // this opId was applied already: a retry).
    if (this.spec.precheck && (input.op === 'mkdir' || input.op === 'createFile') && n.ns.lookup(input.path) && !n.ns.hasOp(req.opId)) {
      this.reply(n, req, { type: 'error', code: 'FILE_ALREADY_EXISTS' });
      return;
    }
    let entry: Record<string, unknown>;
    switch (input.op) {
      case 'mkdir': entry = { type: 'mkdir', path: input.path, recursive: input.recursive, allowExists: false, persisted: false }; break;
      case 'createFile': entry = { type: 'createFile', path: input.path, recursive: input.recursive, blockSize: 1 }; break;
      case 'delete': entry = { type: 'delete', path: input.path, recursive: input.recursive }; break;
      case 'rename': entry = { type: 'rename', src: input.src, dst: input.dst }; break;
      default: throw new Error(`unexpected write ${input.op}`);
    }
    entry.opId = req.opId;
    entry.ts = req.ts;
    try {
      const index = n.core.propose(JSON.stringify(entry));
      n.pending.set(index, { term: n.core.status().term, req });
      this.opEvent(req.opId, `${n.id} proposes attempt ${req.attempt} at index ${index} (term ${n.core.status().term})`);
    } catch (err) {
      if (!(err instanceof NotLeaderError)) throw err;
      this.reply(n, req, this.notLeader(n));
    }
  }

  // ------------------------------------------------------------------ clients

  private genInput(): NsInput {
    const g = Math.floor(this.rnd() * this.spec.groups);
    const paths = [`/k${g}a`, `/k${g}b`, `/k${g}a/x`, `/k${g}b/x`];
    const path = this.pick(paths)!;
    const r = this.rnd() * 100;
    if (r < 18) return { op: 'mkdir', path, recursive: this.rnd() < 0.3 };
    if (r < 32) return { op: 'createFile', path, recursive: this.rnd() < 0.3 };
    if (r < 46) return { op: 'delete', path, recursive: this.rnd() < 0.5 };
    if (r < 60) return { op: 'rename', src: path, dst: this.pick(paths)! };
    if (r < 78) return { op: 'exists', path };
    return { op: 'getStatus', path };
  }

  private clientStep(c: SimClient): void {
    if (!c.cur) {
      if (this.quiet || this.rnd() >= 0.08) return;
      const h: HistOp = { client: c.index, opId: `${c.id}-${++c.seq}`, input: this.genInput(), call: ++this.clock };
      this.history.push(h);
      this.stats.ops++;
      c.cur = { h, attempt: 0, inflight: false, timeoutAt: 0, nextSendAt: this.step, deadline: this.step + this.spec.opDeadline };
      return;
    }
    const cur = c.cur;
    if (this.step >= cur.deadline) {
      // Give up: the outcome stays unknown (a write may still take effect).
      this.note(`${c.id} gives up on ${cur.h.opId}`);
      this.opEvent(cur.h.opId, `${c.id} gives up`);
      c.cur = undefined;
      return;
    }
    if (cur.inflight && this.step >= cur.timeoutAt) {
      cur.inflight = false;
      this.opEvent(cur.h.opId, `${c.id}: attempt ${cur.attempt} timed out`);
      if (this.rnd() < 0.1) {
        // A client with a short overall deadline (or one that died): the outcome stays unknown.
        this.opEvent(cur.h.opId, `${c.id} gives up`);
        c.cur = undefined;
        return;
      }
      this.stats.retries++;
      c.target = this.ids[(this.ids.indexOf(c.target) + 1) % this.ids.length]!;
    }
    if (!cur.inflight && this.step >= cur.nextSendAt) {
      cur.attempt++;
      cur.inflight = true;
      cur.timeoutAt = this.step + this.spec.attemptTimeout;
      // The same opId on every attempt: the namespace applies a retried write once.
      this.opEvent(cur.h.opId, `${c.id} sends attempt ${cur.attempt} to ${c.target}`);
      this.send({ kind: 'req', from: c.id, to: c.target, req: { client: c.id, opId: cur.h.opId, attempt: cur.attempt, input: cur.h.input, ts: this.step } });
    }
  }

  private clientReceive(c: SimClient, resp: Response): void {
    const cur = c.cur;
    // Like a unary RPC: only the answer to the attempt in flight counts.
    if (!cur || !cur.inflight || resp.opId !== cur.h.opId || resp.attempt !== cur.attempt) return;
    const r = resp.reply;
    if (r.type === 'notLeader') {
      this.stats.notLeader++;
      cur.inflight = false;
      cur.nextSendAt = this.step + 2 + Math.floor(this.rnd() * 10);
      c.target = r.hint ?? this.ids[(this.ids.indexOf(c.target) + 1) % this.ids.length]!;
      return;
    }
    this.opEvent(cur.h.opId, `${c.id} takes the answer to attempt ${resp.attempt}`);
    cur.h.ret = ++this.clock;
    cur.h.output = r.type === 'ok' ? (r.value === undefined ? { ok: true } : { ok: true, value: r.value }) : { ok: false, error: r.code };
    c.cur = undefined;
  }

  // ------------------------------------------------------------------ checks

  private checkElectionSafety(): void {
    for (const n of this.alive()) {
      const st = n.core.status();
      if (st.role !== 'leader') continue;
      const prev = this.leaderOf.get(st.term);
      if (prev === undefined) {
        this.leaderOf.set(st.term, n.id);
        this.stats.leaderTerms++;
      } else if (prev !== n.id) {
        this.fail(`election safety: term ${st.term} has two leaders, ${prev} and ${n.id}`);
      }
    }
  }

  private checkConverged(): void {
    const nodes = [...this.nodes.values()];
    const first = nodes[0]!.snapshotData();
    for (const n of nodes.slice(1)) {
      if (n.snapshotData() !== first) this.fail(`after the quiet period ${n.id}'s namespace differs from ${nodes[0]!.id}'s (both applied ${n.lastApplied})`);
    }
  }

  /**
   * The history for the checker: reads without an answer had no effect and are left out; so are
   * writes without an answer that no node ever applied successfully (they had no effect); other
   * unanswered writes have an unknown outcome.
   */
  checkerHistory(): NsOp[] {
    const ops: NsOp[] = [];
    for (const h of this.history) {
      if (h.ret === undefined) {
        if (isRead(h.input) || !this.effective.has(h.opId)) {
          this.stats.droppedOps++;
          continue;
        }
        this.stats.unknownOps++;
        ops.push({ client: h.client, input: h.input, call: h.call });
        continue;
      }
      if (isRead(h.input)) this.stats.reads++;
      if (h.output!.ok) this.stats.okOps++;
      else this.stats.errorOps++;
      ops.push({ client: h.client, input: h.input, call: h.call, ret: h.ret, output: h.output! });
    }
    return ops;
  }
}

export function describeHistory(history: readonly HistOp[]): string {
  return history.map((h) => `[${h.call}, ${h.ret ?? 'inf'}] c${h.client} ${h.opId}: ${describeNsOp({ client: h.client, input: h.input, call: h.call, ...(h.ret !== undefined ? { ret: h.ret, output: h.output! } : {}) })}`).join('\n');
}

/** Run one seed. Throws SimFailure (with the recent actions) when a check fails. */
export function runSeed(seed: number, overrides: Partial<SimSpec> = {}): SimResult {
  return new NsSim(specFor(seed, overrides)).run({ maxSteps: 5_000_000, timeoutMs: 60_000 });
}
