/**
 * Connection to the leading master. Finds the leader by asking the configured addresses (or
 * those of a URI authority) all at once (leaderDiscovery.ts), follows NotLeader hints (also to
 * masters not configured), and retries transient failures with bounded exponential backoff
 * (alluxio.user.rpc.retry.*). The final error lists every address tried.
 */
import os from 'node:os';
import * as grpc from '@grpc/grpc-js';
import type { Config } from '../conf/index.js';
import { protos, callUnary, fromServiceError, CHANNEL_OPTIONS, USER_KEY } from '../rpc.js';
import { NotLeaderError, UnavailableError, TimeoutError, AlluxioError, InternalError } from '../errors.js';
import { MuxChannel, FramedMuxChannel } from '../mux.js';
import { discoverLeader, validHint, type ProbeAnswer } from './leaderDiscovery.js';
import { ZkLeaderWatcher } from './zkLeader.js';
import { masterRpcAddresses } from './masterAddresses.js';

type ServiceName = 'file' | 'block' | 'blockWorker' | 'meta' | 'journal';

/** How long one master may take to answer a one-off GetMasterInfo (askMasterInfo). */
export const MASTER_PROBE_MS = 5_000;

/**
 * Ask the master at `addr` (host:rpcPort) for its MasterInfo once, on a channel of its own with
 * its own deadline (reports and checks that ask every master, whatever its role).
 */
export async function askMasterInfo(addr: string, timeoutMs = MASTER_PROBE_MS): Promise<any> {
  const meta = new (protos().meta.MetaMasterClientService)(addr, grpc.credentials.createInsecure(), CHANNEL_OPTIONS) as grpc.Client;
  try {
    return await callUnary<any>(meta, 'GetMasterInfo', {}, timeoutMs, addr);
  } finally {
    meta.close();
  }
}

export { masterRpcAddresses };

/**
 * The user this client acts as: alluxio.security.login.username, else the OS user running it
 * (its uid when the OS has no name for it).
 */
export function loginUser(conf: Config): string {
  const configured = conf.get('alluxio.security.login.username');
  if (configured) return configured;
  try { return os.userInfo().username; } catch { return String(process.getuid?.() ?? ''); }
}

export interface RetryPolicy { baseSleepMs: number; maxSleepMs: number; maxDurationMs: number; callTimeoutMs: number }

export function retryPolicy(conf: Config): RetryPolicy {
  return {
    baseSleepMs: conf.getMs('alluxio.user.rpc.retry.base.sleep'),
    maxSleepMs: conf.getMs('alluxio.user.rpc.retry.max.sleep'),
    maxDurationMs: conf.getMs('alluxio.user.rpc.retry.max.duration'),
    callTimeoutMs: conf.getMs('alluxio.user.master.polling.timeout'),
  };
}

/**
 * While no master says it leads, masters are polled at least this often (three small calls per
 * poll, only while looking for a leader). An election takes a few hundred milliseconds; with
 * plain exponential backoff (50, 100, 200, 400 ms, ...) a client would notice the new leader
 * only at its next poll, up to 400 ms late (failovers measured ~430 ms or ~840 ms depending on
 * where the election fell between polls).
 */
export const LEADER_POLL_MAX_MS = 50;

/** The sleep after `prev` ms: doubled, capped by max.sleep, and by LEADER_POLL_MAX_MS while looking for a leader. */
export function nextSleep(prev: number, policy: Pick<RetryPolicy, 'maxSleepMs'>, findingLeader: boolean): number {
  return Math.min(prev * 2, policy.maxSleepMs, findingLeader ? LEADER_POLL_MAX_MS : Infinity);
}

/**
 * First deadline of one discovery question (GetMasterInfo) to one master. A healthy master
 * answers in about a millisecond on a LAN (a new connection included); a master that does not
 * answer within a second is frozen, overloaded or cut off. Questions run in parallel and a
 * master keeps at most one in flight, so this deadline never holds up the discovery (the first
 * master that says it leads wins); it only decides how soon a silent master is asked again. It
 * doubles for each consecutive time-out of the same master, up to
 * alluxio.user.master.polling.timeout, so a master that is only slow is still found. Calls to the
 * known leader keep the normal call timeout (alluxio.user.master.polling.timeout); the whole
 * discovery stays within alluxio.user.rpc.retry.max.duration.
 */
