/**
 * bench:failover — 3 masters on loopback with default settings; N times: kill -9 the leader
 * while a client writes, and measure from the kill to the first acknowledged write on the new
 * leader. Prints p50, p99 and max. (etcd's figure for the same measure is taken separately; see
 * docs/benchmarks.md.)
 */
import { TestCluster } from '../test/harness/cluster.js';
import { loadConfig } from '../src/conf/index.js';
import { FileSystem } from '../src/client/fileSystem.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!; };

const c = await (await new TestCluster({ masters: 3, workers: 0, props: {} }).setup()).start();
const fs = new FileSystem(loadConfig({ env: c.env, home: process.cwd() }));
const times: number[] = [];
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
  console.log(`bench:failover — 3 masters, default election timeout, ${ROUNDS} rounds`);
  console.log(`kill -9 to first acknowledged write: p50 ${pct(times, 50).toFixed(0)} ms, p99 ${pct(times, 99).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms  (goal p50 <= 1000, p99 <= 2000)`);
} finally {
  fs.close();
  await c.stop();
}
