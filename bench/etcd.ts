/**
 * A 3-member etcd cluster (Debian package etcd-server), for benchmarks that print etcd's figure
 * next to ours in the same run: on loopback with free ports (default), or one member per test
 * host (network namespaces of test/harness/hosts.ts, each member started directly inside its
 * namespace on the default ports 2379/2380). Extra server flags (e.g. --election-timeout) are
 * passed through. Talks to etcd through its v3 JSON gateway with fetch.
 *
 * Two clients: `put()` (bench:meta: one member first, then the others, 500 ms per attempt) and
 * `EtcdPollingClient`, which mirrors our master client's leader polling exactly (bench:failover).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../test/harness/cluster.js';
import { discoverLeader, type ProbeAnswer } from '../src/client/leaderDiscovery.js';
import { LEADER_POLL_MAX_MS, LEADER_PROBE_TIMEOUT_MS, nextSleep, type RetryPolicy } from '../src/client/masterClient.js';
import { TimeoutError } from '../src/errors.js';
import { killChild } from './testHostCluster.js';

export function ensureEtcd(): boolean {
  if (spawnSync('etcd', ['--version']).status === 0) return true;
  if (process.getuid?.() === 0) spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'etcd-server'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return spawnSync('etcd', ['--version']).status === 0;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

export interface EtcdOptions {
  /** One member per entry: its IP and the network namespace it runs in (default: 3 members on 127.0.0.1, free ports). */
  hosts?: readonly { ip: string; netns: string }[];
  /** Extra etcd flags for every member, e.g. ['--election-timeout=300', '--heartbeat-interval=100']. */
  flags?: readonly string[];
  /** Parent of the members' data dirs (default: a new temp dir). */
  dir?: string;
}

interface Member { name: string; ip: string; client: number; peer: number; netns?: string; proc?: ChildProcess }

export class EtcdCluster {
  readonly dir: string;
  members: Member[] = [];

  private constructor(readonly opts: EtcdOptions) {
    this.dir = opts.dir ? (fs.mkdirSync(opts.dir, { recursive: true }), opts.dir) : fs.mkdtempSync(path.join(os.tmpdir(), 'bench-etcd-'));
  }

  static async start(n = 3, opts: EtcdOptions = {}): Promise<EtcdCluster> {
    const c = new EtcdCluster(opts);
    if (opts.hosts) for (const [i, h] of opts.hosts.entries()) c.members.push({ name: `e${i}`, ip: h.ip, client: 2379, peer: 2380, netns: h.netns });
    else for (let i = 0; i < n; i++) c.members.push({ name: `e${i}`, ip: '127.0.0.1', client: await freePort(), peer: await freePort() });
    try {
      for (let i = 0; i < c.members.length; i++) c.launch(i);
      await c.waitLeader();
    } catch (e) {
      await c.stop();
      throw e;
    }
    return c;
  }

  /** Client address (ip:port) of member `i`. */
  addr(i: number): string { return `${this.members[i]!.ip}:${this.members[i]!.client}`; }

  /** Pid of member `i` while it runs. */
  pid(i: number): number | undefined {
    const p = this.members[i]!.proc;
    return p && p.exitCode === null && p.signalCode === null ? p.pid : undefined;
  }

  /** Start member `i`: a new cluster member, or (restart) one rejoining with its data dir. */
  launch(i: number, state: 'new' | 'existing' = 'new'): void {
    const m = this.members[i]!;
    const initial = this.members.map((x) => `${x.name}=http://${x.ip}:${x.peer}`).join(',');
    const argv = [
      'etcd', '--name', m.name, '--data-dir', path.join(this.dir, m.name),
      '--listen-client-urls', `http://${m.ip}:${m.client}`, '--advertise-client-urls', `http://${m.ip}:${m.client}`,
      '--listen-peer-urls', `http://${m.ip}:${m.peer}`, '--initial-advertise-peer-urls', `http://${m.ip}:${m.peer}`,
      '--initial-cluster', initial, '--initial-cluster-state', state, '--log-level', 'error', ...(this.opts.flags ?? []),
    ];
    // nsenter execs etcd (no fork without a pid namespace): the child's pid is etcd's.
    const full = m.netns ? ['nsenter', `--net=/run/netns/${m.netns}`, '--', ...argv] : argv;
    const fd = fs.openSync(this.logFile(i), 'a');
    try { m.proc = spawn(full[0]!, full.slice(1), { stdio: ['ignore', fd, fd] }); } finally { fs.closeSync(fd); }
  }

  /** Member i's log (etcd's errors only: --log-level error). */
  logFile(i: number): string { return path.join(this.dir, `${this.members[i]!.name}.log`); }

  private logs(): string {
    return this.members.map((m, i) => {
      let t = '';
      try { t = fs.readFileSync(this.logFile(i), 'utf8').split('\n').slice(-10).join('\n'); } catch { /* none */ }
      return `--- ${m.name} (${this.addr(i)}) ---\n${t}`;
    }).join('\n');
  }

