/**
 * bench:meta — metadata operations per second, fsync on.
 *  1. One master (local journal): createFile and getStatus with 1 and 32 concurrent clients.
 *  2. Three masters (embedded Raft journal) next to etcd 3.4 (3 members, puts of ~100 bytes through
 *     its v3 JSON gateway) and ZooKeeper 3.8 (3-member ensemble, creates of ~100 bytes), all on
 *     loopback in the same run, with 1 and 64 requests in flight. Prints figures and ratios.
 */
import { TestCluster } from '../test/harness/cluster.js';
import { loadConfig } from '../src/conf/index.js';
import { MasterClient } from '../src/client/masterClient.js';
import { EtcdCluster, ensureEtcd } from './etcd.js';
import { ZooKeeperEnsemble, ensureZooKeeper, zkCreate } from './zookeeper.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

async function measure(label: string, concurrency: number, op: (worker: number, i: number) => Promise<unknown>): Promise<number> {
  const deadline = Date.now() + SECONDS * 1000;
  let done = 0;
  const t0 = Date.now();
  await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
    for (let i = 0; Date.now() < deadline && i < 10_000_000; i++) { await op(w, i); done++; }
  }));
  const rate = done / ((Date.now() - t0) / 1000);
  console.log(`${label.padEnd(40)} ${String(Math.round(rate)).padStart(8)} ops/s  (${done} ops, ${concurrency} in flight)`);
  return rate;
}

async function masters(n: number, concurrencies: number[], withStatus: boolean): Promise<number[]> {
  const c = await (await new TestCluster({ masters: n, workers: 0 }).setup()).start();
  try {
    const conf = loadConfig({ env: c.env, home: process.cwd() });
    const clients = Array.from({ length: 32 }, () => MasterClient.fromConf(conf));
    const create = (w: number, i: number, tag: string) => clients[w % clients.length]!.call('file', 'CreateFile', {
      path: `/bench/${tag}/c${w}/f${i}`, recursive: true, blockSizeBytes: 1 << 20, writeType: 'MUST_CACHE', opId: `${tag}-${w}-${i}`,
    });
    const rates: number[] = [];
    for (const k of concurrencies) rates.push(await measure(`createFile, ${n} master(s)`, k, (w, i) => create(w, i, `k${k}`)));
    if (withStatus) {
      const k = concurrencies.at(-1)!;
      for (const q of [1, k]) await measure(`getStatus, ${n} master(s)`, q, (w, i) => clients[w % clients.length]!.call('file', 'GetStatus', { path: `/bench/k${k}/c${w}/f${i % 100}` }));
    }
    for (const cl of clients) cl.close();
    return rates;
  } finally {
    await c.stop();
  }
}

console.log(`bench:meta — fsync on, ${SECONDS}s per case, everything on loopback`);
await masters(1, [1, 32], true);

const FLIGHT = [1, 64];
const ours = await masters(3, FLIGHT, false);
const value = Buffer.alloc(100, 120);
let etcd: number[] | undefined;
if (ensureEtcd()) {
  const e = await EtcdCluster.start(3);
  try {
    etcd = [];
    for (const k of FLIGHT) etcd.push(await measure('etcd put (3 members)', k, (w, i) => e.put(`/bench/k${k}/c${w}/f${i}`, value.toString())));
  } finally { await e.stop(); }
} else console.log('etcd: not installed (apt-get install etcd-server)');
let zk: number[] | undefined;
if (ensureZooKeeper()) {
  const z = await ZooKeeperEnsemble.start(3);
  try {
    const clients = await Promise.all(Array.from({ length: 8 }, () => z.client()));
    await zkCreate(clients[0]!, '/bench', Buffer.alloc(0));
    zk = [];
    for (const k of FLIGHT) {
      await zkCreate(clients[0]!, `/bench/k${k}`, Buffer.alloc(0));
      zk.push(await measure('ZooKeeper create (3 members)', k, (w, i) => zkCreate(clients[w % clients.length]!, `/bench/k${k}/c${w}_${i}`, value)));
    }
    for (const c of clients) c.close();
  } finally { await z.stop(); }
} else console.log('ZooKeeper: not installed (apt-get install zookeeper)');

for (let i = 0; i < FLIGHT.length; i++) {
  const best = Math.max(etcd?.[i] ?? 0, zk?.[i] ?? 0);
  console.log(`${FLIGHT[i]} in flight: ours ${Math.round(ours[i]!)}/s` +
    (etcd ? `, etcd ${Math.round(etcd[i]!)}/s (${(ours[i]! / etcd[i]!).toFixed(2)}x)` : '') +
    (zk ? `, ZooKeeper ${Math.round(zk[i]!)}/s (${(ours[i]! / zk[i]!).toFixed(2)}x)` : '') +
    (best ? `; vs the better: ${(ours[i]! / best).toFixed(2)}x (goal >= 1)` : ''));
}
