/**
 * bench:meta — metadata operations per second, fsync on.
 *  1. One master (local journal): createFile and getStatus with 1 and 32 concurrent clients.
 *  2. Three masters (embedded Raft journal) next to etcd 3.4 (3 members, puts of ~100 bytes through
 *     its v3 JSON gateway) and ZooKeeper 3.8 (3-member ensemble, creates of ~100 bytes), all on
 *     loopback, with 1 and 64 requests in flight. All three run side by side and are measured in
 *     turns (BENCH_ROUNDS rounds of ours, etcd, ZooKeeper), so that a slow spell of this shared
 *     machine hits every system alike; each system's figure is the median of its rounds. Before
 *     the rounds of each concurrency, every system runs BENCH_WARM seconds unmeasured (JIT
 *     compilers: a fresh master process, or ZooKeeper's JVM, runs at half speed for its first
 *     few thousand requests). Our client and etcd's talk to the leader. ZooKeeper is measured
 *     twice: with its sessions spread evenly over the ensemble (3 per server, each worker's
 *     requests taking the sessions in turn, so even 1 request in flight sees leader and followers
 *     in their usual 1:2 mix rather than wherever one session happened to land), which is the
 *     goal's reference, and with every session on the leader, for information.
 *  3. With --journal=UFS, the ZooKeeper mode in the same rounds: 3 masters on one shared journal
 *     folder (fsync per group commit, as the embedded journal's), elected through the same
 *     ZooKeeper ensemble (3 members, stock settings) the ZooKeeper figures come from; its client
 *     finds the leader through ZooKeeper. For information next to the embedded journal.
 *  --cost: instead of the comparison, the per-request cost of createFile at 1 in flight on 3
 *  masters (embedded journal): CPU and context switches per request of the leader, a follower and
 *  the client (from /proc), and the ext4 journal transactions per request on the device of the
 *  temp folder (from /proc/fs/jbd2: a durable write that allocates a block needs one). Run it
 *  with TMPDIR on a slower file system to see a slow-disk day (ZooKeeper and etcd keep their
 *  data under TMPDIR too, so the comparison run the same way is fair). With BENCH_TRACE=1, also
 *  the timeline of each request through the leader and the followers (their journal traces,
 *  src/journal/raft/trace.ts; bench/metaTrace.ts lines them up); with BENCH_STRACE=1, a second
 *  pass under `strace -c -f` on the leader and a follower (system calls per request).
 *  --metrics: instead of the comparison, createFile with metrics on next to metrics off
 *  (alluxio.metrics.enabled), on 1 master and on 3 masters, 1 and 64 in flight, in alternating
 *  rounds (BENCH_ROUNDS) after BENCH_WARM seconds of warm-up each (BENCH_MASTERS=1,3 and BENCH_FLIGHT=1,64
 *  choose the cases); the median ratio (goal: metrics
 *  cost at most 3%), and the leader's CPU per request (from /proc: steadier than throughput on a
 *  busy machine).
 *  --loop-probe: every master process measures how long its event loop is blocked
 *  (bench/loopProbe.ts) and the longest stalls are printed at the end (the lower bound of a safe
 *  alluxio.zookeeper.session.timeout: a stalled master sends no ZooKeeper ping).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestCluster } from '../test/harness/cluster.js';
import { loadConfig } from '../src/conf/index.js';
import { MasterClient } from '../src/client/masterClient.js';
import { EtcdCluster, ensureEtcd } from './etcd.js';
import { ZooKeeperEnsemble, ensureZooKeeper, zkCreate } from './zookeeper.js';
import { timeline, straceCount } from './metaTrace.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const WARM = Math.max(0, Number(process.env.BENCH_WARM ?? 5));
const FLIGHT = (process.env.BENCH_FLIGHT ?? '1,64').split(',').map(Number); // requests in flight per measured case
const UFS = process.argv.some((a) => a.toUpperCase() === '--JOURNAL=UFS');
const PROBE_DIR = process.argv.includes('--loop-probe') ? fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-loop-probe-')) : undefined;
if (PROBE_DIR) {
  // Inherited by the master processes (TestCluster passes process.env on, without ALLUXIO_* keys).
  process.env.BENCH_LOOP_PROBE_DIR = PROBE_DIR;
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import ${new URL('./loopProbe.js', import.meta.url).href}`.trim();
}

async function measure(label: string | undefined, concurrency: number, op: (worker: number, i: number) => Promise<unknown>, seconds = SECONDS): Promise<number> {
  const deadline = Date.now() + seconds * 1000;
  let done = 0;
  const t0 = Date.now();
  await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
    for (let i = 0; Date.now() < deadline && i < 10_000_000; i++) { await op(w, i); done++; }
  }));
  const rate = done / ((Date.now() - t0) / 1000);
  if (label !== undefined) console.log(`${label.padEnd(40)} ${String(Math.round(rate)).padStart(8)} ops/s  (${done} ops, ${concurrency} in flight)`);
  return rate;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** A system under test: `op` creates one ~100-byte item under a unique name. */
