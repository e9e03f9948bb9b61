/**
 * bench:meta — createFile and getStatus operations per second against one master process
 * (journal fsync on), with 1 and 32 concurrent clients. Prints figures; asserts nothing.
 */
import { TestCluster } from '../test/harness/cluster.js';
import { loadConfig } from '../src/conf/index.js';
import { MasterClient } from '../src/client/masterClient.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

async function measure(label: string, concurrency: number, op: (worker: number, i: number) => Promise<unknown>): Promise<number> {
  const deadline = Date.now() + SECONDS * 1000;
  let done = 0;
  const t0 = Date.now();
  await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
    for (let i = 0; Date.now() < deadline && i < 10_000_000; i++) { await op(w, i); done++; }
  }));
  const rate = done / ((Date.now() - t0) / 1000);
  console.log(`${label.padEnd(34)} ${String(Math.round(rate)).padStart(8)} ops/s  (${done} ops, ${concurrency} clients)`);
  return rate;
}

const c = await (await new TestCluster({ workers: 0 }).setup()).start();
try {
  const conf = loadConfig({ env: c.env, home: process.cwd() });
  // One gRPC channel per simulated client, as separate client processes would have.
  const clients = Array.from({ length: 32 }, () => MasterClient.fromConf(conf));
  const create = (w: number, i: number, tag: string) => clients[w]!.call('file', 'CreateFile', {
    path: `/bench/${tag}/c${w}/f${i}`, recursive: true, blockSizeBytes: 1 << 20, writeType: 'MUST_CACHE', opId: `${tag}-${w}-${i}`,
  });
  console.log(`bench:meta — one master, local journal, fsync on, ${SECONDS}s per case`);
  await measure('createFile, 1 client', 1, (w, i) => create(w, i, 'one'));
  await measure('createFile, 32 clients', 32, (w, i) => create(w, i, 'many'));
  await measure('getStatus, 1 client', 1, (w, i) => clients[w]!.call('file', 'GetStatus', { path: `/bench/many/c${w}/f${i % 100}` }));
  await measure('getStatus, 32 clients', 32, (w, i) => clients[w]!.call('file', 'GetStatus', { path: `/bench/many/c${w}/f${i % 100}` }));
  for (const cl of clients) cl.close();
} finally {
  await c.stop();
}
