/**
 * The ZooKeeper mode (issue #13): three master processes elected through a real ZooKeeper
 * (standalone, loopback, its own data dir) sharing one journal folder
 * (alluxio.zookeeper.enabled=true, alluxio.master.journal.type=UFS), and one worker.
 * One leader serves and the CLI finds it through ZooKeeper (properties and zk@ authorities);
 * kill -9 of the leader under writes, 10 times: a new leader each time once the killed leader's
 * session expired, no acknowledged write lost; a leader paused past its session timeout
 * (SIGSTOP) while another takes over and writes, then resumed (SIGCONT): it acknowledges nothing,
 * steps down, and every master replays the folder to the same namespace.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CLI, TestCluster, getJson, startNode, waitFor } from '../harness/cluster.js';
import { recordsIn } from '../harness/ufsJournal.js';
import { newestEpoch } from '../../src/journal/ufs/layout.js';
import { killLeaderUnderWrites } from '../harness/failover.js';
import { ZooKeeperServers, zooKeeperModeProps, zooKeeperSkipReason } from '../harness/zookeeper.js';

const skip = zooKeeperSkipReason();
const SESSION_MS = 2000;
let zk: ZooKeeperServers | undefined;
let c: TestCluster;

before(async () => {
  if (skip) return;
  zk = await ZooKeeperServers.start({ members: 1 });
  c = new TestCluster({
    masters: 3, workers: 1, sharedJournal: true,
    props: {
      ...zooKeeperModeProps(zk, SESSION_MS),
      'alluxio.user.rpc.retry.max.duration': '20s',
    },
  });
  await c.setup();
  await c.start();
});

after(async () => {
  if (skip) return;
  await c?.stop();
  await zk?.destroy();
});

function ok(r: { code: number; stdout: string; stderr: string }, code = 0): void {
  assert.equal(r.code, code, `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\n${c.logs()}`);
}
const info = (i: number) => getJson(`http://127.0.0.1:${c.masterPorts[i]!.web}/api/v1/master/info`);

test('one leader serves; standbys name it; the CLI finds it through ZooKeeper (properties and zk@ URIs); quorum commands say they are for the embedded journal', { skip }, async () => {
  const leader = await c.waitLeader(20_000);
  const infos = await Promise.all([0, 1, 2].map(info));
  assert.deepEqual(infos.map((i) => i.isLeader), [0, 1, 2].map((i) => i === leader));
  await waitFor('standbys name the leader', async () => (await Promise.all([0, 1, 2].map(info))).every((i) => i.leaderAddress === `localhost:${c.masterPorts[leader]!.rpc}`), 10_000);

  const l = await c.cli(['fs', 'leader']);
  ok(l);
  assert.equal(l.stdout, 'localhost\n');
  const mi = await c.cli(['fs', 'masterInfo']);
  ok(mi);
  assert.match(mi.stdout, new RegExp(`^Current leader master: localhost:${c.masterPorts[leader]!.rpc}$`, 'm'));
  assert.match(mi.stdout, /^Journal: UFS$/m);
  const report = await c.cli(['fsadmin', 'report']);
  ok(report);
  assert.match(report.stdout, /^ {4}Zookeeper Enabled: true$/m);
  assert.ok(report.stdout.includes(`        ${zk!.connectString()}`), report.stdout);

  ok(await c.cli(['fs', 'mkdir', '/zk-uri']));
  // A zk@ authority wins over the properties: here the properties name no master at all.
  const uri = `alluxio://zk@${zk!.connectString().replace(/,/g, ';')}/zk-uri`;
  const ls = await c.cli(['fs', 'stat', uri, '-Dalluxio.zookeeper.enabled=false', '-Dalluxio.master.rpc.addresses=localhost:1']);
  ok(ls);
  assert.match(ls.stdout, /is a directory path/);

  const q = await c.cli(['fsadmin', 'journal', 'quorum', 'info', '-domain', 'MASTER']);
  assert.notEqual(q.code, 0);
  assert.match(q.stderr, /applies to the embedded journal only/);

  await c.waitLiveWorkers(1, 'worker registered with the leader');
  const r = await c.cli(['runTests', '--operation', 'BASIC']);
  ok(r);
});

test('kill -9 of the leader under writes, 10 times in a row: a new leader once its session expired, no acknowledged write lost', { skip }, async () => {
  const { acked, rounds, failoverMs, writerErrors } = await killLeaderUnderWrites(c, { dir: '/zkha', rounds: 10, leaderTimeoutMs: 10 * SESSION_MS });
  const sorted = [...failoverMs].sort((a, b) => a - b);
  console.log(`ZooKeeper mode, session timeout ${SESSION_MS} ms: kill -9 -> next leader p50 ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms\n${rounds.join('\n')}`);
  assert.ok(acked.length > 100, `only ${acked.length} acknowledged:\n${writerErrors}`);
  const ls = await c.cli(['fs', 'ls', '/zkha']);
  ok(ls);
  const present = new Set(ls.stdout.trim().split('\n').map((l) => l.split(/\s+/).at(-1)));
  assert.deepEqual(acked.filter((p) => !present.has(p)), [], `acknowledged writes lost\n${rounds.join('\n')}\n${c.logs()}`);
});

/** The master that leads among `among` (asked directly), or -1. */
async function leaderAmong(among: readonly number[]): Promise<number> {
  for (const i of among) {
    try { if ((await info(i)).isLeader) return i; } catch { /* down or paused */ }
  }
  return -1;
}