export const LEADER_PROBE_TIMEOUT_MS = 1000;

/**
 * HTTP/2 keepalive of a client's channels to the masters: a PING every second, the connection
 * dropped when one is not answered within two (a master whose event loop is only busy answers in
 * time; on a loaded machine a false alarm costs a reconnect and a retry, nothing else). A leader that froze or whose host was cut
 * off answers nothing and resets nothing; without this a call already sent to it would wait for
 * its whole call timeout (alluxio.user.master.polling.timeout, 30 s) before the client looked for
 * the new leader. With it the call fails UNAVAILABLE within ~3 s and is retried on the new leader
 * (mutating calls carry an opId: a retry of one the old leader did commit is answered, not
 * repeated). A PING costs a few bytes; grpc-js servers accept them at any rate.
 */
export const MASTER_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  ...CHANNEL_OPTIONS,
  'grpc.keepalive_time_ms': 1000,
  'grpc.keepalive_timeout_ms': 2000,
};

/**
 * Deadline of a worker's register and heartbeat calls: two heartbeat intervals, at least a
 * second, at most the normal call timeout. A heartbeat to a frozen leader fails that soon, and
 * the retry finds the new leader by asking every master at once (a worker must follow a failover
 * as fast as clients, which wait only a few heartbeat intervals for a worker to register).
 */
export function heartbeatCallTimeoutMs(heartbeatIntervalMs: number, callTimeoutMs: number): number {
  return Math.min(callTimeoutMs, Math.max(1000, 2 * heartbeatIntervalMs));
}

/** The gRPC client classes of the services (their definitions name the methods a call may use). */
const SERVICE_CTORS: Record<ServiceName, () => grpc.ServiceClientConstructor> = {
  file: () => protos().file.FileSystemMasterClientService,
  block: () => protos().block.BlockMasterClientService,
  blockWorker: () => protos().block.BlockMasterWorkerService,
  meta: () => protos().meta.MetaMasterClientService,
  journal: () => protos().journal.JournalMasterClientService,
};

const stateName = (s: grpc.connectivityState): string => grpc.connectivityState[s] ?? String(s);

/**
 * A channel in back-off is replaced only when it is at least this old. A new channel whose first
 * connection was refused retries on its own after 100 ms (grpc.initial_reconnect_backoff_ms);
 * replacing it at every discovery round (50 ms) would open ~20 channels a second per client to a
 * master that stays down (each also reconnecting once when its own back-off ends) while no leader
 * is found. With this floor a master that is down costs a client about 5 new connections a
 * second during a discovery, and one that came back is reached within 200 ms at the latest.
 */
const FRESH_CHANNEL_MIN_AGE_MS = 200;

/** How often channels waiting to be closed (closeChannel) are looked at. */
const RETIRED_CHECK_MS = 100;
type AnyChannel = ReturnType<grpc.Client['getChannel']>;
const retired = new Set<AnyChannel>();
let retiredTimer: NodeJS.Timeout | undefined;

/**
 * Close `ch` now, or, while it is in TRANSIENT_FAILURE, as soon as it leaves it. grpc-js 1.14
 * leaves a connection open for good when a channel is closed in TRANSIENT_FAILURE and its
 * pending reconnect then succeeds (checked: the master's port keeps an established connection
 * from the closed channel); closed in IDLE, CONNECTING or READY the connection goes with it. The
 * check runs on one timer that does not keep the process alive, only while a channel waits.
 */