interface System {
  name: string;
  /** Part of the goal's comparison (else printed for information). */
  goal: boolean;
  /** Called once per tag before its measurement (e.g. a parent node). */
  prepare?(tag: string): Promise<void>;
  op(tag: string, worker: number, i: number): Promise<unknown>;
  stop(): Promise<void>;
}

/** Cluster folder name -> what it runs (for the --loop-probe figures). */
const clusterNames = new Map<string, string>();

/** `n` masters with the embedded journal, or (zkAddress) 3 masters in the ZooKeeper mode on a shared journal. */
async function oursWithMasters(n: number, zkAddress?: string): Promise<System & { clients: MasterClient[] }> {
  const c = await (await new TestCluster(zkAddress === undefined ? { masters: n, workers: 0 } : {
    masters: n, workers: 0, sharedJournal: true,
    props: { 'alluxio.master.journal.type': 'UFS', 'alluxio.zookeeper.enabled': 'true', 'alluxio.zookeeper.address': zkAddress },
  }).setup()).start();
  const conf = loadConfig({ env: c.env, home: process.cwd() });
  const clients = Array.from({ length: 32 }, () => MasterClient.fromConf(conf));
  clusterNames.set(path.basename(c.dir), zkAddress !== undefined ? 'ZooKeeper + UFS journal' : `${n} master(s), ${n === 1 ? 'local' : 'embedded'} journal`);
  return {
    name: zkAddress !== undefined ? `createFile, ${n} masters ZK+UFS` : n === 1 ? 'createFile, 1 master' : `createFile, ${n} masters`,
    goal: true,
    clients,
    op: (tag, w, i) => clients[w % clients.length]!.call('file', 'CreateFile', {
      path: `/bench/${tag}/c${w}/f${i}`, recursive: true, blockSizeBytes: 1 << 20, writeType: 'MUST_CACHE', opId: `${tag}-${w}-${i}`,
    }),
    stop: async () => { for (const cl of clients) cl.close(); await c.stop(); },
  };
}

async function etcdSystem(): Promise<System | undefined> {
  if (!ensureEtcd()) { console.log('etcd: not installed (apt-get install etcd-server)'); return undefined; }
  const e = await EtcdCluster.start(3);
  const leader = await e.waitLeader();
  const value = Buffer.alloc(100, 120).toString();
  return { name: 'etcd put (3 members)', goal: true, op: (tag, w, i) => e.put(`/bench/${tag}/c${w}/f${i}`, value, -1, leader), stop: () => e.stop() };
}

/** The ZooKeeper ensemble as two systems: 9 sessions spread evenly over the servers, 8 on the leader. */
async function zkSystems(): Promise<{ systems: System[]; connectString: string; stop(): Promise<void> } | undefined> {
  if (!ensureZooKeeper()) { console.log('ZooKeeper: not installed (apt-get install zookeeper)'); return undefined; }
  const z = await ZooKeeperEnsemble.start(3);
  const leader = await z.leaderIndex();
  const spread = await Promise.all(Array.from({ length: 9 }, (_, i) => z.client(15_000, i % z.nodes.length)));
  const onLeader = leader >= 0 ? await Promise.all(Array.from({ length: 8 }, () => z.client(15_000, leader))) : [];
  const value = Buffer.alloc(100, 120);
  await zkCreate(spread[0]!, '/bench', Buffer.alloc(0));
  // Worker w's i-th request takes session (w + i) mod n: every worker cycles through all servers.
  const system = (name: string, goal: boolean, clients: typeof spread, sub: string): System => ({
    name, goal,
    prepare: (tag) => zkCreate(clients[0]!, `/bench/${sub}${tag}`, Buffer.alloc(0)),
    op: (tag, w, i) => zkCreate(clients[(w + i) % clients.length]!, `/bench/${sub}${tag}/c${w}_${i}`, value),
    stop: async () => { for (const c of clients) c.close(); },
  });
  const systems = [system('ZooKeeper create (spread)', true, spread, 's')];
  if (onLeader.length) systems.push(system('ZooKeeper create (on leader)', false, onLeader, 'l'));
  return { systems, connectString: z.connectString(), stop: () => z.stop() };
}

