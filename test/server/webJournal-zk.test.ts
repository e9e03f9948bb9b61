/**
 * The Journal/HA page in the ZooKeeper mode (alluxio.zookeeper.enabled, alluxio.master.journal.type=UFS):
 * two masters elected through a real ZooKeeper share one journal folder; kill -9 of the leader;
 * the new leader's /api/v1/master/webui_journal shows the election it won, the leader change
 * (old and new leader by rpc address, epochs as terms) and no quorum; the page shows them. Then
 * ZooKeeper stops and starts again: the leader stands down and wins a new epoch; its
 * Master.JournalLeaderChanges equals the leader events it recorded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster, getJson, waitFor } from '../harness/cluster.js';
import { ZooKeeperServers, zooKeeperModeProps, zooKeeperSkipReason } from '../harness/zookeeper.js';

const skip = zooKeeperSkipReason();

test('ZooKeeper mode: the new leader shows the election it won and the leader change with epochs', { skip }, async (t) => {
  const zk = await ZooKeeperServers.start({ members: 1 });
  const c = new TestCluster({ masters: 2, workers: 0, sharedJournal: true, props: zooKeeperModeProps(zk, 2000) });
  t.after(async () => { await c.stop(); await zk.destroy(); });
  await c.setup();
  await c.start();
  const rpc = (i: number) => `localhost:${c.masterPorts[i]!.rpc}`;
  const view = (i: number) => getJson(`http://127.0.0.1:${c.masterPorts[i]!.web}/api/v1/master/webui_journal`);
  const leaderChanges = async (i: number): Promise<number> => (await getJson(`http://127.0.0.1:${c.masterPorts[i]!.web}/metrics/json/`)).counters['Master.JournalLeaderChanges']?.count ?? 0;
  const first = await c.waitLeader(20_000);
  const other = 1 - first;
  // The standby has seen the first leader's epoch in the shared folder.
  const before = await waitFor('the standby saw the first leader', async () => {
    const v = await view(other);
    return v.events.some((e: any) => e.kind === 'leader' && e.newLeader === rpc(first)) ? v : false;
  }, 20_000);
  assert.deepEqual([before.isLeader, before.journal, before.journalType, before.members], [false, 'UFS', 'UFS', []]);
  const firstEpoch = before.events.find((e: any) => e.kind === 'leader').term;

  await c.kill('master', first);
  assert.equal(await c.waitLeader(30_000), other);
  const v = await waitFor('the new leader recorded its takeover', async (observe) => {
    const x = await view(other);
    observe(x.events);
    return x.isLeader && x.events.some((e: any) => e.kind === 'leader' && e.newLeader === rpc(other)) ? x : false;
  }, 20_000);
  const won = v.events.find((e: any) => e.kind === 'election');
  const change = v.events.find((e: any) => e.kind === 'leader' && e.newLeader === rpc(other));
  assert.deepEqual([won.newLeader, won.reason, won.term], [rpc(other), 'won', change.term]);
  assert.deepEqual([change.oldLeader, change.newLeader], [rpc(first), rpc(other)]);
  assert.match(change.reason, new RegExp(`^won the ZooKeeper election; took over the shared journal after epoch ${firstEpoch}$`));
  assert.ok(change.term > firstEpoch, `epoch ${change.term} after ${firstEpoch}`);
  assert.equal(v.term, change.term, 'the term shown is the newest epoch');
  assert.ok(v.events.indexOf(change) < v.events.indexOf(won), 'newest first: took over after winning');
  const html = await (await fetch(`http://127.0.0.1:${c.masterPorts[other]!.web}/journal`)).text();
  assert.ok(html.includes(`<td>leader ${rpc(first)} -&gt; ${rpc(other)} in term ${change.term}: won the ZooKeeper election; took over the shared journal after epoch ${firstEpoch}</td>`), html);
  assert.ok(html.includes(`<td>won the ZooKeeper election (epoch ${change.term})</td>`), html);
  assert.ok(html.includes('<th>Epoch</th>'), html);

  // ZooKeeper down: the leader stands down (no leader known: no leader change); back: it wins a
  // new epoch (a leader change: the same master in a later epoch). Master.JournalLeaderChanges
  // counts exactly the leader events this master recorded: first, itself, itself again.
  await zk.stopAll();
  try {
    await waitFor('the leader to stand down', async (observe) => {
      const x = await view(other);
      observe(x.events[0]);
      return x.events.some((e: any) => e.kind === 'step-down');
    }, 20_000);
  } finally {
    await zk.startAll();
  }
  const back = await waitFor('a new epoch led by the survivor', async (observe) => {
    const x = await view(other);
    observe(x.events[0]);
    return x.isLeader && x.term > change.term ? x : false;
  }, 60_000).catch((e: Error) => { throw new Error(`${e.message}\n${c.logs()}`); });
  const seen = back.events.filter((e: any) => e.kind === 'leader');
  assert.deepEqual(seen.map((e: any) => [e.newLeader, e.term]), [[rpc(other), back.term], [rpc(other), change.term], [rpc(first), firstEpoch]], JSON.stringify(back.events));
  assert.equal(await leaderChanges(other), seen.length, `Master.JournalLeaderChanges against the leader events ${JSON.stringify(seen)}`);
});
