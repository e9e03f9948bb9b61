/**
 * bench:failover — 3 members each; N rounds per case: write, stop the leader, and measure from the
 * fault to the first acknowledged write through the new leader. Two kinds of failure, each for
 * ours and for etcd in the same run, on three test hosts (network namespaces of
 * test/harness/hosts.ts, one member per host, started directly inside the namespaces, the bench's
 * client in the root namespace reaching them over the harness's bridge):
 *
 * - `process`: kill -9 of the leader process. Its kernel closes its sockets: the peers and the
 *   client see the connections reset at once.
 * - `host`: the leader's host cut off the network (its port on the test hosts' bridge down, as
 *   TestHosts.cut): no reset arrives; peers and client only notice silence. Once the round is
 *   measured the cut-off member is killed (kill -9, by pid), the link restored and the member
 *   started again: a crashed host as its peers see it.
 *
 * Peers (`--systems=ours,etcd-defaults,etcd-ours`): ours (embedded journal, default Raft
 * settings: election timeout 300–600 ms, heartbeat 100 ms); etcd with its defaults (1 s election
 * timeout, 100 ms heartbeat); etcd with our election timeout (--election-timeout=300
 * --heartbeat-interval=60: etcd refuses a heartbeat above a fifth of the election timeout). One client behaviour for all: our FileSystem with the bench's
 * client settings (per-attempt deadline --attempt-timeout, default 500ms, as
 * alluxio.user.master.polling.timeout; retry sleeps and leader polling at their defaults), and
 * for etcd EtcdPollingClient (bench/etcd.ts), which runs our client's own leader discovery with
 * the same RetryPolicy. Each round: 20 writes, the fault, one write timed until acknowledged;
 * then the member comes back and the next round waits for a leader. `--rounds=N` (or
 * BENCH_ROUNDS, default 20) per case, `--cases=process,host`. Prints every sample and p50, p99,
 * max. For ours, each round also names when the new leader's log says it was elected and served;
 * a round slower than 150 ms (process) / 1 s (host), or every round with `--trace`, is followed by
 * the client's own account (MasterClient.onEvent): its channel to each member at the fault, then
 * every discovery question and call attempt with the target, the channel's connectivity state and
 * the outcome, in ms after the fault. Also `quorum elect` on ours: the longest gap between
 * acknowledged writes while leadership is transferred. Needs root (network namespaces); every namespace and process is
 * removed on exit, error or Ctrl-C (TestHosts kills whatever runs in its namespaces, by pid).
 *
 * `--journal=UFS` adds the ZooKeeper mode in the same run, on loopback, after the above: 3 masters
 * on one shared journal folder elected through a 3-member ZooKeeper ensemble (tickTime --tick,
 * default 1000 ms so that a 2 s session is granted; ZooKeeper clamps sessions to [2, 20] ticks),
 * one fresh cluster per session timeout in --sessions (default 2s,5s and the schema's default).
 * Same write load (20 sequential writes, kill, one write), same client (FileSystem, default retry
 * settings, 2 min of retries: it finds the leader through ZooKeeper instead of the masters'
 * addresses), same rounds; plus BENCH_TERM_ROUNDS (default 10) rounds of SIGTERM (a clean stop closes the session
 * at once, so the next candidate need not wait for it to expire). `--journal=UFS --only` skips
 * the test-host cases.
 */
