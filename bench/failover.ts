/**
 * bench:failover — 3 masters on loopback with default settings; N times: kill -9 the leader
 * while a client writes, and measure from the kill to the first acknowledged write on the new
 * leader. Prints p50, p99 and max, and the same measure for etcd (3 members, default settings,
 * Debian etcd-server) in the same run. Also `quorum elect`: the longest gap between acknowledged
 * writes while leadership is transferred.
 */
import { TestCluster } from '../test/harness/cluster.js';
import { loadConfig } from '../src/conf/index.js';
import { FileSystem } from '../src/client/fileSystem.js';
import { EtcdCluster, ensureEtcd } from './etcd.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!; };

const c = await (await new TestCluster({ masters: 3, workers: 0, props: {} }).setup()).start();
const fs = new FileSystem(loadConfig({ env: c.env, home: process.cwd() }));
const times: number[] = [];
const electGaps: number[] = [];
try {
  let n = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const leader = await c.waitLeader();
    // Steady writes before the kill.
    for (let i = 0; i < 20; i++) await fs.createDirectory(`/f/r${round}/pre${i}`, { recursive: true, writeType: 'MUST_CACHE' });
    const t0 = performance.now();
    await c.kill('master', leader, 'SIGKILL');
    // The first write acknowledged after the kill (the client retries with the same opId).
    await fs.createDirectory(`/f/r${round}/post${n++}`, { recursive: true, writeType: 'MUST_CACHE' });
    const ms = performance.now() - t0;
    times.push(ms);
    console.log(`round ${round + 1}: leader ${leader} killed; first write acknowledged after ${ms.toFixed(0)} ms`);
    await c.startMaster(leader);
  }
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
const line = (name: string, xs: number[]) => `${name.padEnd(8)} p50 ${pct(xs, 50).toFixed(0).padStart(5)} ms  p99 ${pct(xs, 99).toFixed(0).padStart(5)} ms  max ${Math.max(...xs).toFixed(0).padStart(5)} ms`;
console.log(`bench:failover — 3 members each, default settings, ${ROUNDS} rounds: kill -9 the leader, time to the first acknowledged write`);
console.log(line('ours', times) + '  (goal p50 <= 1000, p99 <= 2000)');
if (electGaps.length) console.log(`quorum elect: longest gap between acknowledged writes p50 ${pct(electGaps, 50).toFixed(0)} ms, max ${Math.max(...electGaps).toFixed(0)} ms  (goal <= 200 ms)`);
console.log(etcdTimes.length ? line('etcd', etcdTimes) + `  (ours/etcd p50 ${(pct(times, 50) / pct(etcdTimes, 50)).toFixed(2)}x)` : 'etcd     not installed (apt-get install etcd-server)');
