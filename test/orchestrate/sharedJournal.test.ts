/** The host side of the ZooKeeper-mode checks (local/sharedJournal.ts): the same-storage probe and the ZooKeeper members. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../src/conf/index.js';
import { ConfigError, UsageError } from '../../src/errors.js';
import { sharedJournalStep } from '../../src/orchestrate/local/sharedJournal.js';
import { freePort } from '../harness/cluster.js';
import { ZooKeeperServers, zooKeeperSkipReason } from '../harness/zookeeper.js';
import { tmpDir } from './helpers.js';

function conf(values: Record<string, string>): Config {
  const get = (k: string) => values[k] ?? '';
  return { get, getList: (k: string) => get(k).split(',').filter(Boolean), getMs: (k: string) => Number(get(k)) } as unknown as Config;
}

test('same storage: a marker written into the folder is seen there and removed; another folder does not see it', async () => {
  const shared = path.join(tmpDir(), 'journal');
  const c = conf({ 'alluxio.master.journal.folder': shared });
  const w = await sharedJournalStep(c, ['write']);
  assert.equal(w.action, 'write');
  assert.ok(w.token);
  assert.deepEqual(await sharedJournalStep(c, ['check', w.token!, 'm1']), { action: 'check', folder: shared, token: w.token });
  const other = tmpDir();
  await assert.rejects(sharedJournalStep(conf({ 'alluxio.master.journal.folder': other }), ['check', w.token!, 'm1']),
    (e: unknown) => e instanceof ConfigError && e.message.includes(`the journal folder ${other} on `) && e.message.includes('is not the storage m1 writes')
      && /storage all of them share/.test(e.hint ?? ''));
  await sharedJournalStep(c, ['remove', w.token!]);
  assert.deepEqual(fs.readdirSync(shared), []);
  await assert.rejects(sharedJournalStep(c, ['check']), UsageError);
});

test('ZooKeeper members: one that does not answer is named with why', async () => {
  const port = await freePort();
  const r = await sharedJournalStep(conf({ 'alluxio.zookeeper.address': `127.0.0.1:${port}`, 'alluxio.zookeeper.connection.timeout': '1000' }), ['zk']);
  assert.equal(r.members!.length, 1);
  assert.equal(r.members![0]!.ok, false);
  assert.match(r.members![0]!.error!, /no ZooKeeper session within 1000 ms/);
});

test('ZooKeeper members: a serving ZooKeeper answers (a session opens)', { skip: zooKeeperSkipReason() }, async () => {
  const zk = await ZooKeeperServers.start();
  try {
    const r = await sharedJournalStep(conf({ 'alluxio.zookeeper.address': zk.connectString(), 'alluxio.zookeeper.connection.timeout': '10000' }), ['zk']);
    assert.deepEqual(r.members!.map((m) => [m.address, m.ok]), [[zk.connectString(), true]]);
  } finally {
    await zk.destroy();
  }
});
