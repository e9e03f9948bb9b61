/**
 * The Journal/HA page in the ZooKeeper mode (alluxio.zookeeper.enabled, alluxio.master.journal.type=UFS):
 * two masters elected through a real ZooKeeper share one journal folder; kill -9 of the leader;
 * the new leader's /api/v1/master/webui_journal shows the election it won, the leader change
 * (old and new leader by rpc address, epochs as terms) and no quorum; the page shows them. Before
 * that, the first leader is stopped (SIGSTOP) until the other leads and resumed: it stands down
 * and follows. On every master Master.JournalLeaderChanges equals the leader events it recorded.
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
  /** This master's leader events (newest first) as [new leader, term], and its Master.JournalLeaderChanges equal to their number. */
  const countedLeaders = async (i: number): Promise<[string, number][]> => {
    const x = await view(i);
    assert.equal(x.eventsDropped, 0);
    const seen = x.events.filter((e: any) => e.kind === 'leader');
    assert.equal(await leaderChanges(i), seen.length, `master ${i}'s Master.JournalLeaderChanges against its leader events ${JSON.stringify(x.events)}`);
    return seen.map((e: any) => [e.newLeader, e.term]);
  };

  // The leader stops (SIGSTOP) until the other leads, then resumes: it stands down (no leader
  // known to it for a moment: no leader change) and follows the other's epoch.
  await c.kill('master', first, 'SIGSTOP');
  try {
    await waitFor('the other master leads', async () => (await view(other).catch(() => undefined))?.isLeader === true, 30_000);
  } finally {
    await c.kill('master', first, 'SIGCONT');
  }
  const resumed = await waitFor('the resumed master stood down and follows the other', async (observe) => {
    const x = await view(first);
    observe(x.events[0]);
    return !x.isLeader && x.events.some((e: any) => e.kind === 'step-down') && x.events[0]?.kind === 'leader' && x.events[0].newLeader === rpc(other) ? x : false;
  }, 30_000);
  const otherEpoch = resumed.events[0].term;
  assert.ok(otherEpoch > firstEpoch, `epoch ${otherEpoch} after ${firstEpoch}`);
  for (const i of [first, other]) assert.deepEqual(await countedLeaders(i), [[rpc(other), otherEpoch], [rpc(first), firstEpoch]], `master ${i}`);

  // kill -9 of the leader (now the other one): the first takes over again.
  await c.kill('master', other);
  assert.equal(await c.waitLeader(30_000), first);
  const v = await waitFor('the new leader recorded its takeover', async (observe) => {
    const x = await view(first);
    observe(x.events);
    return x.isLeader && x.events.some((e: any) => e.kind === 'leader' && e.newLeader === rpc(first)) ? x : false;
  }, 20_000);
  const won = v.events.find((e: any) => e.kind === 'election');
  const change = v.events.find((e: any) => e.kind === 'leader' && e.newLeader === rpc(first));
  assert.deepEqual([won.newLeader, won.reason, won.term], [rpc(first), 'won', change.term]);
  assert.deepEqual([change.oldLeader, change.newLeader], [rpc(other), rpc(first)]);
  assert.match(change.reason, new RegExp(`^won the ZooKeeper election; took over the shared journal after epoch ${otherEpoch}$`));
  assert.ok(change.term > otherEpoch, `epoch ${change.term} after ${otherEpoch}`);
  assert.equal(v.term, change.term, 'the term shown is the newest epoch');
  assert.ok(v.events.indexOf(change) < v.events.indexOf(won), 'newest first: took over after winning');
  const html = await (await fetch(`http://127.0.0.1:${c.masterPorts[first]!.web}/journal`)).text();
  assert.ok(html.includes(`<td>leader ${rpc(other)} -&gt; ${rpc(first)} in term ${change.term}: won the ZooKeeper election; took over the shared journal after epoch ${otherEpoch}</td>`), html);
  assert.ok(html.includes(`<td>won the ZooKeeper election (epoch ${change.term})</td>`), html);
  assert.ok(html.includes('<th>Epoch</th>'), html);

  assert.deepEqual(await countedLeaders(first), [[rpc(first), change.term], [rpc(other), otherEpoch], [rpc(first), firstEpoch]]);
});