function closeChannel(ch: AnyChannel): void {
  if (ch.getConnectivityState(false) !== grpc.connectivityState.TRANSIENT_FAILURE) { ch.close(); return; }
  retired.add(ch);
  retiredTimer ??= setInterval(() => {
    for (const c of retired) {
      if (c.getConnectivityState(false) !== grpc.connectivityState.TRANSIENT_FAILURE) { retired.delete(c); c.close(); }
    }
    if (retired.size === 0) { clearInterval(retiredTimer); retiredTimer = undefined; }
  }, RETIRED_CHECK_MS).unref();
}

/** Masters learned from hints (not configured) that are remembered as candidates. */
const MAX_LEARNED = 8;

/**
 * What the client did on the way to a master, for whoever watches (MasterClient.onEvent): the
 * failover benchmark prints it per round, tests assert on it. `state`: the gRPC channel's
 * connectivity state when the attempt started (NEW: no channel to that master yet). Discovery
 * questions go over that channel; calls go over the framed mux (FramedMuxChannel, a TCP
 * connection of its own) where the master serves it, so a call's `state` describes the gRPC
 * channel used by the questions (NEW when no question was asked of that master), not the
 * connection that carried the call; `result`:
 * 'leader' / 'standby' for a discovery question, 'ok' for a call, else the error's message.
 */
export interface MasterClientEvent {
  /** Epoch ms when the attempt started. */
  at: number;
  kind: 'probe' | 'call';
  addr: string;
  state: string;
  /** How long the attempt took. */
  ms: number;
  result: string;
}

/** Options of one call. */
export interface CallOptions {
  /** Deadline of each attempt (default: the policy's call timeout). */
  timeoutMs?: number;
}

export class MasterClient {
  private clients = new Map<string, Record<ServiceName, grpc.Client>>();
  /** When the channel to each master was created (performance.now()). */
  private created = new Map<string, number>();
  private muxes = new Map<string, MuxChannel>();
  /** Calls go over these (the framed mux on the master's rpc port); `muxes` and `clients` where a master does not serve it. */
  private framed = new Map<string, FramedMuxChannel>();
  private leader: string | undefined;
  /** Leaders found through a hint that are not among `addresses`; asked too in later discoveries. */
  private learned: string[] = [];
  /** Aborted by close(): a discovery in progress ends instead of opening new channels. */
  private readonly closing = new AbortController();

  /** Called after every discovery question and every call attempt (see MasterClientEvent); nothing is recorded without it. */
  onEvent: ((e: MasterClientEvent) => void) | undefined = undefined;

  /** Sent with every call (as gRPC metadata): the login user. */
  private readonly metadata = new grpc.Metadata();

  /**
   * `zk`: in ZooKeeper mode, the leader ZooKeeper publishes is asked first (with the configured
   * masters); when ZooKeeper cannot be reached the configured masters are asked alone and the
   * final error says why ZooKeeper did not help (naming the ensemble).
   */
  constructor(readonly addresses: readonly string[], readonly policy: RetryPolicy, readonly user = '', private readonly zk?: ZkLeaderWatcher) {
    if (user) this.metadata.set(USER_KEY, user);
  }

  static fromConf(conf: Config, addresses = masterRpcAddresses(conf)): MasterClient {
    return new MasterClient(addresses, retryPolicy(conf), loginUser(conf), ZkLeaderWatcher.fromConf(conf));
  }

  /** The leader ZooKeeper names (as an extra candidate), or why it names none. */
  private async askZooKeeper(deadline: number): Promise<{ leader?: string; note?: string }> {
    if (!this.zk) return {};
    try {
      const leader = validHint(await this.zk.leader(Math.max(100, Math.min(this.zk.timeoutMs, deadline - Date.now()))));
      return leader ? { leader } : { note: `ZooKeeper ${this.zk.ensemble} names no leader at ${this.zk.leaderPath}` };
    } catch (e) {
      return { note: (e as Error).message };
    }
  }