test('fencing: a leader paused past its session timeout while another takes over and writes appends nothing and acknowledges nothing when it resumes', { skip }, async () => {
  const old = await c.waitLeader(20_000);
  ok(await c.cli(['fs', 'mkdir', '/fence/before']));
  const oldEpoch = newestEpoch(c.journalDir);
  const others = [0, 1, 2].filter((i) => i !== old);
  await c.kill('master', old, 'SIGSTOP');
  let resumed = false;
  try {
    // A client that knows only the paused master: its write waits in that master's socket.
    const toPaused = startNode([CLI, 'fs', 'mkdir', '/fence/to-paused', '-Dalluxio.zookeeper.enabled=false',
      `-Dalluxio.master.rpc.addresses=localhost:${c.masterPorts[old]!.rpc}`, '-Dalluxio.user.rpc.retry.max.duration=30s'], c.env, 120_000);
    const next = await waitFor('another master leads', async () => { const i = await leaderAmong(others); return i >= 0 ? i + 1 : false; }, 10 * SESSION_MS) - 1;
    ok(await c.cli(['fs', 'mkdir', '/fence/after']));
    assert.ok(newestEpoch(c.journalDir) > oldEpoch, 'the new leader runs a newer epoch');
    const oldRecords = recordsIn(c.journalDir, oldEpoch);

    await c.kill('master', old, 'SIGCONT');
    resumed = true;
    await waitFor('the resumed master follows the new leader', async () => {
      const i = await info(old);
      return !i.isLeader && i.leaderAddress === `localhost:${c.masterPorts[next]!.rpc}`;
    }, 20_000);
    const r = await toPaused.done;
    assert.equal(recordsIn(c.journalDir, oldEpoch), oldRecords, `the old leader appended to its epoch after it woke\n${c.logOf('master', old)}`);

    const ls = await c.cli(['fs', 'ls', '/fence']);
    ok(ls);
    const names = ls.stdout.trim().split('\n').map((l) => l.split(/\s+/).at(-1));
    assert.ok(names.includes('/fence/before') && names.includes('/fence/after'), ls.stdout);
    // Acknowledged (by whichever master answered it at last) means present; refused means absent.
    assert.equal(names.includes('/fence/to-paused'), r.code === 0, `exit ${r.code}: ${r.stderr}\n${ls.stdout}`);
    await waitFor('every master applied the same history', async () => {
      const is = await Promise.all([0, 1, 2].map(info));
      return is.every((i) => i.journalAppliedIndex === is[next].journalAppliedIndex);
    }, 20_000);
  } finally {
    if (!resumed) await c.kill('master', old, 'SIGCONT');
  }
});

test('ZooKeeper down: the leader stops leading within the session timeout, clients name the ensemble; back: a leader again without a restart', { skip }, async () => {
  const leader = await c.waitLeader(20_000);
  const t0 = Date.now();
  await zk!.stopAll();
  try {
    await waitFor('no master leads', async () => (await leaderAmong([0, 1, 2])) < 0, 10 * SESSION_MS);
    console.log(`ZooKeeper stopped: master ${leader} stopped leading after ${Date.now() - t0} ms (session timeout ${SESSION_MS} ms)`);
    const r = await c.cli(['fs', 'mkdir', '/zk-down', '-Dalluxio.user.rpc.retry.max.duration=2s'], 60_000);
    assert.notEqual(r.code, 0);
    assert.ok(r.stderr.includes(zk!.connectString()), r.stderr);
  } finally {
    await zk!.startAll();
  }
  await c.waitLeader(30_000);
  ok(await c.cli(['fs', 'mkdir', '/zk-back']));
});