/** Ext4 journal transactions so far on the device holding `dir` (undefined when not ext4/jbd2). */
function jbd2Transactions(dir: string): number | undefined {
  const dev = fs.statSync(dir).dev;
  try {
    const name = path.basename(fs.realpathSync(`/sys/dev/block/${Math.floor(dev / 256) & 0xfff}:${(dev & 0xff) | ((dev >> 12) & 0xfff00)}`));
    return Number(fs.readFileSync(`/proc/fs/jbd2/${name}-8/info`, 'utf8').split(' ')[0]);
  } catch { return undefined; }
}

/** User + system CPU (ms) and context switches of every thread of `pid`. */
function procCost(pid: number): { cpuMs: number; switches: number } {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  let switches = 0;
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    const st = fs.readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8');
    for (const m of st.matchAll(/ctxt_switches:\s+(\d+)/g)) switches += Number(m[1]);
  }
  return { cpuMs: (Number(f[11]) + Number(f[12])) * 1000 / 100, switches }; // CLK_TCK 100
}

if (process.argv.includes('--cost')) {
  const n = Number(process.env.BENCH_OPS ?? 5000);
  // The masters' journal traces (src/journal/raft/trace.ts) for the timeline; off unless asked for.
  const traceDir = process.env.BENCH_TRACE ? fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-trace-')) : undefined;
  if (traceDir) process.env.JOURNAL_TRACE_DIR = traceDir;
  const stamps: [number, number][] = [];
  const c = await (await new TestCluster({ masters: 3, workers: 0 }).setup()).start();
  const client = MasterClient.fromConf(loadConfig({ env: c.env, home: process.cwd() }));
  const op = (tag: string, i: number) => client.call('file', 'CreateFile', { path: `/bench/${tag}/f${i}`, recursive: true, blockSizeBytes: 1 << 20, writeType: 'MUST_CACHE', opId: `${tag}-${i}` });
  try {
    for (let i = 0; i < n; i++) await op('warm', i);
    const leader = await c.leaderIndex();
    const pids = { leader: c.pid('master', leader)!, follower: c.pid('master', leader === 0 ? 1 : 0)! };
    const before = { leader: procCost(pids.leader), follower: procCost(pids.follower), client: procCost(process.pid), jbd2: jbd2Transactions(c.dir) };
    const t0 = Date.now();
    for (let i = 0; i < n; i++) {
      const t = Number(process.hrtime.bigint());
      await op('cost', i);
      stamps.push([t, Number(process.hrtime.bigint())]);
    }
    const ms = Date.now() - t0;
    const after = { leader: procCost(pids.leader), follower: procCost(pids.follower), client: procCost(process.pid), jbd2: jbd2Transactions(c.dir) };
    console.log(`createFile, 3 masters, 1 in flight, ${n} requests in ${ms} ms (${Math.round(n / (ms / 1000))}/s), temp folder ${os.tmpdir()}; per request:`);
    for (const k of ['leader', 'follower', 'client'] as const) {
      console.log(`  ${k.padEnd(8)} CPU ${Math.round((after[k].cpuMs - before[k].cpuMs) * 1000 / n)} µs, context switches ${((after[k].switches - before[k].switches) / n).toFixed(2)}`);
    }
    if (before.jbd2 !== undefined && after.jbd2 !== undefined) console.log(`  ext4 journal transactions on the temp folder's device (all 3 masters, and whatever else writes there): ${((after.jbd2 - before.jbd2) / n).toFixed(3)}`);
    if (traceDir) {
      await new Promise((r) => setTimeout(r, 1200)); // the masters write their traces every 500 ms
      const followers = [0, 1, 2].filter((i) => i !== leader).map((i) => c.pid('master', i)!);
      for (const l of timeline(traceDir, stamps, pids.leader, followers)) console.log(l);
    }
    if (process.env.BENCH_STRACE) {
      // A second pass under strace (it slows every system call: counts only, no times).
      const st = Object.entries(pids).map(([k, pid]) => ({ k, s: straceCount(pid, path.join(c.dir, `strace-${k}.txt`)) }));
      await new Promise((r) => setTimeout(r, 500)); // attached
      for (let i = 0; i < n; i++) await op('strace', i);
      for (const { k, s } of st) {
        const calls = await s?.stop();
        if (!calls) { console.log('  strace: not installed'); break; }
        const total = [...calls.values()].reduce((a, b) => a + b, 0);
        console.log(`  system calls per request, ${k}: ${(total / n).toFixed(1)} (` + [...calls].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([name, k2]) => `${name} ${(k2 / n).toFixed(2)}`).join(', ') + ')');
      }
    }
  } finally {
    client.close(); await c.stop();
    if (traceDir) fs.rmSync(traceDir, { recursive: true, force: true });
  }
  process.exit(0);
}

