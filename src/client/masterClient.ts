/**
 * Connection to the leading master. Finds the leader among the configured addresses (or those
 * of a URI authority), follows NotLeader hints, and retries transient failures with bounded
 * exponential backoff (alluxio.user.rpc.retry.*). The final error lists every address tried.
 */
import * as grpc from '@grpc/grpc-js';
import type { Config } from '../conf/index.js';
import { protos, callUnary, CHANNEL_OPTIONS } from '../rpc.js';
import { NotLeaderError, UnavailableError, TimeoutError, AlluxioError, InternalError } from '../errors.js';
import { MuxChannel } from '../mux.js';

type ServiceName = 'file' | 'block' | 'blockWorker' | 'meta' | 'journal';

/** Master rpc addresses from the configuration, in Alluxio's order of preference. */
export function masterRpcAddresses(conf: Config): string[] {
  const rpcPort = conf.getPort('alluxio.master.rpc.port');
  const explicit = conf.getList('alluxio.master.rpc.addresses');
  if (explicit.length) return explicit;
  if (conf.isSet('alluxio.master.embedded.journal.addresses')) {
    const ej = conf.getList('alluxio.master.embedded.journal.addresses');
    if (ej.length > 1) return ej.map((a) => `${hostOf(a)}:${rpcPort}`);
  }
  return [`${conf.get('alluxio.master.hostname') || 'localhost'}:${rpcPort}`];
}

function hostOf(hostPort: string): string {
  const i = hostPort.lastIndexOf(':');
  return i < 0 ? hostPort : hostPort.slice(0, i);
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

export class MasterClient {
  private clients = new Map<string, Record<ServiceName, grpc.Client>>();
  private muxes = new Map<string, MuxChannel>();
  private leader: string | undefined;

  constructor(readonly addresses: readonly string[], readonly policy: RetryPolicy) {}

  static fromConf(conf: Config, addresses = masterRpcAddresses(conf)): MasterClient {
    return new MasterClient(addresses, retryPolicy(conf));
  }

  private stubs(addr: string): Record<ServiceName, grpc.Client> {
    let s = this.clients.get(addr);
    if (!s) {
      const p = protos();
      const opts = CHANNEL_OPTIONS;
      const creds = grpc.credentials.createInsecure();
      const file = new p.file.FileSystemMasterClientService(addr, creds, opts) as grpc.Client;
      const ch = file.getChannel();
      const shared = { ...opts, channelOverride: ch } as grpc.ChannelOptions;
      s = {
        file,
        block: new p.block.BlockMasterClientService(addr, creds, shared),
        blockWorker: new p.block.BlockMasterWorkerService(addr, creds, shared),
        meta: new p.meta.MetaMasterClientService(addr, creds, shared),
        journal: new p.journal.JournalMasterClientService(addr, creds, shared),
      };
      this.clients.set(addr, s);
    }
    return s;
  }

  private mux(addr: string): MuxChannel {
    let m = this.muxes.get(addr);
    if (!m) {
      m = new MuxChannel(addr, this.stubs(addr).file.getChannel());
      this.muxes.set(addr, m);
    }
    return m;
  }

  /** One call to `addr`: over the multiplexed stream, or as a plain unary call where it is not served. */
  private async callOnce<T>(addr: string, service: ServiceName, method: string, req: unknown): Promise<T> {
    const stub = this.stubs(addr)[service];
    const m = this.mux(addr);
    if (!m.unsupported) {
      const def = (stub.constructor as unknown as { service: grpc.ServiceDefinition }).service[method];
      if (!def) throw new InternalError(`no method ${method} in the ${service} service`);
      try {
        return await m.call<T>(def, req, this.policy.callTimeoutMs);
      } catch (e) {
        if (!m.unsupported) throw e;
      }
    }
    return callUnary<T>(stub, method, req, this.policy.callTimeoutMs, addr);
  }

  /** The leader's address, polling every master until one says it leads. */
  async findLeader(deadline = Date.now() + this.policy.maxDurationMs): Promise<string> {
    const tried = new Map<string, string>();
    let sleep = Math.min(this.policy.baseSleepMs, LEADER_POLL_MAX_MS);
    for (let round = 0; ; round++) {
      for (const addr of this.addresses) {
        try {
          const info: any = await callUnary(this.stubs(addr).meta, 'GetMasterInfo', {}, Math.min(this.policy.callTimeoutMs, Math.max(100, deadline - Date.now())), addr);
          if (info.isLeader) { this.leader = addr; return addr; }
          tried.set(addr, info.leaderMasterAddress ? `standby (leader is ${info.leaderMasterAddress})` : 'standby, no leader known');
        } catch (e) {
          tried.set(addr, (e as Error).message);
        }
      }
      if (Date.now() + sleep > deadline) break;
      await new Promise((r) => setTimeout(r, sleep));
      sleep = nextSleep(sleep, this.policy, true);
    }
    throw new UnavailableError(
      `Failed to find the leading master after ${Math.round(this.policy.maxDurationMs / 1000)}s; tried ${[...tried].map(([a, why]) => `${a} (${why})`).join(', ')}`,
      { hint: 'check that the masters are running (alluxio-start.sh masters) and that alluxio.master.hostname / alluxio.master.rpc.addresses name them' },
    );
  }

  /**
   * Call a unary method on the leader. Unavailable and NotLeader errors are retried on the
   * (new) leader within the retry window; other errors are returned at once.
   */
  async call<T = any>(service: ServiceName, method: string, req: unknown): Promise<T> {
    const deadline = Date.now() + this.policy.maxDurationMs;
    let sleep = this.policy.baseSleepMs;
    let last: AlluxioError | undefined;
    let redirects = 0;
    for (;;) {
      const addr = this.leader ?? (await this.findLeader(deadline));
      try {
        return await this.callOnce<T>(addr, service, method, req);
      } catch (e) {
        if (!(e instanceof NotLeaderError || e instanceof UnavailableError || e instanceof TimeoutError)) throw e;
        last = e;
        const hint = e instanceof NotLeaderError && e.leader && this.addresses.includes(e.leader) ? e.leader : undefined;
        this.leader = hint;
        // A standby that names another master as the leader: go there at once (a few times;
        // after that, stale hints get the usual backoff).
        if (hint && hint !== addr && redirects++ < 3 && Date.now() < deadline) continue;
        if (Date.now() + sleep > deadline) break;
        await new Promise((r) => setTimeout(r, sleep));
        sleep = nextSleep(sleep, this.policy, this.leader === undefined);
      }
    }
    throw new UnavailableError(`${method} failed on every master (${this.addresses.join(', ')}): ${last?.message}`);
  }

  close(): void {
    for (const m of this.muxes.values()) m.close();
    this.muxes.clear();
    for (const s of this.clients.values()) s.file.close();
    this.clients.clear();
  }
}
