/**
 * A block written short-circuit (src/client/fileSystem.ts FileOutStream: its bytes only in the
 * temp block file the client has open) whose worker fails mid-block, retried on a worker that is
 * NOT on the client's host: the bytes are read back from the open temp file (LocalBlockWriter
 * .readBack), sent over the data channel and kept in memory from then on, as for any remote block.
 *
 * On loopback every worker is local to the client; worker 1 here advertises 127.0.0.2, which
 * reaches the same host (all of 127/8 is routed to lo) but is no address of any interface, so the
 * client takes it as remote (ShortCircuit.isLocal): the test checks it really went over the
 * network (worker 1's Worker.BytesWrittenRemote grows by the bytes moved, its short-circuit
 * counters do not). Worker 0 (localhost) is killed (SIGKILL) or stopped (SIGTERM, drain bound
 * passed) in the middle of the second block of a MUST_CACHE and a CACHE_THROUGH file; the file
 * reads back byte-identical, the cut block and those after it are on worker 1 only, and the
 * restarted worker 0 holds no part of the cut block. Then (3 workers) the remote worker the file
 * moved to is killed mid-block in turn: the bytes the client kept of that block go to the third
 * one. The writer refills one buffer for every write, as copyFromLocal does.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { TestCluster, getJson } from '../harness/cluster.js';
import { loadConfig } from '../../src/conf/index.js';
import { FileSystem, type FileOutStream, type WriteType } from '../../src/client/fileSystem.js';

const B = 1024 * 1024;
const PIECE = 256 * 1024;
const REMOTE = '127.0.0.2';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const c = new TestCluster({
  workers: 2, workerHosts: ['localhost', REMOTE], blockSize: '1MB', ramdiskSize: '64MB',
  // A dead worker 0 stays LIVE (its blocks are waited for, not reported lost); a drain ends soon.
  props: { 'alluxio.master.worker.timeout': '60s', 'alluxio.worker.network.shutdown.timeout': '1s' },
});
let client: FileSystem;
before(async () => {
  await c.setup(); await c.start();
  client = new FileSystem(loadConfig({ env: c.env, home: process.cwd(), flags: {} }));
});
after(async () => {
  client?.close();
  await c.stop();
});

const info = (i: number, cl = c) => getJson(`http://127.0.0.1:${cl.workerPorts[i]!.web}/api/v1/worker/info`);
const remoteBytes = async (i: number, cl = c): Promise<number> => (await getJson(`http://127.0.0.1:${cl.workerPorts[i]!.web}/metrics/json/`)).counters['Worker.BytesWrittenRemote']?.count ?? 0;

/** Writes piece by piece of `data` through one buffer refilled for each write (the caller may reuse it once write() resolved, also across a retry). */
function sender(out: FileOutStream, data: Buffer): (off: number) => Promise<void> {
  const buf = Buffer.alloc(PIECE);
  return async (off) => {
    const n = data.copy(buf, 0, off, off + PIECE);
    await out.write(buf.subarray(0, n));
    buf.fill(0xee);
  };
}

test('the client takes worker 0 as local and worker 1 (127.0.0.2) as remote', async () => {
  const workers = await client.workerInfoList();
  const byHost = new Map(workers.map((w) => [w.address.host, w]));
  assert.deepEqual([...byHost.keys()].sort(), [REMOTE, 'localhost']);
  assert.equal(await client.shortCircuit.isLocal('localhost'), true);
  assert.equal(await client.shortCircuit.isLocal(REMOTE), false);
  assert.equal((await client.pickWorker()).address.host, 'localhost', 'a write goes to the local worker first');
});