  /** `fresh`: a connection of its own (not the one the process's other clients share), for a channel that replaces one in back-off. */
  private stubs(addr: string, fresh = false): Record<ServiceName, grpc.Client> {
    let s = this.clients.get(addr);
    if (!s) {
      const opts = fresh ? { ...MASTER_CHANNEL_OPTIONS, 'grpc.use_local_subchannel_pool': 1 } : MASTER_CHANNEL_OPTIONS;
      const creds = grpc.credentials.createInsecure();
      const file = new (SERVICE_CTORS.file())(addr, creds, opts);
      const shared = { ...opts, channelOverride: file.getChannel() } as grpc.ChannelOptions;
      const others = (Object.keys(SERVICE_CTORS) as ServiceName[]).filter((n) => n !== 'file').map((n) => [n, new (SERVICE_CTORS[n]())(addr, creds, shared)]);
      s = { file, ...Object.fromEntries(others) } as Record<ServiceName, grpc.Client>;
      this.clients.set(addr, s);
      this.created.set(addr, performance.now());
    }
    return s;
  }

  /** The connectivity state of the channel to `addr` (NEW when there is none yet). */
  channelState(addr: string): string {
    const s = this.clients.get(addr);
    return s ? stateName(s.file.getChannel().getConnectivityState(false)) : 'NEW';
  }

  /**
   * Before an attempt on `addr`: when its channel is in TRANSIENT_FAILURE (its last connection
   * attempt failed and grpc-js waits out its reconnect back-off, up to
   * `grpc.max_reconnect_backoff_ms`, before it tries again), replace it by a new channel, which
   * connects at once. In back-off a call fails at once with the last connection error, even when
   * the master is back by now: a master restarted a moment ago (its old connection refused while
   * it was down) stayed unreachable for up to a second after it had become the leader (measured
   * in bench:failover). A master that is still down refuses the new connection just as fast, so
   * the attempt still fails at once. A channel younger than FRESH_CHANNEL_MIN_AGE_MS is kept
   * (it retries soon on its own); a healthy channel is never replaced. Returns the state found,
   * for onEvent.
   */
  private freshen(addr: string): string {
    const s = this.clients.get(addr);
    if (!s) return 'NEW';
    const ch = s.file.getChannel();
    const state = ch.getConnectivityState(false);
    if (state !== grpc.connectivityState.TRANSIENT_FAILURE) return stateName(state);
    if (performance.now() - (this.created.get(addr) ?? 0) < FRESH_CHANNEL_MIN_AGE_MS) return 'TRANSIENT_FAILURE, new channel kept';
    // The mux's stream needs a connection: on a channel in back-off it has none and no call pending.
    this.muxes.delete(addr);
    this.clients.delete(addr);
    closeChannel(ch);
    this.stubs(addr, true);
    return 'TRANSIENT_FAILURE, new channel';
  }

  /** Run `attempt` on `addr`, telling onEvent (when set) what it found. */
  private async observed<T>(kind: MasterClientEvent['kind'], addr: string, attempt: () => Promise<T>, describe: (r: T) => string): Promise<T> {
    const at = Date.now();
    const state = this.freshen(addr);
    const cb = this.onEvent;
    if (!cb) return attempt();
    const t0 = performance.now();
    try {
      const r = await attempt();
      cb({ at, kind, addr, state, ms: performance.now() - t0, result: describe(r) });
      return r;
    } catch (e) {
      cb({ at, kind, addr, state, ms: performance.now() - t0, result: (e as Error).message });
      throw e;
    }
  }

  private framedMux(addr: string): FramedMuxChannel {
    let f = this.framed.get(addr);
    if (!f) {
      f = new FramedMuxChannel(addr, this.user);
      this.framed.set(addr, f);
    }
    return f;
  }

  private mux(addr: string): MuxChannel {
    let m = this.muxes.get(addr);
    if (!m) {
      m = new MuxChannel(addr, this.stubs(addr).file.getChannel(), this.metadata);
      this.muxes.set(addr, m);
    }
    return m;
  }

