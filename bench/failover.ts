/**
 * bench:failover — 3 masters on loopback; N times: kill -9 the leader while a client writes, and
 * measure from the kill to the first acknowledged write on the new leader. Prints p50, p99 and
 * max, and the same measure for etcd (3 members, default settings, Debian etcd-server) in the same
 * run. Also `quorum elect`: the longest gap between acknowledged writes while leadership is
 * transferred.
 *
 * `--journal=UFS` adds the ZooKeeper mode in the same run, after the embedded journal: 3 masters
 * on one shared journal folder elected through a 3-member ZooKeeper ensemble (tickTime --tick,
 * default 1000 ms so that a 2 s session is granted; ZooKeeper clamps sessions to [2, 20] ticks),
 * one fresh cluster per session timeout in --sessions (default 2s,5s and the schema's default).
 * Same write load (20 sequential writes, kill, one write), same client (FileSystem, default retry
 * settings, 2 min of retries: it finds the leader through ZooKeeper instead of the masters'
 * addresses), same rounds; plus BENCH_TERM_ROUNDS (default 10) rounds of SIGTERM (a clean stop closes the session
 * at once, so the next candidate need not wait for it to expire). `--journal=UFS --only` skips
 * the embedded journal and etcd.
 */
import { TestCluster } from '../test/harness/cluster.js';
import { loadConfig } from '../src/conf/index.js';
import { FileSystem } from '../src/client/fileSystem.js';
import { parseDuration } from '../src/conf/units.js';
import { SCHEMA } from '../src/conf/schema.js';
import { EtcdCluster, ensureEtcd } from './etcd.js';
import { ensureZooKeeper } from './zookeeper.js';
import { ZooKeeperServers } from '../test/harness/zookeeper.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const TERM_ROUNDS = Number(process.env.BENCH_TERM_ROUNDS ?? 10);
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const UFS = (arg('journal') ?? 'EMBEDDED').toUpperCase() === 'UFS';
const ONLY = process.argv.includes('--only');
const TICK_MS = Number(arg('tick') ?? 1000);
const DEFAULT_SESSION = SCHEMA.find((p) => p.key === 'alluxio.zookeeper.session.timeout')!.default!;
const SESSIONS = (arg('sessions') ?? `2s,5s,${DEFAULT_SESSION}`).split(',').filter((s, i, all) => all.indexOf(s) === i);

/** The client's retry settings of both modes: Alluxio's defaults (the harness's 20 s would end a wait for a 20 s session). */
const CLIENT = { 'alluxio.user.rpc.retry.max.duration': '2min' };

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

const results: string[] = [];
if (!ONLY) {
  const c = await (await new TestCluster({ masters: 3, workers: 0, props: { ...CLIENT } }).setup()).start();
  const fs = new FileSystem(loadConfig({ env: c.env, home: process.cwd() }));
  const electGaps: number[] = [];
  let times: number[];
  try {
    times = await stopLeaderRounds(c, fs, 'embedded', ROUNDS, 'SIGKILL');
    // quorum elect: the longest gap between acknowledged writes while leadership moves.
    const journalAddr = (i: number) => `localhost:${c.masterPorts[i]!.journal}`;
    for (let round = 0; round < Math.min(10, ROUNDS); round++) {
      const leader = await c.waitLeader();
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
      await fs.master.call('journal', 'TransferLeadership', { address: journalAddr(target) });
      for (let i = 0; i < 200; i++) {
        if ((await fs.master.call('journal', 'GetQuorumInfo', {})).leader === journalAddr(target)) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await new Promise((r) => setTimeout(r, 200));
      stop = true;
      await writer;
      let gap = 0;
      for (let i = 1; i < acks.length; i++) if (acks[i]! >= t0 - 50) gap = Math.max(gap, acks[i]! - acks[i - 1]!);
      electGaps.push(gap);
      console.log(`elect round ${round + 1}: leader ${leader} -> ${target}; longest write gap ${gap.toFixed(0)} ms`);
    }
  } finally {
    fs.close();
    await c.stop();
  }

  const etcdTimes: number[] = [];
  if (ensureEtcd()) {
    const e = await EtcdCluster.start(3);
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const leader = await e.waitLeader();
        for (let i = 0; i < 20; i++) await e.put(`/f/r${round}/pre${i}`, 'x');
        const t0 = performance.now();
        await e.kill(leader);
        await e.put(`/f/r${round}/post`, 'x', leader);
        etcdTimes.push(performance.now() - t0);
        console.log(`etcd round ${round + 1}: leader killed; first put acknowledged after ${etcdTimes.at(-1)!.toFixed(0)} ms`);
        await e.restart(leader);
      }
    } finally {
      await e.stop();
    }
  }
  results.push(line('ours (embedded journal)', times) + '  (goal p50 <= 1000, p99 <= 2000)');
  if (electGaps.length) results.push(`quorum elect: longest gap between acknowledged writes p50 ${pct(electGaps, 50).toFixed(0)} ms, max ${Math.max(...electGaps).toFixed(0)} ms  (goal <= 200 ms)`);
  results.push(etcdTimes.length ? line('etcd', etcdTimes) + `  (ours/etcd p50 ${(pct(times, 50) / pct(etcdTimes, 50)).toFixed(2)}x)` : 'etcd     not installed (apt-get install etcd-server)');
}

if (UFS) {
  if (!ensureZooKeeper()) {
    results.push('ZooKeeper mode: ZooKeeper not installed (apt-get install zookeeper)');
  } else {
    const zk = await ZooKeeperServers.start({ members: 3, tickMs: TICK_MS });
    try {
      for (const [n, session] of SESSIONS.entries()) {
        const sessionMs = parseDuration(session);
        const c = new TestCluster({
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
          results.push(line(`UFS ${session} kill -9`, kill) + `  (p50 - session ${(p50 - sessionMs).toFixed(0)} ms; goal p50 <= session + 500)`);
          results.push(line(`UFS ${session} SIGTERM`, term));
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
console.log(`\nbench:failover — 3 members each, ${ROUNDS} rounds: stop the leader, time to the first acknowledged write${UFS ? ` (ZooKeeper: 3 members, tickTime ${TICK_MS} ms)` : ''}`);
for (const r of results) console.log(r);
