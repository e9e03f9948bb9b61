/**
 * A worker whose heartbeat to the master failed (the leader died, or is being replaced) keeps
 * taking block writes from clients; it commits them once a leader answers again. Real processes:
 * 1 master, 1 worker, in-process clients (short-circuit and remote data path).
 *
 * The bug this reproduces (CI, ha.test's multi-block write across a leader kill): a failed
 * heartbeat marked the worker unregistered, and until its next tick re-registered it with the new
 * leader every new block was refused with "worker is not registered with a master yet". A client
 * that opened its next block in that window (a few hundred ms) failed its whole write, although the
 * worker's block commit follows the leader change on its own.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster, waitFor, ROOT } from '../harness/cluster.js';
import { loadConfig } from '../../src/conf/index.js';
import { FileSystem } from '../../src/client/fileSystem.js';

const BLOCK = 64 * 1024;
// The worker gives up on a master after 2 s (its heartbeat then fails) and tries again only at its
// next heartbeat, 5 s later: a deterministic window in which the master is back but the worker has
// not registered with it yet. The clients keep the long default retry window.
const c = new TestCluster({ workers: 1, blockSize: '64KB', props: { 'alluxio.user.rpc.retry.max.duration': '2s', 'alluxio.worker.block.heartbeat.interval': '5s' } });
const clients: FileSystem[] = [];
const newClient = (shortCircuit: boolean) => {
  const f = new FileSystem(loadConfig({ env: c.env, home: ROOT, flags: { 'alluxio.user.short.circuit.enabled': String(shortCircuit), 'alluxio.user.rpc.retry.max.duration': '60s' } }));
  clients.push(f);
  return f;
};
const heartbeatFailures = () => (c.logOf('worker').match(/Heartbeat to master failed/g) ?? []).length;

before(async () => { await (await c.setup()).start(); });
after(async () => { for (const f of clients) f.close(); await c.stop(); });

function content(seed: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let off = 0; off + 4 <= size; off += 4) b.writeUInt32LE((off * 2654435761 + seed) >>> 0, off);
  return b;
}

for (const shortCircuit of [true, false]) {
  test(`${shortCircuit ? 'short-circuit' : 'remote'} write: a new block is taken by a worker whose heartbeat failed, before it registered again`, async () => {
    const afs = newClient(shortCircuit);
    const p = `/outage-${shortCircuit ? 'local' : 'remote'}.bin`;
    const data = content(shortCircuit ? 1 : 2, 2 * BLOCK + 100);
    const out = await afs.createFile(p, { writeType: 'MUST_CACHE' });
    await out.write(data.subarray(0, BLOCK)); // the first block, while the master is up

    const failedBefore = heartbeatFailures();
    await c.kill('master', 0, 'SIGKILL');
    await waitFor('the worker to see its heartbeat fail', () => heartbeatFailures() > failedBefore, 30_000);
    const masterLogBefore = c.logOf('master').length;
    await c.startMaster(0);

    // The master is back; the worker registers again only at its next heartbeat. Its new blocks
    // are taken meanwhile, and their commits reach the new master.
    await out.write(data.subarray(BLOCK));
    await out.close();
    // The window was real: the restarted master had not heard from the worker yet.
    assert.doesNotMatch(c.logOf('master').slice(masterLogBefore), /Registered worker/, 'the worker registered before the write: the test proves nothing');
    const back = await afs.readAll(p);
    assert.ok(back.equals(data), `read back ${back.length} bytes, wrote ${data.length}; equal: ${back.equals(data)}`);
  });
}