  /**
   * One call to `addr`: over the framed mux; where the master does not serve it (it closed the
   * connection before answering the HELLO, so it ran none of the calls sent), over the gRPC
   * mux's stream, or as a plain unary call where that is not served either.
   */
  private async callOnce<T>(addr: string, service: ServiceName, method: string, req: unknown, timeoutMs: number): Promise<T> {
    const def = SERVICE_CTORS[service]().service[method];
    if (!def) throw new InternalError(`no method ${method} in the ${service} service`);
    // The gRPC mux (and its channel) only where the framed mux is not served.
    for (const channel of [() => this.framedMux(addr), () => this.mux(addr)]) {
      const ch = channel();
      if (ch.unsupported) continue;
      try {
        return await ch.call<T>(def, req, timeoutMs);
      } catch (e) {
        if (!ch.unsupported) throw e;
      }
    }
    return callUnary<T>(this.stubs(addr)[service], method, req, timeoutMs, addr, this.metadata.clone());
  }

  /** Ask `addr` whether it leads (GetMasterInfo), within `timeoutMs`; `signal` cancels the call. */
  private probe(addr: string, timeoutMs: number, signal: AbortSignal): Promise<ProbeAnswer> {
    return this.observed('probe', addr, () => this.probeOnce(addr, timeoutMs, signal), (a) => (a.isLeader ? 'leader' : 'standby'));
  }

  private probeOnce(addr: string, timeoutMs: number, signal: AbortSignal): Promise<ProbeAnswer> {
    return new Promise((resolve, reject) => {
      const call = (this.stubs(addr).meta as any).GetMasterInfo({}, { deadline: new Date(Date.now() + timeoutMs) }, (err: grpc.ServiceError | null, res: any) => {
        if (err) reject(fromServiceError(err, addr));
        else {
          resolve({
            isLeader: res?.isLeader === true, leaderHint: typeof res?.leaderMasterAddress === 'string' ? res.leaderMasterAddress : undefined,
            ...(typeof res?.journalWriteError === 'string' && res.journalWriteError ? { journalWriteError: res.journalWriteError.slice(0, 500) } : {}),
          });
        }
      }) as grpc.ClientUnaryCall;
      signal.addEventListener('abort', () => call.cancel(), { once: true });
    });
  }

  /**
   * The leader's address: every master (and `extra`, e.g. a hint naming one not configured) is
   * asked at once, again every 50 ms at most while none leads; the first that says it leads wins.
   */
  async findLeader(deadline = Date.now() + this.policy.maxDurationMs, extra: readonly string[] = []): Promise<string> {
    const zk = await this.askZooKeeper(deadline);
    const initial = [...new Set([...(zk.leader ? [zk.leader] : []), ...this.addresses, ...this.learned, ...extra])];
    const { leader, tried } = await discoverLeader(initial, (a, t, s) => this.probe(a, t, s), {
      deadline,
      pollMs: Math.max(1, Math.min(this.policy.baseSleepMs, this.policy.maxSleepMs, LEADER_POLL_MAX_MS)),
      probeTimeoutMs: Math.min(LEADER_PROBE_TIMEOUT_MS, this.policy.callTimeoutMs),
      maxProbeTimeoutMs: this.policy.callTimeoutMs,
      maxCandidates: initial.length + MAX_LEARNED,
      signal: this.closing.signal,
    });
    if (this.closing.signal.aborted) throw new UnavailableError('the master client was closed');
    if (zk.leader && leader !== zk.leader) this.zk?.invalidate();
    if (leader !== undefined) {
      this.leader = leader;
      if (!this.addresses.includes(leader) && !this.learned.includes(leader)) {
        this.learned.push(leader);
        if (this.learned.length > MAX_LEARNED) this.learned.shift();
      }
      return leader;
    }
    throw new UnavailableError(
      `Failed to find the leading master after ${Math.round(this.policy.maxDurationMs / 1000)}s; ${zk.note ? `${zk.note}; ` : ''}tried ${[...tried].map(([a, why]) => `${a} (${why})`).join(', ')}`,
      { hint: this.zk ? `check that ZooKeeper (${this.zk.ensemble}) and the masters are running and that a master leads` : 'check that the masters are running (alluxio-start.sh masters) and that alluxio.master.hostname / alluxio.master.rpc.addresses name them' },
    );
  }