for (const writeType of ['MUST_CACHE', 'CACHE_THROUGH'] as WriteType[]) {
  for (const signal of ['SIGKILL', 'SIGTERM'] as NodeJS.Signals[]) {
    test(`${writeType}, worker 0 ${signal} mid short-circuit block: the block is written again on the remote worker from the temp file`, async () => {
      const size = 3 * B + B / 2;
      const cut = B + B / 2; // the middle of the second block
      const data = randomBytes(size);
      const p = `/sc2remote/${writeType}-${signal}`;
      const sc0 = (await info(0)).shortCircuit;
      const sc1 = (await info(1)).shortCircuit;
      const remote1 = await remoteBytes(1);

      const out = await client.createFile(p, { writeType, recursive: true, blockSize: B });
      const send = sender(out, data);
      const back: Promise<void>[] = [];
      try {
        assert.equal(out.currentWorker.address.host, 'localhost');
        for (let off = 0; off < cut; off += PIECE) await send(off);
        const now0 = (await info(0)).shortCircuit;
        assert.equal(now0.writes - sc0.writes, 1, 'the first block was committed short-circuit');
        assert.equal(now0.open - sc0.open, 1, 'the second block is being written short-circuit');
        assert.equal((await client.getStatus(p)).completed, false);

        const t0 = Date.now();
        await c.kill('worker', 0, signal); // SIGTERM: the drain waits its bound for the open session, then cancels it
        const down = Date.now() - t0;
        back.push(c.startWorker(0)); // meanwhile: a CACHE_THROUGH replay reads the first block back from it
        for (let off = cut; off < size; off += PIECE) await send(off);
        assert.equal((await client.getStatus(p)).completed, false, 'nothing is complete before close');
        await out.close();
        console.log(`# ${writeType} ${signal}: worker 0 down after ${down} ms; the rest of the file written and closed on the remote worker in ${Date.now() - t0 - down} ms`);
      } catch (e) {
        await out.cancel();
        throw e;
      } finally {
        await Promise.all(back);
      }

      assert.equal(out.currentWorker.address.host, REMOTE, 'the file moved to the remote worker');
      assert.equal(sha(await client.readAll(p)), sha(data), 'every byte');
      const st = await client.getStatus(p);
      assert.equal(st.completed, true);
      assert.equal(st.length, size);
      const blocks = st.fileBlockInfos.map((f) => ({ length: f.blockInfo.length, hosts: f.blockInfo.locations.map((l) => l.workerAddress.host).sort() }));
      assert.deepEqual(blocks, [
        { length: B, hosts: ['localhost'] },
        { length: B, hosts: [REMOTE] }, // the cut block: on the remote worker only, none of it on the restarted worker 0
        { length: B, hosts: [REMOTE] },
        { length: B / 2, hosts: [REMOTE] },
      ]);
      assert.equal(await remoteBytes(1) - remote1, size - B, 'the cut block and the rest went over the network to worker 1');
      const now1 = (await info(1)).shortCircuit;
      assert.equal(now1.writes, sc1.writes, 'worker 1 took no short-circuit write');
      assert.equal(now1.open, 0);
      if (writeType === 'CACHE_THROUGH') {
        assert.equal(sha(fs.readFileSync(path.join(c.ufsDir, 'sc2remote', `${writeType}-${signal}`))), sha(data), 'the UFS copy');
      }
    });
  }
}

test('MUST_CACHE, the local worker SIGKILLed mid-block, then the remote worker the file moved to: the bytes kept of its block are written again on a third worker', async () => {
  const hosts = ['localhost', REMOTE, '127.0.0.3'];
  const c3 = new TestCluster({ workers: 3, workerHosts: hosts, blockSize: '1MB', ramdiskSize: '64MB', props: { 'alluxio.master.worker.timeout': '60s' } });
  let fs3: FileSystem | undefined;
  try {
    await c3.setup(); await c3.start();
    fs3 = new FileSystem(loadConfig({ env: c3.env, home: process.cwd(), flags: {} }));
    const size = 4 * B + B / 2;
    const data = randomBytes(size);
    const p = '/sc2remote/chain';
    const out = await fs3.createFile(p, { writeType: 'MUST_CACHE', recursive: true, blockSize: B });
    const send = sender(out, data);
    const where = () => hosts.indexOf(out.currentWorker.address.host);
    let x = -1;
    try {
      for (let off = 0; off < B + B / 2; off += PIECE) await send(off);
      assert.equal(where(), 0);
      await c3.kill('worker', 0, 'SIGKILL'); // mid block 2, written short-circuit
      for (let off = B + B / 2; off < 2 * B + B / 2; off += PIECE) await send(off);
      x = where();
      assert.ok(x > 0, 'moved to a remote worker');
      await c3.kill('worker', x, 'SIGKILL'); // mid block 3, sent over the data channel: its bytes kept in the client
      for (let off = 2 * B + B / 2; off < size; off += PIECE) await send(off);
      await out.close();
    } catch (e) {
      await out.cancel();
      throw e;
    }
    const y = where();
    assert.ok(y > 0 && y !== x, `moved on to the third worker (${x} -> ${y})`);
    await c3.startWorker(0); // MUST_CACHE: blocks 1 and 2 are on their disks only
    await c3.startWorker(x);
    assert.equal(sha(await fs3.readAll(p)), sha(data), 'every byte');
    const st = await fs3.getStatus(p);
    assert.equal(st.length, size);
    assert.deepEqual(st.fileBlockInfos.map((f) => ({ length: f.blockInfo.length, hosts: f.blockInfo.locations.map((l) => l.workerAddress.host) })), [
      { length: B, hosts: [hosts[0]] }, { length: B, hosts: [hosts[x]] }, { length: B, hosts: [hosts[y]] }, { length: B, hosts: [hosts[y]] }, { length: B / 2, hosts: [hosts[y]] },
    ]);
    assert.equal(await remoteBytes(y, c3), size - 2 * B, 'the cut block and the rest went over the network to the third worker');
  } finally {
    fs3?.close();
    await c3.stop();
  }
});
