/**
 * A block committed while its worker (re-)registers must get its location. Found by the rolling
 * restart e2e test: after a leadership transfer, an acknowledged file stayed unreadable ("no
 * worker holds the block") and never persisted. CommitBlock on a new leader took the worker's
 * record before journaling the commit; the worker, told to register by that leader, registered
 * while the commit was being journaled (the block still "pending" then, so no location), and the
 * commit then added the location to nobody.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { TestCluster } from '../harness/cluster.js';
import { loadConfig } from '../../src/conf/index.js';
import { FileSystem } from '../../src/client/fileSystem.js';

test('CommitBlock and RegisterWorker of the same worker interleaved: the block has its location', { timeout: 120_000 }, async (t) => {
  const c = await (await new TestCluster({ masters: 1, workers: 0 }).setup()).start();
  t.after(() => c.stop());
  const fs = new FileSystem(loadConfig({ env: c.env, home: process.cwd() }));
  t.after(() => fs.close());
  const m = fs.master;
  await m.call('file', 'CreateFile', { path: '/f', recursive: true, blockSizeBytes: 1024, writeType: 'MUST_CACHE', opId: randomUUID() });
  const { blockId } = await m.call('file', 'GetNewBlockIdForFile', { path: '/f', opId: randomUUID() });
  const address = { host: 'w1', rpcPort: 1, webPort: 2 };
  // The commit first (the master does not know worker 7 yet), the registration right behind it.
  const commit = m.call('blockWorker', 'CommitBlock', { workerId: 7, blockId, length: 10, tierAlias: 'MEM' });
  const reg = m.call('blockWorker', 'RegisterWorker', {
    address, previousWorkerId: 7, tiers: [], blocks: [{ alias: 'MEM', blockIds: [blockId], lengths: [10] }], startTimeMs: Date.now(), pinnedBlockIds: [],
  });
  const [, r] = await Promise.all([commit, reg]);
  assert.equal(Number(r.workerId), 7);
  await m.call('file', 'CompleteFile', { path: '/f', length: 10, persisted: false, asyncPersist: false, tempUfsPath: '', opId: randomUUID() });
  const info = await fs.getStatus('/f');
  assert.deepEqual(info.fileBlockInfos.map((b) => b.blockInfo.locations.map((l) => l.workerId)), [[7]], JSON.stringify(info.fileBlockInfos));
});
