/**
 * Workers joining and leaving (issue #12, requirement 4), real processes: a worker added to a
 * running cluster registers and takes new writes; a stopped worker is LOST in `fsadmin report`
 * after alluxio.master.worker.timeout; reads of its blocks fall back to the UFS for persisted
 * files and fail at once with BlockLostError naming the file, the block and the worker for
 * MUST_CACHE files, both before the master marks it LOST and after; restarted with its
 * storage, it re-registers with its id and blocks and the MUST_CACHE file reads again.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster, waitFor, ROOT } from '../harness/cluster.js';
import { loadConfig } from '../../src/conf/index.js';
import { FileSystem, type WriteType, type FileInfo } from '../../src/client/fileSystem.js';
import { BlockLostError } from '../../src/errors.js';

/** Deterministic bytes for file `i`. */
function content(i: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let off = 0, x = i * 7919 + 1; off < size; off += 4) { x = (x * 1103515245 + 12345) >>> 0; b.writeUInt32LE(x, off); }
  return b;
}

const SIZE = 1024 * 1024 + 4096; // two blocks of the harness's 1 MB block size

// The timeout leaves the checks made while the stopped worker is still LIVE ample time (they are
// a few calls); the test checks afterwards that it was indeed still LIVE. A read of a block whose
// holder does not answer waits for it to come back (a restart) for at most
// alluxio.user.block.read.retry.max.duration, then fails naming it: 1s here, well within the 10s.
const c = new TestCluster({
  workers: 2,
  props: { 'alluxio.master.worker.timeout': '10s', 'alluxio.master.lost.worker.detection.interval': '200ms', 'alluxio.user.block.read.retry.max.duration': '1s' },
});
let afs: FileSystem;

before(async () => {
  await c.setup();
  await c.startMaster(0);
  await c.startWorker(0); // only worker A at first: every block written now lands on it
  afs = new FileSystem(loadConfig({ env: c.env, home: ROOT }));
});
after(async () => { afs?.close(); await c.stop(); });

async function write(p: string, data: Buffer, writeType: WriteType): Promise<FileInfo> {
  const out = await afs.createFile(p, { writeType, recursive: true });
  await out.write(data);
  return out.close();
}