import { TestCluster } from '../test/harness/cluster.js';
import { TestHosts } from '../test/harness/hosts.js';
import { loadConfig } from '../src/conf/index.js';
import { FileSystem } from '../src/client/fileSystem.js';
import { retryPolicy, type RetryPolicy, type MasterClientEvent } from '../src/client/masterClient.js';
import { parseDuration } from '../src/conf/units.js';
import { SCHEMA } from '../src/conf/schema.js';
import { EtcdCluster, EtcdPollingClient, ensureEtcd } from './etcd.js';
import { HostMasters } from './testHostCluster.js';
import { ensureZooKeeper } from './zookeeper.js';
import { ZooKeeperServers } from '../test/harness/zookeeper.js';
import { waitFor } from '../test/harness/wait.js';

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const posInt = (v: string, what: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1000) { console.error(`bench:failover: ${what} must be an integer 1..1000, got ${JSON.stringify(v)}`); process.exit(2); }
  return n;
};
const listArg = <T extends string>(name: string, all: readonly T[]): T[] => {
  const v = (arg(name) ?? all.join(',')).split(',').filter(Boolean);
  const bad = v.filter((x) => !all.includes(x as T));
  if (bad.length || !v.length) { console.error(`bench:failover: --${name}: unknown ${bad.join(', ') || '(empty)'}; choose from ${all.join(',')}`); process.exit(2); }
  return v as T[];
};
const ROUNDS = posInt(arg('rounds') ?? process.env.BENCH_ROUNDS ?? '20', '--rounds / BENCH_ROUNDS');
const TERM_ROUNDS = Number(process.env.BENCH_TERM_ROUNDS ?? 10);
const UFS = (arg('journal') ?? 'EMBEDDED').toUpperCase() === 'UFS';
const ONLY = process.argv.includes('--only');
const TICK_MS = Number(arg('tick') ?? 1000);
const DEFAULT_SESSION = SCHEMA.find((p) => p.key === 'alluxio.zookeeper.session.timeout')!.default!;
const SESSIONS = (arg('sessions') ?? `2s,5s,${DEFAULT_SESSION}`).split(',').filter((s, i, all) => all.indexOf(s) === i);
const CASES = listArg('cases', ['process', 'host'] as const);
const SYSTEMS = listArg('systems', ['ours', 'etcd-defaults', 'etcd-ours'] as const);
const ATTEMPT = arg('attempt-timeout') ?? '500ms';
/** `--trace`: print the client's attempts of every round (by default only of rounds slower than SLOW_MS). */
const TRACE = process.argv.includes('--trace');
const SLOW_MS: Record<(typeof CASES)[number], number> = { process: 150, host: 1000 };
{
  let ms = NaN;
  try { ms = parseDuration(ATTEMPT); } catch { /* reported below */ }
  if (!(ms > 0)) { console.error(`bench:failover: --attempt-timeout must be a positive duration such as 500ms, got ${JSON.stringify(ATTEMPT)}`); process.exit(2); }
}

/** The client's retry settings of the ZooKeeper mode: Alluxio's defaults (the harness's 20 s would end a wait for a 20 s session). */
const CLIENT = { 'alluxio.user.rpc.retry.max.duration': '2min' };
/**
 * The client settings of the test-host cases, for ours and (through retryPolicy) for etcd's
 * client: the per-attempt deadline, 30 s of retries at most (a bound; a failover takes seconds).
 * Retry sleeps stay at their defaults (base 50 ms; at most 50 ms while no leader is known).
 */
const HOST_CLIENT = { 'alluxio.user.master.polling.timeout': ATTEMPT, 'alluxio.user.rpc.retry.max.duration': '30s' };
const ETCD_FLAGS: Record<'etcd-defaults' | 'etcd-ours', string[]> = {
  'etcd-defaults': [],
  // etcd refuses an election timeout below 5 heartbeats ("--election-timeout[300ms] should be at
  // least as 5 times as --heartbeat-interval[100ms]"): our election timeout with a 60 ms heartbeat.
  // etcd counts in heartbeat ticks and randomizes over [5, 10) ticks: 300–540 ms, ours 300–600 ms.
  'etcd-ours': ['--election-timeout=300', '--heartbeat-interval=60'],
};
const LABEL: Record<(typeof SYSTEMS)[number], string> = { 'ours': 'ours (embedded journal)', 'etcd-defaults': 'etcd defaults', 'etcd-ours': 'etcd, our timeouts' };
const CASE_LABEL: Record<(typeof CASES)[number], string> = { process: 'kill -9 leader process', host: 'leader host cut off' };
const GOAL: Record<(typeof CASES)[number], string> = { process: 'goal p50 <= 150, p99 <= 300', host: 'goal p50 <= 1000' };

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!; };
const line = (name: string, xs: number[]) => `${name.padEnd(26)} p50 ${pct(xs, 50).toFixed(0).padStart(6)} ms  p99 ${pct(xs, 99).toFixed(0).padStart(6)} ms  max ${Math.max(...xs).toFixed(0).padStart(6)} ms`;

/**
 * `rounds` times: 20 writes, stop the leader with `signal`, time to the first acknowledged write
 * (the client retries with the same opId), start the stopped master again as a standby.
 */
async function stopLeaderRounds(c: TestCluster, fs: FileSystem, label: string, rounds: number, signal: NodeJS.Signals, leaderTimeoutMs?: number): Promise<number[]> {
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const leader = await c.waitLeader(leaderTimeoutMs);
    for (let i = 0; i < 20; i++) await fs.createDirectory(`/f/${signal}/r${round}/pre${i}`, { recursive: true, writeType: 'MUST_CACHE' });
    const t0 = performance.now();
    await c.kill('master', leader, signal);
    await fs.createDirectory(`/f/${signal}/r${round}/post`, { recursive: true, writeType: 'MUST_CACHE' });
    times.push(performance.now() - t0);
    console.log(`${label} round ${round + 1}: leader ${leader} ${signal}; first write acknowledged after ${times.at(-1)!.toFixed(0)} ms`);
    await c.startMaster(leader);
  }
  return times;
}