  /** POST to member `i`'s JSON gateway; rejects on an error reply, HTTP error or time-out. */
  async request(i: number, api: string, body: unknown, timeoutMs = 1000, signal?: AbortSignal): Promise<any> {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const res = await fetch(`http://${this.addr(i)}${api}`, { method: 'POST', body: JSON.stringify(body), signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      const j = await res.json() as any;
      if (!res.ok || j.error) throw new Error(j.error ?? `HTTP ${res.status}`);
      return j;
    } catch (e) {
      if (timeout.aborted) throw new TimeoutError(`etcd ${this.addr(i)}: no answer within ${timeoutMs} ms`);
      throw e;
    }
  }

  /** Index of the member that leads, waiting (bounded) for one. */
  async waitLeader(timeoutMs = 15_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (let t = 0; t < 1000 && Date.now() < deadline; t++) {
      if (this.members.every((_, i) => this.pid(i) === undefined)) throw new Error(`etcd: every member exited; member logs:\n${this.logs()}`);
      for (let i = 0; i < this.members.length; i++) {
        if (this.pid(i) === undefined) continue;
        try {
          const s = await this.request(i, '/v3/maintenance/status', {}, 300);
          if (s.leader && s.leader === s.header.member_id) return i;
        } catch { /* not up yet */ }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`etcd: no leader within ${timeoutMs} ms; member logs:\n${this.logs()}`);
  }

  /**
   * Put through a live member, trying `first` (e.g. the leader, saving etcd a forward) before
   * the others; retries (bounded) until one acknowledges.
   */
  async put(key: string, value: string, exclude = -1, first = 0): Promise<void> {
    const n = this.members.length;
    for (let t = 0; t < 2000; t++) {
      for (let j = 0; j < n; j++) {
        const i = (first + j) % n;
        if (i === exclude) continue;
        try { await this.request(i, '/v3/kv/put', { key: b64(key), value: b64(value) }, 500); return; } catch { /* retry */ }
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('etcd: put never acknowledged');
  }

  kill(i: number): Promise<void> {
    return killChild(this.members[i]!.proc);
  }

  async restart(i: number): Promise<void> {
    this.launch(i, 'existing');
  }

  async stop(): Promise<void> {
    for (let i = 0; i < this.members.length; i++) await this.kill(i);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A put client for etcd that behaves as our master client (src/client/masterClient.ts `call` and
 * `findLeader`) with the same RetryPolicy: it sends each put to the member it believes leads,
 * with the policy's per-attempt deadline (callTimeoutMs); on a failure it forgets that leader,
 * sleeps (base sleep, doubling, at most LEADER_POLL_MAX_MS while looking for a leader) and finds
 * the leader with the very same discovery (leaderDiscovery.ts: every member asked at once, rounds
 * at most 50 ms apart, first deadline min(1 s, callTimeoutMs) doubling per time-out, a member's
 * hint followed at once), asking etcd's status (leader id) instead of GetMasterInfo. Gives up
 * after maxDurationMs.
 */
export class EtcdPollingClient {
  private leader: number | undefined;
  /** member_id (from status replies) → member index, to turn etcd's leader id into a hint. */
  private readonly ids = new Map<string, number>();

  constructor(private readonly c: EtcdCluster, readonly policy: RetryPolicy) {}

  private async probe(addr: string, timeoutMs: number, signal: AbortSignal): Promise<ProbeAnswer> {
    const i = this.c.members.findIndex((_, j) => this.c.addr(j) === addr);
    const s = await this.c.request(i, '/v3/maintenance/status', {}, timeoutMs, signal);
    this.ids.set(String(s.header.member_id), i);
    const hint = s.leader ? this.ids.get(String(s.leader)) : undefined;
    return { isLeader: !!s.leader && s.leader === s.header.member_id, ...(hint !== undefined ? { leaderHint: this.c.addr(hint) } : {}) };
  }

  private async findLeader(deadline: number): Promise<number> {
    const addrs = this.c.members.map((_, i) => this.c.addr(i));
    const { leader, tried } = await discoverLeader(addrs, (a, t, s) => this.probe(a, t, s), {
      deadline,
      pollMs: Math.max(1, Math.min(this.policy.baseSleepMs, this.policy.maxSleepMs, LEADER_POLL_MAX_MS)),
      probeTimeoutMs: Math.min(LEADER_PROBE_TIMEOUT_MS, this.policy.callTimeoutMs),
      maxProbeTimeoutMs: this.policy.callTimeoutMs,
      maxCandidates: addrs.length,
    });
    if (leader === undefined) throw new Error(`etcd: no leader found; tried ${[...tried].map(([a, why]) => `${a} (${why})`).join(', ')}`);
    this.leader = addrs.indexOf(leader);
    return this.leader;
  }

  async put(key: string, value: string): Promise<void> {
    const deadline = Date.now() + this.policy.maxDurationMs;
    let sleep = this.policy.baseSleepMs;
    let last: unknown;
    for (let attempt = 0; attempt < 100_000; attempt++) {
      const i = this.leader ?? (await this.findLeader(deadline));
      try {
        await this.c.request(i, '/v3/kv/put', { key: b64(key), value: b64(value) }, this.policy.callTimeoutMs);
        return;
      } catch (e) {
        last = e;
        this.leader = undefined;
        if (Date.now() + sleep > deadline) break;
        await new Promise((r) => setTimeout(r, sleep));
        sleep = nextSleep(sleep, this.policy, true);
      }
    }
    throw new Error(`etcd: put ${key} not acknowledged within ${this.policy.maxDurationMs} ms: ${(last as Error)?.message}`);
  }
}
