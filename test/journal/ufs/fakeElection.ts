/**
 * An in-process LeaderElection for tests of the shared journal: one FakeElectionService per
 * simulated ensemble, epochs under the test's control. `elect(m)` gives `m` a new, higher epoch
 * and tells the previous leader it lost, unless that one is `deaf` (a paused master: it keeps
 * believing it leads, as a master frozen past its session timeout does). `confirm` answers what
 * the service knows (false once another master took over); `holdConfirms` pauses the answers.
 */
import type { ElectionEvent, LeaderElection } from '../../../src/journal/election.js';

export class FakeElectionService {
  epoch = 0;
  leader: FakeElection | undefined;
  confirms = 0;

  member(address: string): FakeElection {
    return new FakeElection(this, address);
  }

  /** `m` leads from now on under a new epoch; returns it. */
  elect(m: FakeElection): number {
    if (!m.started) throw new Error(`${m.address} is not a candidate (not started or closed)`);
    const prev = this.leader;
    this.epoch++;
    this.leader = m;
    if (prev && prev !== m) prev.lose(`${m.address} was elected (epoch ${this.epoch})`);
    m.win(this.epoch);
    return this.epoch;
  }
}

export class FakeElection implements LeaderElection {
  started = false;
  /** Receives no events while set (paused); its view of its own leadership stays as it was. */
  deaf = false;
  private view: number | undefined;
  private listeners: ((e: ElectionEvent) => void)[] = [];
  private hold: Promise<void> | undefined;
  private release: (() => void) | undefined;

  constructor(private readonly service: FakeElectionService, readonly address: string) {}

  async start(): Promise<void> { this.started = true; }
  isLeader(): boolean { return this.view !== undefined; }
  epoch(): number | undefined { return this.view; }
  onChange(listener: (e: ElectionEvent) => void): void { this.listeners.push(listener); }

  /** The next `n` confirms fail with an error (a connection loss that keeps the session). */
  failConfirms = 0;

  async confirm(epoch: number): Promise<boolean> {
    this.service.confirms++;
    if (this.hold) await this.hold;
    if (this.failConfirms > 0) { this.failConfirms--; throw new Error('connection loss (test)'); }
    return this.service.leader === this && this.service.epoch === epoch;
  }

  /** Pause every confirm until `releaseConfirms` (the service counts the confirms asked: `confirms`). */
  holdConfirms(): void { this.hold = new Promise((r) => { this.release = r; }); }
  releaseConfirms(): void { this.release?.(); this.hold = undefined; }

  async leaderAddress(): Promise<string | undefined> { return this.service.leader?.address; }

  async close(): Promise<void> {
    this.started = false;
    if (this.service.leader === this) this.service.leader = undefined;
    this.view = undefined;
  }

  /** The session expired and the listener was not told yet: isLeader() is false, no event. */
  forget(): void {
    this.view = undefined;
    if (this.service.leader === this) this.service.leader = undefined;
  }

  win(epoch: number): void {
    if (this.deaf) return;
    this.view = epoch;
    for (const l of this.listeners) l({ leader: true, epoch });
  }

  lose(reason: string): void {
    if (this.deaf) return;
    this.view = undefined;
    for (const l of this.listeners) l({ leader: false, reason });
  }
}