/** `fsadmin report --json`'s workers, by rpc port. */
async function reportedStates(): Promise<Map<number, { state: string; id: number }>> {
  const r = await c.cli(['fsadmin', 'report', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const workers: any[] = JSON.parse(r.stdout).workers;
  return new Map(workers.map((w) => [Number(String(w.address).split(':')[1]), { state: w.state, id: w.id }]));
}

/** The exact error a read of the MUST_CACHE file gives while worker A (id `id`) is down. */
function expectedMessage(info: FileInfo, why: string): string {
  const b = info.fileBlockInfos[0]!.blockInfo.blockId;
  return `Block ${b} of "/lost/must" cannot be read: the file is not persisted to the UFS (NOT_PERSISTED) and its only copy is on worker localhost:${c.workerPorts[0]!.rpc} (worker id ${workerAId}), ${why}`;
}
let workerAId = 0;

test('workers join, leave and come back: fallback reads and the clear error for cached-only data', async () => {
  const through = content(1, SIZE), must = content(2, SIZE), later = content(3, SIZE);
  await write('/lost/through', through, 'CACHE_THROUGH');
  const mustInfo = await write('/lost/must', must, 'MUST_CACHE');
  const aPort = c.workerPorts[0]!.rpc, bPort = c.workerPorts[1]!.rpc;
  for (const p of ['/lost/through', '/lost/must']) {
    const st = await afs.getStatus(p);
    assert.deepEqual(st.fileBlockInfos.map((f) => f.blockInfo.locations.map((l) => l.workerAddress.rpcPort)), [[aPort], [aPort]], `${p} cached on A only`);
  }
  workerAId = (await reportedStates()).get(aPort)!.id;

  // Adding: worker B joins the running cluster, registers and takes new writes (it has the most free space).
  await c.startWorker(1);
  assert.equal((await reportedStates()).get(bPort)?.state, 'LIVE');
  await waitFor('A to report its used space', async () => (await afs.workerInfoList()).find((w) => w.address.rpcPort === aPort)!.usedBytes > 0);
  const laterInfo = await write('/lost/later', later, 'MUST_CACHE');
  assert.deepEqual(laterInfo.fileBlockInfos.length, 2);
  const laterLocs = (await afs.getStatus('/lost/later')).fileBlockInfos.map((f) => f.blockInfo.locations.map((l) => l.workerAddress.rpcPort));
  assert.deepEqual(laterLocs, [[bPort], [bPort]], 'a new write lands on the new worker');

  // Removing: stop A. Before the master marks it LOST (it is still LIVE there) ...
  await c.kill('worker', 0);
  const stateOfA = async () => (await afs.workerInfoList(true)).find((w) => w.address.rpcPort === aPort)?.state;
  assert.equal(await stateOfA(), 'LIVE', 'A is still LIVE in the master right after it stopped');
  assert.ok(Buffer.from(await afs.readAll('/lost/through', 'NO_CACHE')).equals(through), 'CACHE_THROUGH file read from the UFS');
  await assert.rejects(afs.readAll('/lost/must'), (e: unknown) => {
    assert.ok(e instanceof BlockLostError, String(e));
    assert.equal(e.message, expectedMessage(mustInfo, 'which does not answer (the master still lists it as LIVE)'));
    assert.equal(e.hint, `restart that worker with its storage (alluxio-start.sh worker on localhost): its blocks are still on its disk and it re-registers with them; if its disk is gone, the data of "/lost/must" is lost`);
    return true;
  });
  // The CLI says the same (Error: / Hint: lines, exit 1).
  const cat = await c.cli(['fs', 'cat', '/lost/must']);
  assert.equal(cat.code, 1);
  assert.match(cat.stderr, /^Error: Block \d+ of "\/lost\/must" cannot be read: .* which does not answer/m);
  assert.match(cat.stderr, /^Hint: restart that worker with its storage/m);
  assert.equal(await stateOfA(), 'LIVE', 'all of the above happened before the master marked A LOST');

  // ... and after: fsadmin report shows it LOST, the same reads behave the same.
  await waitFor('A to be LOST in fsadmin report', async () => (await reportedStates()).get(aPort)?.state === 'LOST');
  const readBack = await afs.readAll('/lost/through'); // CACHE: read from the UFS through B, cached there again
  assert.ok(readBack.equals(through), 'CACHE_THROUGH file read from the UFS after A is LOST');
  await waitFor('the UFS read to be cached on B', async () =>
    (await afs.getStatus('/lost/through')).fileBlockInfos.every((f) => f.blockInfo.locations.some((l) => l.workerAddress.rpcPort === bPort)));
  await assert.rejects(afs.readAll('/lost/must'), (e: unknown) => {
    assert.ok(e instanceof BlockLostError, String(e));
    assert.equal(e.message, expectedMessage(mustInfo, 'which the master marked LOST (no heartbeat within alluxio.master.worker.timeout)'));
    return true;
  });
  assert.ok((await afs.readAll('/lost/later')).equals(later), 'data on the live worker still reads');

  // Back: A restarts with its storage, re-registers with its id and blocks; the MUST_CACHE file reads again.
  await c.startWorker(0);
  const back = (await reportedStates()).get(aPort);
  assert.deepEqual(back, { state: 'LIVE', id: workerAId });
  assert.ok((await afs.readAll('/lost/must')).equals(must), 'MUST_CACHE file readable again');

  // A frozen worker (accepts TCP connections, never answers) is treated the same, not waited for
  // until the OS gives up: a new connection has a deadline (WORKER_CONNECT_TIMEOUT_MS). The CLI is
  // a new process: no connection to B yet (grpc-js shares connections within a process).
  await c.kill('worker', 1, 'SIGSTOP');
  try {
    const frozen = await c.cli(['fs', 'cat', '/lost/later']);
    assert.equal(frozen.code, 1);
    assert.match(frozen.stderr, new RegExp(`^Error: Block \\d+ of "/lost/later" cannot be read: .* only copy is on worker localhost:${bPort} \\(worker id \\d+\\), which does not answer`, 'm'));
  } finally {
    await c.kill('worker', 1, 'SIGCONT');
  }
  assert.deepEqual(c.unexpectedExits, []);
});
