/**
 * Finding the leader through ZooKeeper (a real one, test/harness/zookeeper.ts): with
 * alluxio.zookeeper.enabled properties, with a zk@ URI authority (";" and "," lists) that wins
 * over the properties, and the error naming the ensemble when ZooKeeper is unreachable.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { protos, unary, bindServer, CHANNEL_OPTIONS } from '../../src/rpc.js';
import { MasterClient } from '../../src/client/masterClient.js';
import { parseAlluxioUri, authorityOverrides } from '../../src/client/uri.js';
import { ZkElection } from '../../src/journal/zk/election.js';
import { ZooKeeperServers, zooKeeperSkipReason } from '../harness/zookeeper.js';
import { freePort } from '../harness/cluster.js';
import { waitFor } from '../harness/wait.js';
import { load } from '../conf/helpers.js';

const skip = zooKeeperSkipReason();
let zk: ZooKeeperServers;
let leader: { server: grpc.Server; addr: string };
let election: ZkElection;

before(async () => {
  if (skip) return;
  zk = await ZooKeeperServers.start({ members: 1 });
  const s = new grpc.Server(CHANNEL_OPTIONS);
  s.addService(protos().meta.MetaMasterClientService.service as grpc.ServiceDefinition, {
    GetMasterInfo: unary(async () => ({ isLeader: true })),
  });
  leader = { server: s, addr: `127.0.0.1:${await bindServer(s, '127.0.0.1', 0)}` };
  election = new ZkElection({ ensemble: zk.connectString(), electionPath: '/alluxio/election', leaderPath: '/alluxio/leader', sessionTimeoutMs: 3000, connectionTimeoutMs: 2000, policy: 'SESSION', address: leader.addr });
  await election.start();
  await waitFor('the master to lead and publish', async () => election.isLeader() && (await election.leaderAddress()) === leader.addr);
});

after(async () => {
  await election?.close();
  leader?.server.forceShutdown();
  await zk?.destroy();
});

/** A configuration naming no live master (rpc.addresses is a port nobody serves). */
async function site(extra: string): Promise<string> {
  return [`alluxio.master.rpc.addresses=127.0.0.1:${await freePort()}`, 'alluxio.master.journal.type=UFS', 'alluxio.user.rpc.retry.max.duration=3s',
    'alluxio.zookeeper.connection.timeout=1s', extra].join('\n');
}

test('alluxio.zookeeper.enabled: the client finds the leader ZooKeeper names', { skip }, async () => {
  const { conf } = load(await site(`alluxio.zookeeper.enabled=true\nalluxio.zookeeper.address=${zk.connectString()}`));
  const mc = MasterClient.fromConf(conf);
  try {
    assert.equal(await mc.findLeader(), leader.addr);
  } finally { mc.close(); }
});

for (const sep of [';', ',']) {
  test(`a zk@ authority ("${sep}" list) wins over the properties`, { skip }, async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const { conf } = load(await site(`alluxio.zookeeper.enabled=false\nalluxio.zookeeper.address=${dead}`));
    const uri = parseAlluxioUri(`alluxio://zk@${dead}${sep}${zk.connectString()}/some/file`);
    const mc = MasterClient.fromConf(conf.with(authorityOverrides(uri.authority), 'URI_AUTHORITY'));
    try {
      assert.equal(await mc.findLeader(), leader.addr);
      assert.equal(uri.path, '/some/file');
    } finally { mc.close(); }
  });
}

test('ZooKeeper unreachable: the error names the ensemble', { skip }, async () => {
  const down = `127.0.0.1:${await freePort()},127.0.0.1:${await freePort()}`;
  const { conf } = load(await site(`alluxio.zookeeper.enabled=true\nalluxio.zookeeper.address=${down}`));
  const mc = MasterClient.fromConf(conf);
  try {
    await assert.rejects(mc.findLeader(Date.now() + 1500), (e: Error & { hint?: string }) => {
      assert.match(e.message, new RegExp(`cannot reach ZooKeeper ${down}`));
      assert.match(e.hint ?? '', /ZooKeeper/);
      return true;
    });
  } finally { mc.close(); }
});

test('no leader published: the client says so, and follows a new one when it appears', { skip }, async () => {
  const { conf } = load(await site(`alluxio.zookeeper.enabled=true\nalluxio.zookeeper.address=${zk.connectString()}\nalluxio.zookeeper.leader.path=/other/leader`));
  const mc = MasterClient.fromConf(conf);
  const other = new ZkElection({ ensemble: zk.connectString(), electionPath: '/other/election', leaderPath: '/other/leader', sessionTimeoutMs: 3000, connectionTimeoutMs: 2000, policy: 'SESSION', address: leader.addr });
  try {
    await assert.rejects(mc.findLeader(Date.now() + 500), /names no leader at \/other\/leader/);
    await other.start();
    assert.equal(await waitFor('the client to find the new leader', () => mc.findLeader(Date.now() + 500).catch(() => undefined), 20_000), leader.addr);
  } finally { mc.close(); await other.close(); }
});