/** One peer on the test hosts, as the rounds drive it. */
interface Peer {
  leader(): Promise<number>;
  write(key: string): Promise<void>;
  /** kill -9 member i (by pid), resolved once it exited. */
  kill(i: number): Promise<void>;
  /** Start member i again and wait until it serves as a follower that knows the leader. */
  restart(i: number): Promise<void>;
  stop(): Promise<void>;
  /** Ours only: after a round, when the new leader `i` won its election and served, in ms after `sinceMs` (epoch). */
  explain?(i: number, sinceMs: number): { elected?: number; serving?: number };
  /** Ours only: the client's attempts (discovery questions and calls) since the last clear. */
  events?: MasterClientEvent[];
  /** Ours only: the client's channel to each member, its connectivity state now. */
  channels?(): string;
}

async function oursPeer(hosts: TestHosts): Promise<Peer & { m: HostMasters; fs: FileSystem }> {
  const m = new HostMasters(hosts, 'ours', HOST_CLIENT);
  const fs = new FileSystem(loadConfig({ env: m.env, home: process.cwd() }));
  try {
    await m.startAll();
  } catch (e) {
    fs.close();
    await m.stop();
    throw e;
  }
  const events: MasterClientEvent[] = [];
  fs.master.onEvent = (e) => { if (events.length < 10_000) events.push(e); };
  return {
    m, fs, events,
    channels: () => m.hostList.map((h, i) => `${h.name} ${fs.master.channelState(m.rpcAddr(i))}`).join(', '),
    leader: () => m.waitLeader(),
    write: async (key) => { await fs.createDirectory(key, { recursive: true, writeType: 'MUST_CACHE' }); },
    kill: (i) => m.kill(i),
    restart: async (i) => { await m.start(i); await m.waitStandby(i); },
    stop: async () => { fs.close(); await m.stop(); },
    explain: (i, since) => {
      const e = m.leaderEvents(i, since);
      return { ...(e.elected !== undefined ? { elected: e.elected - since } : {}), ...(e.serving !== undefined ? { serving: e.serving - since } : {}) };
    },
  };
}

async function etcdPeer(hosts: TestHosts, kind: 'etcd-defaults' | 'etcd-ours', policy: RetryPolicy): Promise<Peer> {
  const e = await EtcdCluster.start(3, { hosts: hosts.hosts, flags: ETCD_FLAGS[kind], dir: `${hosts.dir}/bench-${kind}` });
  const client = new EtcdPollingClient(e, policy);
  return {
    leader: () => e.waitLeader(),
    write: (key) => client.put(key, 'x'),
    kill: (i) => e.kill(i),
    restart: async (i) => {
      await e.restart(i);
      await waitFor(`etcd member ${i} back as a follower`, async () => {
        const s = await e.request(i, '/v3/maintenance/status', {}, 500);
        return s.leader && s.leader !== s.header.member_id;
      }, 20_000, 50);
    },
    stop: () => e.stop(),
  };
}

/** `ROUNDS` rounds of one fault on one peer; returns the times from the fault to the first acknowledged write. */
async function faultRounds(hosts: TestHosts, p: Peer, system: string, fault: (typeof CASES)[number]): Promise<{ times: number[]; elected: number[]; serving: number[]; client: number[] }> {
  const times: number[] = [], elected: number[] = [], serving: number[] = [], client: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const leader = await p.leader();
    const host = hosts.hosts[leader]!.name;
    for (let i = 0; i < 20; i++) await p.write(`/f/${fault}/r${round}/pre${i}`);
    p.events?.splice(0);
    const channels = p.channels?.();
    const wall0 = Date.now();
    const t0 = performance.now();
    if (fault === 'process') await p.kill(leader);
    else await hosts.cut(host);
    try {
      await p.write(`/f/${fault}/r${round}/post`);
      times.push(performance.now() - t0);
    } finally {
      if (fault === 'host') { await p.kill(leader); await hosts.heal(host); }
    }
    let why = '';
    if (p.explain) {
      const next = await p.leader();
      const e = p.explain(next, wall0);
      if (e.elected !== undefined) elected.push(e.elected);
      if (e.serving !== undefined) { serving.push(e.serving); client.push(Math.round(times.at(-1)! - e.serving)); }
      why = ` (${hosts.hosts[next]!.name} elected after ${e.elected ?? '?'} ms, serving after ${e.serving ?? '?'} ms)`;
    }
    console.log(`${LABEL[system as keyof typeof LABEL]}, ${CASE_LABEL[fault]}, round ${round + 1}: leader on ${host}; first write acknowledged after ${times.at(-1)!.toFixed(0)} ms${why}`);
    if (p.events && (TRACE || times.at(-1)! > SLOW_MS[fault])) console.log(`      client's channels at the fault: ${channels}\n${timeline(p.events, wall0, hosts)}`);
    await p.restart(leader);
  }
  return { times, elected, serving, client };
}

