/**
 * A block written short-circuit keeps no copy in the client (src/client/fileSystem.ts
 * FileOutStream): when its worker dies mid-block, the retry on the other worker reads the bytes
 * back from the temp block file the client still has open (LocalBlockWriter.readBack). Files cut
 * inside a block, at a block boundary and in the first write; every byte checked (sha256).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { TestCluster, getJson } from '../harness/cluster.js';
import { loadConfig } from '../../src/conf/index.js';
import { FileSystem } from '../../src/client/fileSystem.js';

const B = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let c: TestCluster;
let client: FileSystem;
before(async () => {
  c = await (await new TestCluster({ workers: 2, blockSize: '1MB', ramdiskSize: '64MB', props: { 'alluxio.master.worker.timeout': '60s' } }).setup()).start();
  client = new FileSystem(loadConfig({ env: c.env, home: process.cwd(), flags: {} }));
});
after(async () => {
  client?.close();
  await c?.stop();
});

test('a short-circuit block whose worker is SIGKILLed mid-write is written again on the other worker from its temp file', async () => {
  const indexOf = (port: number) => c.workerPorts.findIndex((p) => p.rpc === port);
  const cases = [
    { name: 'inside the second block', size: 3 * B + 1, first: B + B / 2 + 7 },
    { name: 'at a block boundary', size: 2 * B, first: B },
    { name: 'inside the first write', size: B - 1, first: 300_001 },
  ];
  for (const { name, size, first } of cases) {
    const data = randomBytes(size);
    const p = `/retry/${first}`;
    const out = await client.createFile(p, { writeType: 'MUST_CACHE' });
    await out.write(data.subarray(0, first));
    const x = indexOf(out.currentWorker.address.rpcPort);
    const scWrites = async (i: number) => (await getJson(`http://127.0.0.1:${c.workerPorts[i]!.web}/api/v1/worker/info`)).shortCircuit.writes;
    const otherBefore = await scWrites(1 - x);
    await c.kill('worker', x, 'SIGKILL');
    try {
      await out.write(data.subarray(first));
      await out.close();
    } catch (e) {
      await out.cancel();
      throw e;
    }
    assert.equal(indexOf(out.currentWorker.address.rpcPort), 1 - x, `${name}: the file moved to the other worker`);
    assert.ok((await scWrites(1 - x)) - otherBefore >= 1, `${name}: the other worker took blocks short-circuit`);
    await c.startWorker(x); // blocks acknowledged before the kill are on its disk only (MUST_CACHE)
    assert.equal(sha(await client.readAll(p)), sha(data), `${name}: every byte`);
    assert.equal((await client.getStatus(p)).length, size);
  }
});