if (process.argv.includes('--metrics')) {
  console.log(`bench:meta --metrics — createFile with alluxio.metrics.enabled=true next to false, fsync on, ${ROUNDS} rounds of ${SECONDS}s in turns`);
  for (const masters of (process.env.BENCH_MASTERS ?? '1,3').split(',').map(Number)) {
    const pair = await Promise.all(['true', 'false'].map(async (on) => {
      const c = await (await new TestCluster({ masters, workers: 0, props: { 'alluxio.metrics.enabled': on } }).setup()).start();
      const clients = Array.from({ length: 64 }, () => MasterClient.fromConf(loadConfig({ env: c.env, home: process.cwd() })));
      const op = (tag: string, w: number, i: number) => clients[w]!.call('file', 'CreateFile', { path: `/bench/${tag}/c${w}/f${i}`, recursive: true, blockSizeBytes: 1 << 20, writeType: 'MUST_CACHE', opId: `${tag}-${w}-${i}` });
      const pid = c.pid('master', await c.leaderIndex())!;
      return { on, op, pid, stop: async () => { for (const cl of clients) cl.close(); await c.stop(); } };
    }));
    try {
      for (const k of FLIGHT) {
        for (const s of pair) await measure(undefined, k, (w, i) => s.op(`k${k}w`, w, i), WARM);
        const rates = new Map<string, number[]>(pair.map((s) => [s.on, []]));
        const cpu = new Map<string, number[]>(pair.map((s) => [s.on, []]));
        for (let r = 0; r < ROUNDS; r++) {
          for (const s of r % 2 === 0 ? pair : [...pair].reverse()) {
            let n = 0;
            const before = procCost(s.pid).cpuMs;
            rates.get(s.on)!.push(await measure(`${masters} master(s), metrics ${s.on === 'true' ? 'on ' : 'off'} [round ${r + 1}]`, k, (w, i) => { n++; return s.op(`k${k}r${r}`, w, i); }));
            cpu.get(s.on)!.push(((procCost(s.pid).cpuMs - before) * 1000) / Math.max(1, n));
          }
        }
        const on = median(rates.get('true')!), off = median(rates.get('false')!);
        const cpuOn = median(cpu.get('true')!), cpuOff = median(cpu.get('false')!);
        console.log(`${masters} master(s), ${k} in flight (median of ${ROUNDS}): metrics on ${Math.round(on)}/s, off ${Math.round(off)}/s, on/off ${(on / off).toFixed(3)} (goal >= 0.97); ` +
          `leader CPU per request: on ${Math.round(cpuOn)} µs, off ${Math.round(cpuOff)} µs (${(((cpuOn - cpuOff) / cpuOff) * 100).toFixed(1)}%)\n`);
      }
    } finally { for (const s of pair) await s.stop(); }
  }
  process.exit(0);
}