  /**
   * Call a unary method on the leader. Unavailable and NotLeader errors are retried on the
   * (new) leader within the retry window; other errors are returned at once. A NotLeader hint
   * naming a known master is followed at once; one naming another master is asked in the next
   * discovery, together with all the others.
   */
  async call<T = any>(service: ServiceName, method: string, req: unknown, opts: CallOptions = {}): Promise<T> {
    const deadline = Date.now() + this.policy.maxDurationMs;
    const timeoutMs = opts.timeoutMs ?? this.policy.callTimeoutMs;
    let sleep = this.policy.baseSleepMs;
    let last: AlluxioError | undefined;
    let redirects = 0;
    let unknownHint: string | undefined;
    let rediscovered = false;
    for (;;) {
      const addr = this.leader ?? (await this.findLeader(deadline, unknownHint ? [unknownHint] : []));
      unknownHint = undefined;
      try {
        return await this.observed('call', addr, () => this.callOnce<T>(addr, service, method, req, timeoutMs), () => 'ok');
      } catch (e) {
        if (!(e instanceof NotLeaderError || e instanceof UnavailableError || e instanceof TimeoutError)) throw e;
        last = e;
        const hint = e instanceof NotLeaderError ? validHint(e.leader) : undefined;
        const known = hint !== undefined && (this.addresses.includes(hint) || this.learned.includes(hint));
        this.leader = known ? hint : undefined;
        if (hint && !known) unknownHint = hint;
        // A standby that names another master as the leader: go there (or ask it) at once (a
        // few times; after that, stale hints get the usual backoff).
        if (hint && hint !== addr && redirects++ < 3 && Date.now() < deadline) continue;
        // The leader's connection failed (its process died: the connection was reset; or it
        // stepped down): look for the new one at once, not after a back-off; the discovery polls
        // at its own pace (LEADER_POLL_MAX_MS). Once per call, so a master that keeps failing gets the back-off.
        if (e instanceof UnavailableError && !rediscovered && Date.now() < deadline) { rediscovered = true; continue; }
        if (Date.now() + sleep > deadline) break;
        await new Promise((r) => setTimeout(r, sleep));
        sleep = nextSleep(sleep, this.policy, this.leader === undefined);
      }
    }
    throw new UnavailableError(`${method} failed on every master (${[...this.addresses, ...this.learned].join(', ')}): ${last?.message}`);
  }

  /**
   * `fsadmin journal quorum elect`: ask the leader to hand leadership to the embedded journal
   * member `address`, then wait until the quorum (served by the serving leader only) names it,
   * polling every 50 ms. Errors while leadership moves are expected and retried; past
   * `timeoutMs` a TimeoutError names the leader last seen (and the last error, if any).
   */
  async transferLeadership(address: string, timeoutMs: number): Promise<void> {
    await this.call('journal', 'TransferLeadership', { address });
    const deadline = Date.now() + timeoutMs;
    let lastLeader = '';
    let lastError: Error | undefined;
    for (;;) {
      try {
        const q: { leader?: string } = await this.call('journal', 'GetQuorumInfo', {});
        if (q.leader === address) return;
        lastLeader = q.leader ?? '';
        lastError = undefined;
      } catch (e) {
        lastError = e as Error;
      }
      if (Date.now() > deadline) {
        throw new TimeoutError(`leadership was not transferred to ${address} within ${Math.round(timeoutMs / 1000)} s (leader: ${lastLeader || 'unknown'}${lastError ? `; last error: ${lastError.message}` : ''})`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close(): void {
    this.closing.abort();
    this.zk?.close();
    for (const [addr, s] of this.clients) {
      const ch = s.file.getChannel();
      // MuxChannel.close ends its stream and closes the channel it runs on: only where it can have one.
      if (ch.getConnectivityState(false) !== grpc.connectivityState.TRANSIENT_FAILURE) this.muxes.get(addr)?.close();
      closeChannel(ch);
    }
    for (const f of this.framed.values()) f.close();
    this.framed.clear();
    this.muxes.clear();
    this.clients.clear();
    this.created.clear();
  }
}
