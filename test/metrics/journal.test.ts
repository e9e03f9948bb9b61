/**
 * The journal's metrics on a real 3-master embedded-journal cluster: one master says it leads,
 * every master's applied index reaches the leader's commit index (apply lag 0), every master
 * times its journal flushes and writes snapshots, and a leadership transfer is counted by every
 * master; `fsadmin report metrics` follows the new leader. With
 * alluxio.standby.master.web.enabled=false a standby serves no Metrics page but its endpoints.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster, waitFor, getJson } from '../harness/cluster.js';
import { loadConfig } from '../../src/conf/index.js';
import { MasterClient } from '../../src/client/masterClient.js';

const metricsOf = (c: TestCluster, i: number) => getJson(`http://127.0.0.1:${c.masterPorts[i]!.web}/metrics/json/`);
const gauge = (j: any, n: string): number => j.gauges[n]?.value;
const counter = (j: any, n: string): number => j.counters[n]?.count;

test('journal metrics on 3 masters: leader, indexes and lag, flushes, snapshots, leader changes; standbys serve the endpoints, not the page', async (t) => {
  const c = new TestCluster({ masters: 3, workers: 0, props: { 'alluxio.master.journal.checkpoint.period.entries': '10', 'alluxio.standby.master.web.enabled': 'false' } });
  t.after(() => c.stop());
  await c.setup();
  await c.start();
  const leader = await c.waitLeader();
  const client = MasterClient.fromConf(loadConfig({ env: c.env, home: process.cwd() }));
  t.after(() => client.close());
  for (let i = 0; i < 25; i++) await client.call('file', 'CreateFile', { path: `/j/f${i}`, recursive: true, blockSizeBytes: 1 << 20, writeType: 'MUST_CACHE', opId: `j${i}` });

  const lj = await metricsOf(c, leader);
  assert.equal(counter(lj, 'Master.FilesCreated'), 25);
  const commit = gauge(lj, 'Master.JournalCommitIndex');
  assert.ok(commit >= 25, `commit index ${commit}`);
  const before: number[] = [];
  for (let i = 0; i < 3; i++) {
    const j = await waitFor(`master ${i} to apply up to ${commit} and write a snapshot`, async (observe) => {
      const m = await metricsOf(c, i);
      observe({ applied: gauge(m, 'Master.JournalLastAppliedCommitIndex'), lag: gauge(m, 'Master.JournalApplyLag'), snapshots: counter(m, 'Master.JournalSnapshots') });
      return gauge(m, 'Master.JournalLastAppliedCommitIndex') >= commit && gauge(m, 'Master.JournalApplyLag') === 0 && counter(m, 'Master.JournalSnapshots') >= 1 ? m : false;
    }, 30_000);
    assert.equal(gauge(j, 'Master.IsLeader'), i === leader ? 1 : 0, `master ${i}`);
    assert.ok(j.timers['Master.JournalFlushTimer'].count > 0, `master ${i} times its flushes`);
    assert.ok(counter(j, 'Master.JournalLeaderChanges') >= 1, `master ${i} saw the first leader`);
    before.push(counter(j, 'Master.JournalLeaderChanges'));
  }

  for (let i = 0; i < 3; i++) {
    const status = async (p: string) => (await fetch(`http://127.0.0.1:${c.masterPorts[i]!.web}${p}`, { signal: AbortSignal.timeout(10_000) })).status;
    assert.equal(await status('/metrics'), i === leader ? 200 : 503, `master ${i}'s Metrics page`);
    for (const p of ['/metrics/json/', '/metrics/prometheus/', '/api/v1/master/webui_metrics']) assert.equal(await status(p), 200, `master ${i} ${p}`);
  }

  const to = (leader + 1) % 3;
  const elect = await c.cli(['fsadmin', 'journal', 'quorum', 'elect', '--address', `localhost:${c.masterPorts[to]!.journal}`]);
  assert.equal(elect.code, 0, elect.stderr + c.logs());
  for (let i = 0; i < 3; i++) {
    await waitFor(`master ${i} to count the leader change`, async (observe) => {
      const m = await metricsOf(c, i);
      observe(counter(m, 'Master.JournalLeaderChanges'));
      return counter(m, 'Master.JournalLeaderChanges') > before[i]! && gauge(m, 'Master.IsLeader') === (i === to ? 1 : 0);
    }, 30_000);
  }
  const r = await c.cli(['fsadmin', 'report', 'metrics']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.split('\n').includes('Master.IsLeader  (Type: GAUGE, Value: 1)'), r.stdout);
});
