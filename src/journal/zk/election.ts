/**
 * Leader election through ZooKeeper (node-zookeeper-client), the LeaderElection of the shared
 * (UFS) journal. docs/architecture.md, "ZooKeeper mode", explains the design; in short:
 *
 * - One ZooKeeper session per process incarnation: never a session id saved and reused. A session
 *   that expired is replaced by a fresh one, which enters the election again at the back.
 * - Candidates: EPHEMERAL_SEQUENTIAL nodes `c_<session>_<seq>` under alluxio.zookeeper.election.path
 *   (data: the published address). The lowest sequence leads; every other candidate watches only
 *   its predecessor (exists + watch), so a candidate that goes away wakes one other, never all.
 *   The session id in the name finds this session's node again after a create whose answer was
 *   lost with the connection (no duplicate candidate).
 * - Epochs: a persistent node `<election.path>.epoch` holds the last epoch. A new leader reads it
 *   and writes epoch+1 with setData conditioned on the version it read (compare-and-set): of two
 *   masters bumping from the same value only one succeeds, so every leadership gets a value no
 *   other leadership ever had, greater than all earlier ones. The version written is kept:
 *   confirm() commits a multi-op `check(epoch node, that version) + check(own candidate)`, which
 *   the ZooKeeper leader orders with every write (a linearizable round trip, unlike a read a
 *   lagging follower might answer): it succeeds only when no later epoch exists and this session's
 *   candidate node (so the session) is alive.
 * - The leader publishes `{address, epoch}` in an EPHEMERAL node at alluxio.zookeeper.leader.path:
 *   it disappears with the session.
 * - alluxio.zookeeper.leader.connection.error.policy: SESSION keeps leadership through a
 *   disconnection as long as the session may still be alive; STANDARD steps down at the first
 *   connection loss and, back with the same session and still first in line, leads again under a
 *   new epoch.
 * - No zombie: a client cut off from ZooKeeper never hears that its session expired. Every
 *   sessionTimeout/4 a round trip (exists of the epoch node) is timed; a leader that has had no
 *   answer to anything sent in the last `sessionTimeout - margin` ms steps down on its own timer,
 *   before ZooKeeper can expire its session and let another master lead.
 */
import zookeeper from 'node-zookeeper-client';
import type { Config } from '../../conf/index.js';
import { UnavailableError } from '../../errors.js';
import type { ElectionEvent, LeaderElection } from '../election.js';
import { createZkClient } from './client.js';

export type ConnectionErrorPolicy = 'SESSION' | 'STANDARD';

export interface ZkElectionOptions {
  /** ZooKeeper connect string (host:port,host:port). */
  ensemble: string;
  electionPath: string;
  leaderPath: string;
  sessionTimeoutMs: number;
  connectionTimeoutMs: number;
  policy: ConnectionErrorPolicy;
  /** What the leader publishes: its rpc host:port. */
  address: string;
  /** Extra published fields (the web address). */
  published?: Record<string, string>;
  log?: (msg: string) => void;
}

/** What the leader writes at alluxio.zookeeper.leader.path. */
export interface PublishedLeader { address: string; epoch: number; [k: string]: unknown }

export function encodeLeader(p: PublishedLeader): Buffer {
  return Buffer.from(JSON.stringify(p));
}

/** The leader's record (also a bare `host:port`, as other tools may write it); undefined when unreadable. */
export function decodeLeader(data: Buffer | null | undefined): PublishedLeader | undefined {
  if (!data || data.length === 0) return undefined;
  const s = data.toString('utf8');
  try {
    const v = JSON.parse(s) as unknown;
    if (v && typeof v === 'object' && typeof (v as PublishedLeader).address === 'string') return v as PublishedLeader;
  } catch { /* not JSON */ }
  return /^[^\s:]+:\d+$/.test(s) ? { address: s, epoch: 0 } : undefined;
}

/** The epoch node of an election path. */
export const epochPath = (electionPath: string): string => `${electionPath}.epoch`;

/** How long before the session could expire a cut-off leader steps down. */
export function stepDownMargin(sessionTimeoutMs: number): number {
  return Math.min(2000, Math.floor(sessionTimeoutMs / 5));
}

const E = (zookeeper as unknown as { Exception: Record<string, number> }).Exception;
const codeOf = (e: unknown): number | undefined => (e && typeof (e as { getCode?: () => number }).getCode === 'function' ? (e as { getCode: () => number }).getCode() : undefined);