console.log(`bench:meta — fsync on, ${SECONDS}s per case, everything on loopback`);
{
  const one = await oursWithMasters(1);
  try {
    // Files each worker of the 32-client run created (getStatus reads among them; a slow run makes few).
    const made: number[] = [];
    for (const k of [1, 32]) await measure(one.name, k, async (w, i) => { await one.op(`k${k}`, w, i); if (k === 32) made[w] = i + 1; });
    for (const q of [1, 32]) await measure('getStatus, 1 master', q, (w, i) => one.clients[w % one.clients.length]!.call('file', 'GetStatus', { path: `/bench/k32/c${w}/f${i % Math.min(100, made[w] ?? 1)}` }));
  } finally { await one.stop(); }
}

console.log(`\n3 masters vs etcd vs ZooKeeper: ${ROUNDS} rounds of ${SECONDS}s each, in turns, after ${WARM}s of warm-up each`);
const systems: System[] = [];
let zk: Awaited<ReturnType<typeof zkSystems>>;
try {
  systems.push(await oursWithMasters(3));
  const etcd = await etcdSystem();
  if (etcd) systems.push(etcd);
  zk = await zkSystems();
  if (zk) systems.push(...zk.systems);
  if (UFS && zk) systems.push({ ...await oursWithMasters(3, zk.connectString), goal: false });
  else if (UFS) console.log('ZooKeeper mode: ZooKeeper not installed (apt-get install zookeeper)');
  const rates = new Map<string, number[][]>(systems.map((s) => [s.name, FLIGHT.map(() => [])]));
  for (let f = 0; f < FLIGHT.length; f++) {
    const k = FLIGHT[f]!;
    if (WARM > 0) {
      for (const s of systems) { await s.prepare?.(`k${k}w`); await measure(undefined, k, (w, i) => s.op(`k${k}w`, w, i), WARM); }
      console.log(`(every system warmed up for ${WARM}s at ${k} in flight, unmeasured)`);
    }
    for (let r = 0; r < ROUNDS; r++) {
      // The first system of a round is ours in even rounds and last in odd ones (order effects even out).
      const order = r % 2 === 0 ? systems : [...systems].reverse();
      for (const s of order) {
        const tag = `k${k}r${r}`;
        await s.prepare?.(tag);
        rates.get(s.name)![f]!.push(await measure(`${s.name} [round ${r + 1}]`, k, (w, i) => s.op(tag, w, i)));
      }
    }
  }
  console.log('');
  const ours = rates.get(systems[0]!.name)!;
  for (let f = 0; f < FLIGHT.length; f++) {
    const med = (name: string) => median(rates.get(name)![f]!);
    const mine = median(ours[f]!);
    const others = systems.slice(1).map((s) => ({ name: s.name.replace(/ (put|create)|createFile, /, ''), goal: s.goal, rate: med(s.name) }));
    const best = Math.max(0, ...others.filter((o) => o.goal).map((o) => o.rate));
    console.log(`${FLIGHT[f]} in flight (median of ${ROUNDS}): ours ${Math.round(mine)}/s` +
      others.map((o) => `, ${o.name} ${Math.round(o.rate)}/s (${(mine / o.rate).toFixed(2)}x)`).join('') +
      (best ? `; vs the better of etcd and ZooKeeper (spread): ${(mine / best).toFixed(2)}x (goal >= 1)` : ''));
  }
} finally {
  for (const s of systems) await s.stop().catch(() => undefined);
  await zk?.stop().catch(() => undefined);
}
if (PROBE_DIR) {
  // Each master's event-loop delay over its whole life (the 1-master run, then the 3-master runs).
  const probes = fs.readdirSync(PROBE_DIR).map((f) => JSON.parse(fs.readFileSync(path.join(PROBE_DIR, f), 'utf8')) as { pid: number; cluster: string; samples: number; p50: number; p99: number; p999: number; max: number });
  console.log(`\nevent-loop delay of each master process over its life (10 ms resolution):`);
  for (const cl of [...new Set(probes.map((p) => p.cluster))]) {
    console.log(`  ${clusterNames.get(cl) ?? cl}: ` + probes.filter((p) => p.cluster === cl).map((p) => `pid ${p.pid} p99 ${p.p99} ms, p99.9 ${p.p999} ms, max ${p.max} ms`).join('; '));
  }
  fs.rmSync(PROBE_DIR, { recursive: true, force: true });
}