/**
 * The client's attempts in one round, in ms after the fault: `+t probe|call host [channel state]
 * -> result (ms)`, one per line, each master named by its test host.
 */
function timeline(events: readonly MasterClientEvent[], sinceMs: number, hosts: TestHosts): string {
  const name = (addr: string) => hosts.hosts.find((h) => addr.startsWith(`${h.ip}:`))?.name ?? addr;
  return events.map((e) => `      +${String(e.at - sinceMs).padStart(4)} ${e.kind.padEnd(5)} ${name(e.addr).padEnd(8)} [${e.state}] -> ${e.result.slice(0, 90)} (${e.ms.toFixed(0)} ms)`).join('\n');
}

/** quorum elect on ours: the longest gap between acknowledged writes while leadership moves, per transfer. */
async function electGaps(m: HostMasters, fs: FileSystem, rounds: number): Promise<number[]> {
  const gaps: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const leader = await m.waitLeader();
    const target = (leader + 1) % 3;
    let stop = false;
    const acks: number[] = [];
    const writer = (async () => {
      for (let i = 0; !stop && i < 100_000; i++) {
        await fs.createDirectory(`/e/r${round}/w${i}`, { recursive: true, writeType: 'MUST_CACHE' });
        acks.push(performance.now());
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    try {
      await fs.master.call('journal', 'TransferLeadership', { address: m.journalAddr(target) });
      for (let i = 0; i < 200; i++) {
        if ((await fs.master.call('journal', 'GetQuorumInfo', {})).leader === m.journalAddr(target)) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      stop = true;
      await writer;
    }
    let gap = 0;
    for (let i = 1; i < acks.length; i++) if (acks[i]! >= t0 - 50) gap = Math.max(gap, acks[i]! - acks[i - 1]!);
    gaps.push(gap);
    console.log(`elect round ${round + 1}: leader ${leader} -> ${target}; longest write gap ${gap.toFixed(0)} ms`);
  }
  return gaps;
}

/** The loopback cluster of the ZooKeeper mode, killed by pid on exit or Ctrl-C (TestHosts cleans up after itself). */
let loopback: TestCluster | undefined;
process.on('exit', () => {
  for (let i = 0; i < 3; i++) { const pid = loopback?.pid('master', i); if (pid) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

const results: string[] = [];
const zkResults: string[] = [];
const samples: string[] = [];
if (!ONLY) {
  const hosts = await TestHosts.create(3, { prefix: 'fo' });
  const policy = retryPolicy(loadConfig({ env: {}, home: process.cwd(), confDir: hosts.dir, flags: HOST_CLIENT }));
  const table: { system: string; fault: string; times: number[]; elected: number[]; serving: number[]; client: number[] }[] = [];
  let gaps: number[] = [];
  try {
    const etcd = SYSTEMS.some((s) => s.startsWith('etcd')) && ensureEtcd();
    for (const system of SYSTEMS) {
      if (system !== 'ours' && !etcd) { results.push(`${LABEL[system]}: etcd not installed (apt-get install etcd-server)`); continue; }
      const p: Peer & { m?: HostMasters; fs?: FileSystem } = system === 'ours' ? await oursPeer(hosts) : await etcdPeer(hosts, system, policy);
      try {
        for (const fault of CASES) table.push({ system, fault, ...(await faultRounds(hosts, p, system, fault)) });
        if (p.m && p.fs) gaps = await electGaps(p.m, p.fs, Math.min(10, ROUNDS));
      } finally {
        await p.stop();
      }
    }
  } finally {
    await hosts.destroy();
  }
  for (const fault of CASES) {
    results.push(`${CASE_LABEL[fault]} (${GOAL[fault]} for ours):`);
    const ours = table.find((r) => r.system === 'ours' && r.fault === fault);
    for (const r of table.filter((x) => x.fault === fault)) {
      const vs = ours && r !== ours ? `  (ours/this p50 ${(pct(ours.times, 50) / pct(r.times, 50)).toFixed(2)}x)` : '';
      results.push(`  ${line(LABEL[r.system as keyof typeof LABEL], r.times)}${vs}`);
      samples.push(`${LABEL[r.system as keyof typeof LABEL]}, ${CASE_LABEL[fault]}: ${r.times.map((t) => t.toFixed(0)).join(' ')}`);
      if (r.elected.length) results.push(`    where the time goes (new leader's log, ms after the fault): elected p50 ${pct(r.elected, 50).toFixed(0)} (max ${Math.max(...r.elected)}), serving p50 ${r.serving.length ? pct(r.serving, 50).toFixed(0) : '?'} (max ${r.serving.length ? Math.max(...r.serving) : '?'})${r.client.length ? `; acknowledged after serving: p50 ${pct(r.client, 50)}, max ${Math.max(...r.client)} (the client's share)` : ''}`);
    }
  }
  if (gaps.length) results.push(`quorum elect (ours): longest gap between acknowledged writes p50 ${pct(gaps, 50).toFixed(0)} ms, max ${Math.max(...gaps).toFixed(0)} ms  (goal <= 200 ms)`);
}

if (UFS) {
  if (!ensureZooKeeper()) {
    zkResults.push('ZooKeeper mode: ZooKeeper not installed (apt-get install zookeeper)');
  } else {
    const zk = await ZooKeeperServers.start({ members: 3, tickMs: TICK_MS });
    try {
      for (const [n, session] of SESSIONS.entries()) {
        const sessionMs = parseDuration(session);
        const c = loopback = new TestCluster({
          masters: 3, workers: 0, sharedJournal: true,
          props: {
            ...CLIENT,
            'alluxio.master.journal.type': 'UFS',
            'alluxio.zookeeper.enabled': 'true',
            'alluxio.zookeeper.address': zk.connectString(),
            'alluxio.zookeeper.session.timeout': session,
            // One cluster per session timeout on one ensemble: each its own nodes.
            'alluxio.zookeeper.election.path': `/bench${n}/election`,
            'alluxio.zookeeper.leader.path': `/bench${n}/leader`,
          },
        });
        await c.setup();
        await c.start();
        const fs = new FileSystem(loadConfig({ env: c.env, home: process.cwd() }));
        try {
          const label = `UFS session ${session}`;
          const kill = await stopLeaderRounds(c, fs, label, ROUNDS, 'SIGKILL', 4 * sessionMs + 20_000);
          const term = await stopLeaderRounds(c, fs, label, TERM_ROUNDS, 'SIGTERM', 4 * sessionMs + 20_000);
          const p50 = pct(kill, 50);
          zkResults.push(line(`UFS ${session} kill -9`, kill) + `  (p50 - session ${(p50 - sessionMs).toFixed(0)} ms; goal p50 <= session + 500)`);
          zkResults.push(line(`UFS ${session} SIGTERM`, term));
        } finally {
          fs.close();
          await c.stop();
        }
      }
    } finally {
      await zk.destroy();
    }
  }
}
if (!ONLY) {
  console.log(`\nbench:failover — 3 members each on 3 test hosts (network namespaces), ${ROUNDS} rounds per case: the fault, then the time to the first acknowledged write.`);
  console.log(`Client (ours and etcd alike): per-attempt deadline ${ATTEMPT}, retry sleep 50 ms, leader polled every 50 ms (every member at once, first deadline min(1 s, ${ATTEMPT})).`);
  console.log('Ours: election timeout 300-600 ms, heartbeat 100 ms, pre-vote and check-quorum on. etcd 3.4: defaults = election 1000 ms (randomized 1000-2000), heartbeat 100 ms; our timeouts = election 300 ms (300-540 in 60 ms ticks), heartbeat 60 ms (etcd refuses 300/100: it wants election >= 5 heartbeats); pre-vote off (etcd 3.4 default), check-quorum on; client through its v3 JSON gateway (HTTP/1.1), ours over its framed mux (plain TCP; leader discovery over gRPC).');
  console.log('Samples (ms, in round order):');
  for (const s of samples) console.log(`  ${s}`);
  for (const r of results) console.log(r);
}
if (UFS) {
  console.log(`\nZooKeeper mode (loopback): 3 masters, 3-member ZooKeeper, tickTime ${TICK_MS} ms, ${ROUNDS} rounds`);
  for (const r of zkResults) console.log(r);
}