/** Run a callback-style ZooKeeper call with a deadline (calls queued on a lost connection may never return). */
function zkCall<T>(what: string, ms: number, fn: (cb: (err: unknown, v: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: no answer from ZooKeeper within ${ms} ms`)), ms);
    fn((err, v) => { clearTimeout(t); if (err) reject(err); else resolve(v); });
  });
}

/** The sequence number of a candidate node name (its last 10 digits). */
export function sequenceOf(name: string): number {
  const m = /(\d{10})$/.exec(name);
  return m ? Number(m[1]) : Number.MAX_SAFE_INTEGER;
}

export class ZkElection implements LeaderElection {
  private client: zookeeper.Client | undefined;
  /** Incremented per session: events and results of an older session are ignored. */
  private gen = 0;
  private connected = false;
  private everConnected = false;
  private candidate: string | undefined;
  /** This candidate's node under the election path, once created (undefined before, and after a session loss). */
  candidateNode(): string | undefined { return this.candidate; }
  private leading: { epoch: number; version: number } | undefined;
  /** Send time of the newest request ZooKeeper answered in this session. */
  private lastOkAt = 0;
  private disconnectedAt: number | undefined;
  private closed = false;
  private checking: Promise<void> = Promise.resolve();
  private recheck = false;
  private readonly listeners: ((e: ElectionEvent) => void)[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private connectTimer: NodeJS.Timeout | undefined;
  /** Resolves start()'s wait at the first session. */
  private firstConnect: (() => void) | undefined;
  private lastError: string | undefined;
  /** The session timeout ZooKeeper granted (it clamps the requested one to its [min, max]). */
  private sessionMs: number;
  private readonly log: (msg: string) => void;
  /** Election steps run (a watch that fires runs one): tests count them to see who was woken. */
  checks = 0;

  constructor(readonly o: ZkElectionOptions) {
    this.log = o.log ?? (() => undefined);
    this.sessionMs = o.sessionTimeoutMs;
  }

  /** The session timeout in force: the one ZooKeeper granted, else the one configured. */
  sessionTimeoutMs(): number { return this.sessionMs; }

  /** The ensemble as shown in messages. */
  private get where(): string {
    return `ZooKeeper ${this.o.ensemble} (alluxio.zookeeper.address)`;
  }

  /** A call's deadline: the connection timeout, at most the session timeout. */
  private get callMs(): number {
    return Math.max(500, Math.min(this.o.connectionTimeoutMs, this.sessionMs));
  }

  async start(): Promise<void> {
    if (this.closed) throw new Error('the ZooKeeper election was closed');
    const beat = () => {
      const t = setTimeout(() => { void this.heartbeat(); if (!this.closed) beat(); }, Math.max(100, Math.floor(this.sessionMs / 4))).unref();
      this.timers[0] = t;
    };
    beat();
    this.timers.push(setInterval(() => this.watchdog(), Math.max(50, Math.min(250, Math.floor(this.o.sessionTimeoutMs / 10)))).unref());
    this.newSession();
    // Wait for the first session up to the connection timeout; past it, report and go on
    // trying in the background (a leader is elected when ZooKeeper answers, without a restart).
    await new Promise<void>((resolve) => {
      if (this.everConnected) { resolve(); return; }
      const t = setTimeout(resolve, this.o.connectionTimeoutMs);
      const done = () => { clearTimeout(t); resolve(); };
      this.firstConnect = done;
    });
    this.firstConnect = undefined;
  }

  isLeader(): boolean { return this.leading !== undefined; }
  epoch(): number | undefined { return this.leading?.epoch; }
  onChange(listener: (e: ElectionEvent) => void): void { this.listeners.push(listener); }

  /** One line for reports: connected or not, leading or not, the last error. */
  status(): string {
    const conn = this.connected ? 'connected' : `not connected${this.disconnectedAt ? ` for ${Date.now() - this.disconnectedAt} ms` : ''}`;
    return `${this.where}: ${conn}; ${this.leading ? `leader (epoch ${this.leading.epoch})` : 'standby'}${this.lastError ? `; last error: ${this.lastError}` : ''}`;
  }

  private emit(e: ElectionEvent): void {
    for (const l of this.listeners) {
      try { l(e); } catch (err) { this.log(`ERROR ZooKeeper election: a listener failed: ${(err as Error).message}`); }
    }
  }

  private newSession(): void {
    if (this.closed) return;
    const gen = ++this.gen;
    this.connected = false;
    this.candidate = undefined;
    this.recheck = false;
    const c = createZkClient(this.o.ensemble, { sessionTimeout: this.o.sessionTimeoutMs, spinDelay: Math.min(1000, Math.max(100, Math.floor(this.o.connectionTimeoutMs / 10))), retries: 0 });
    this.client = c;
    const armConnectTimer = () => {
      if (this.connectTimer) clearTimeout(this.connectTimer);
      this.connectTimer = setTimeout(() => {
        if (gen !== this.gen || this.connected || this.closed) return;
        this.lastError = `cannot reach ${this.where} within alluxio.zookeeper.connection.timeout=${this.o.connectionTimeoutMs} ms`;
        this.log(`ERROR ZooKeeper election: ${this.lastError}; still trying (check that the ZooKeeper servers run and that this host reaches them)`);
        armConnectTimer();
      }, this.o.connectionTimeoutMs);
      this.connectTimer.unref();
    };
    armConnectTimer();
    c.on('connected', () => {
      if (gen !== this.gen) return;
      const wasDown = this.disconnectedAt !== undefined;
      this.connected = true;
      this.lastOkAt = Date.now();
      const granted = c.getSessionTimeout();
      if (granted > 0 && granted !== this.sessionMs) {
        this.log(`INFO ZooKeeper election: ${this.where} granted a session timeout of ${granted} ms instead of alluxio.zookeeper.session.timeout=${this.o.sessionTimeoutMs} ms (the servers' minSessionTimeout/maxSessionTimeout, by default 2 and 20 tickTime)`);
        this.sessionMs = granted;
      }
      if (wasDown) this.log(`INFO ZooKeeper election: connected to ${this.where} again after ${Date.now() - this.disconnectedAt!} ms (same session)`);
      this.disconnectedAt = undefined;
      this.lastError = undefined;
      if (this.connectTimer) clearTimeout(this.connectTimer);
      if (!this.everConnected) { this.everConnected = true; this.firstConnect?.(); }
      if (this.candidate === undefined || this.recheck || !this.leading) this.check(gen);
    });
    c.on('disconnected', () => {
      if (gen !== this.gen) return;
      this.connected = false;
      this.disconnectedAt ??= Date.now();
      this.log(`WARN ZooKeeper election: lost the connection to ${this.where}${this.leading ? ` while leading (policy ${this.o.policy})` : ''}`);
      if (this.o.policy === 'STANDARD') this.stepDown('the connection to ZooKeeper was lost (alluxio.zookeeper.leader.connection.error.policy=STANDARD)');
      armConnectTimer();
    });
    c.on('expired', () => {
      if (gen !== this.gen) return;
      this.log(`WARN ZooKeeper election: the session expired (${this.where}); starting a new session`);
      this.stepDown('the ZooKeeper session expired');
      c.close();
      setTimeout(() => { if (gen === this.gen) this.newSession(); }, 10).unref();
    });
    c.connect();
  }

  /** Time a round trip; answered requests keep the leadership's deadline alive. */
  private async heartbeat(): Promise<void> {
    const c = this.client;
    if (!c || !this.connected || this.closed) return;
    const gen = this.gen;
    const sent = Date.now();
    try {
      await zkCall('heartbeat', this.sessionMs, (cb) => c.exists(epochPath(this.o.electionPath), cb));
      if (gen === this.gen) this.lastOkAt = Math.max(this.lastOkAt, sent);
    } catch (e) {
      this.lastError = `heartbeat to ${this.where} failed: ${(e as Error).message}`;
    }
  }

  /** A leader that may have lost its session (no answer for sessionTimeout - margin) steps down. */
  private watchdog(): void {
    if (!this.leading) return;
    const silent = Date.now() - this.lastOkAt;
    if (silent > this.sessionMs - stepDownMargin(this.sessionMs)) {
      this.recheck = true;
      this.stepDown(`no answer from ${this.where} for ${silent} ms: the session (timeout ${this.sessionMs} ms) may have expired`);
    }
  }

  private stepDown(reason: string): void {
    if (!this.leading) return;
    const epoch = this.leading.epoch;
    this.leading = undefined;
    this.recheck = true;
    this.log(`WARN ZooKeeper election: stepping down (epoch ${epoch}): ${reason}`);
    this.emit({ leader: false, reason });
  }

  /** Run the election step for session `gen`, one at a time. */
  private check(gen: number): void {
    this.checking = this.checking.then(() => this.checkOnce(gen)).catch((e: unknown) => {
      if (gen !== this.gen || this.closed) return;
      this.lastError = `election step failed: ${(e as Error).message ?? String(e)}`;
      this.log(`WARN ZooKeeper election: ${this.lastError} (${this.where}); retrying`);
      // Retry while the session lives; a lost connection retries on 'connected'.
      this.recheck = true;
      setTimeout(() => { if (gen === this.gen && this.connected) this.check(gen); }, 200).unref();
    });
  }

  private async checkOnce(gen: number): Promise<void> {
    const c = this.client!;
    if (gen !== this.gen || this.closed || !this.connected) return;
    this.checks++;
    const ms = this.callMs;
    const sent = Date.now();
    const sid = c.getSessionId().toString('hex');
    const prefix = `c_${sid}_`;
    if (this.candidate === undefined) {
      await zkCall('mkdirp', ms, (cb) => c.mkdirp(this.o.electionPath, cb));
      const parent = this.o.leaderPath.slice(0, this.o.leaderPath.lastIndexOf('/'));
      if (parent) await zkCall('mkdirp', ms, (cb) => c.mkdirp(parent, cb));
      await zkCall<string>('create epoch node', ms, (cb) => c.create(epochPath(this.o.electionPath), Buffer.from('0'), zookeeper.CreateMode.PERSISTENT, cb))
        .catch((e: unknown) => { if (codeOf(e) !== E.NODE_EXISTS) throw e; });
      const existing = (await zkCall<string[]>('getChildren', ms, (cb) => c.getChildren(this.o.electionPath, cb))).find((n) => n.startsWith(prefix));
      const created = existing ? `${this.o.electionPath}/${existing}`
        : await zkCall<string>('create candidate', ms, (cb) => c.create(`${this.o.electionPath}/${prefix}`, Buffer.from(this.o.address), zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL, cb));
      if (gen !== this.gen) return;
      this.candidate = created;
      this.log(`INFO ZooKeeper election: candidate ${created} (${this.where})`);
    }
    const children = (await zkCall<string[]>('getChildren', ms, (cb) => c.getChildren(this.o.electionPath, cb)))
      .filter((n) => n.startsWith('c_')).sort((a, b) => sequenceOf(a) - sequenceOf(b));
    if (gen !== this.gen) return;
    this.lastOkAt = Math.max(this.lastOkAt, sent);
    const mine = this.candidate.slice(this.candidate.lastIndexOf('/') + 1);
    const i = children.indexOf(mine);
    if (i < 0) {
      // Our node is gone while the session lives (someone removed it): enter again.
      this.candidate = undefined;
      this.check(gen);
      return;
    }
    if (i > 0) {
      const pred = `${this.o.electionPath}/${children[i - 1]}`;
      const stat = await zkCall<zookeeper.Stat | null>('exists', ms, (cb) => c.exists(pred, () => { if (gen === this.gen) this.check(gen); }, cb));
      if (!stat && gen === this.gen) this.check(gen); // gone between the listing and the watch
      return;
    }
    if (this.leading) return;
    if (this.o.policy === 'STANDARD' && !this.connected) return;
    await this.lead(gen);
  }

  private async lead(gen: number): Promise<void> {
    const c = this.client!;
    const ms = this.callMs;
    const ep = epochPath(this.o.electionPath);
    for (let attempt = 0; attempt < 20; attempt++) {
      const sent = Date.now();
      const [data, stat] = await zkCall<[Buffer, zookeeper.Stat]>('read epoch', ms, (cb) => c.getData(ep, (err, d, s) => cb(err, [d, s])));
      const current = Number((data ?? Buffer.alloc(0)).toString('utf8') || '0');
      if (!Number.isSafeInteger(current) || current < 0) throw new Error(`the epoch node ${ep} holds "${data.toString('utf8').slice(0, 40)}", not an epoch`);
      const next = current + 1;
      let written: zookeeper.Stat;
      try {
        written = await zkCall<zookeeper.Stat>('bump epoch', ms, (cb) => c.setData(ep, Buffer.from(String(next)), stat.version, cb));
      } catch (e) {
        if (codeOf(e) === E.BAD_VERSION) continue; // bumped meanwhile: read again
        throw e;
      }
      if (gen !== this.gen || this.closed) return;
      this.lastOkAt = Math.max(this.lastOkAt, sent);
      if (this.o.policy === 'STANDARD' && !this.connected) return;
      this.leading = { epoch: next, version: written.version };
      this.recheck = false;
      this.log(`INFO ZooKeeper election: leading with epoch ${next} (${this.where})`);
      this.emit({ leader: true, epoch: next });
      await this.publish(gen, next);
      return;
    }
    throw new Error(`the epoch node ${ep} kept changing while this master tried to lead`);
  }

  /** Write {address, epoch} at the leader path (ephemeral); an old leader's node is waited out. */
  private async publish(gen: number, epoch: number): Promise<void> {
    const c = this.client!;
    const ms = this.callMs;
    const data = encodeLeader({ address: this.o.address, epoch, ...this.o.published });
    try {
      await zkCall<string>('publish leader', ms, (cb) => c.create(this.o.leaderPath, data, zookeeper.CreateMode.EPHEMERAL, cb));
      return;
    } catch (e) {
      if (codeOf(e) !== E.NODE_EXISTS) throw e;
    }
    const stat = await zkCall<zookeeper.Stat | null>('exists leader', ms, (cb) => c.exists(this.o.leaderPath, () => {
      if (gen === this.gen && this.leading?.epoch === epoch) this.publish(gen, epoch).catch((err: unknown) => this.log(`WARN ZooKeeper election: cannot publish the leader address: ${(err as Error).message}`));
    }, cb));
    if (!stat) { await this.publish(gen, epoch); return; }
    if (stat.ephemeralOwner.equals(c.getSessionId())) {
      await zkCall('publish leader', ms, (cb) => c.setData(this.o.leaderPath, data, -1, cb));
    } else {
      this.log(`INFO ZooKeeper election: ${this.o.leaderPath} still names the previous leader; publishing when its session ends`);
    }
  }

  async confirm(epoch: number): Promise<boolean> {
    const l = this.leading;
    const c = this.client;
    if (!l || l.epoch !== epoch || !c || !this.candidate || (this.o.policy === 'STANDARD' && !this.connected)) return false;
    const gen = this.gen;
    const sent = Date.now();
    try {
      await zkCall('confirm', this.callMs, (cb) => c.transaction().check(epochPath(this.o.electionPath), l.version).check(this.candidate!).commit(cb));
    } catch (e) {
      this.lastError = `confirm of epoch ${epoch} failed: ${(e as Error).message}`;
      return false;
    }
    if (gen !== this.gen) return false;
    this.lastOkAt = Math.max(this.lastOkAt, sent);
    return this.leading?.epoch === epoch;
  }

  async leaderAddress(): Promise<string | undefined> {
    const c = this.client;
    if (!c || !this.connected) throw new UnavailableError(`cannot ask ${this.where} for the leader: not connected${this.lastError ? ` (${this.lastError})` : ''}`);
    try {
      const data = await zkCall<Buffer>('read leader', this.callMs, (cb) => c.getData(this.o.leaderPath, cb));
      return decodeLeader(data)?.address;
    } catch (e) {
      if (codeOf(e) === E.NO_NODE) return undefined;
      throw new UnavailableError(`cannot read ${this.o.leaderPath} from ${this.where}: ${(e as Error).message}`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const c = this.client;
    const wasLeading = this.leading;
    this.stepDown('the master left the election');
    this.closed = true;
    for (const t of this.timers) { clearTimeout(t); clearInterval(t); }
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.firstConnect?.();
    this.gen++;
    if (c && this.connected) {
      // Leave at once (the next candidate needs not wait for the session to expire).
      const ms = Math.min(this.callMs, 2000);
      if (wasLeading) {
        const stat = await zkCall<zookeeper.Stat | null>('exists leader', ms, (cb) => c.exists(this.o.leaderPath, cb)).catch(() => null);
        if (stat?.ephemeralOwner.equals(c.getSessionId())) await zkCall('remove leader', ms, (cb) => c.remove(this.o.leaderPath, -1, (err) => cb(err, undefined))).catch(() => undefined);
      }
      if (this.candidate) await zkCall('remove candidate', ms, (cb) => c.remove(this.candidate!, -1, (err) => cb(err, undefined))).catch(() => undefined);
    }
    c?.close();
    this.client = undefined;
    this.connected = false;
  }
}

/** The election of this master from the configuration (alluxio.zookeeper.*). */
export function createZkElection(conf: Config, publishedAddress: string, log?: (msg: string) => void, published?: Record<string, string>): ZkElection {
  return new ZkElection({
    ensemble: conf.getList('alluxio.zookeeper.address').join(','),
    electionPath: conf.get('alluxio.zookeeper.election.path'),
    leaderPath: conf.get('alluxio.zookeeper.leader.path'),
    sessionTimeoutMs: conf.getMs('alluxio.zookeeper.session.timeout'),
    connectionTimeoutMs: conf.getMs('alluxio.zookeeper.connection.timeout'),
    policy: conf.get('alluxio.zookeeper.leader.connection.error.policy').toUpperCase() === 'STANDARD' ? 'STANDARD' : 'SESSION',
    address: publishedAddress,
    ...(published ? { published } : {}),
    ...(log ? { log } : {}),
  });
}
