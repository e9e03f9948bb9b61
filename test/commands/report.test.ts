/**
 * `alluxio fsadmin report`, the rolling view: the rules as table tests (marks, pairing an
 * unreachable master with its quorum member), then the real CLI on a real local cluster of 3
 * masters and a worker (a master with another property, a killed standby).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildView, renderView, workerRows } from '../../src/commands/report.js';
import type { WorkerInfo } from '../../src/client/fileSystem.js';
import { sharedConfigHash, configHash } from '../../src/conf/index.js';
import { TestCluster, getJson, waitFor, type CliResult } from '../harness/cluster.js';

const worker = (id: number, hash: string, state = 'LIVE'): WorkerInfo => ({
  id, address: { host: `w${id}`, rpcPort: 29999, webPort: 30000 }, capacityBytes: 1, usedBytes: 0, state, lastContactSec: 0,
  startTimeMs: 0, blockCount: 0, tiers: [], configHash: `full${id}`, sharedConfigHash: hash,
});

test('sharedConfigHash ignores host-specific keys (ports, hostnames, local paths), configHash does not', () => {
  const base = { 'alluxio.master.rpc.port': '19998', 'alluxio.master.hostname': 'm1', 'alluxio.master.worker.timeout': '5min' };
  const other = { ...base, 'alluxio.master.rpc.port': '20998', 'alluxio.master.hostname': 'm2' };
  assert.equal(sharedConfigHash(other), sharedConfigHash(base));
  assert.notEqual(configHash(other), configHash(base));
  assert.notEqual(sharedConfigHash({ ...base, 'alluxio.master.worker.timeout': '4s' }), sharedConfigHash(base));
});

test('workerRows marks a live worker whose hash differs from the most common one; a tie marks none', () => {
  assert.deepEqual(workerRows([worker(1, 'a'), worker(2, 'a'), worker(3, 'b'), worker(4, 'c', 'LOST')]).map((w) => w.configDiffers), [false, false, true, true]);
  assert.deepEqual(workerRows([worker(1, 'a'), worker(2, 'b')]).map((w) => w.configDiffers), [false, false]);
});

test('buildView: roles, lag behind the leader commit, marks, an unreachable master paired with its quorum member', () => {
  const info = (n: number, o: Record<string, unknown>) => ({
    address: `m${n}:19998`, journalAddress: `m${n}:19200`, isLeader: false, journalAppliedIndex: 40, journalCommitIndex: 40,
    sharedConfigHash: 'h'.repeat(64), configHash: `c${n}`, pid: 100 + n, instanceId: `i${n}`, ...o,
  });
  const leader = info(1, { isLeader: true, journalAppliedIndex: 50, journalCommitIndex: 50 });
  const members = [1, 2, 3, 4].map((n) => ({ address: `m${n}:19200`, available: n !== 3, role: n === 1 ? 'LEADER' : 'FOLLOWER', matchIndex: 50 - n }));
  const v = buildView(leader, ['m1:19998', 'm2:19998', 'm3:19998'],
    [leader, info(2, { sharedConfigHash: 'x'.repeat(64) }), new Error('m3:19998: unavailable')],
    members, ['m1:19200', 'm2:19200', 'm3:19200'], [worker(1, 'a')]);
  assert.equal(v.leaderCommitIndex, 50);
  assert.deepEqual(v.masters.map((m) => [m.address, m.role, m.lag, m.configDiffers, m.matchIndex, m.quorumState]), [
    ['m1:19998', 'LEADER', 0, false, 49, 'AVAILABLE'],
    ['m2:19998', 'STANDBY', 10, true, 48, 'AVAILABLE'],
    ['m3:19998', 'UNREACHABLE', undefined, false, 47, 'UNAVAILABLE'],
    ['m4:19200', 'STANDBY', undefined, false, 46, 'AVAILABLE'], // in the quorum, not configured
  ]);
  const text = renderView(v);
  assert.match(text.find((l) => l.includes('m2:19998'))!, /STANDBY\s+40\s+10\s+xxxxxxxxxxxx\*\s+102/);
  assert.match(text.find((l) => l.includes('m3:19998'))!, /UNREACHABLE\s+-\s+-\s+-\s+-\s+quorum: UNAVAILABLE; m3:19998: unavailable$/);
  assert.match(text.at(-1)!, /^\* configuration differs from the leader's/);
});

test('buildView: a master outside the quorum and an older master are noted; the local journal has no quorum', () => {
  const leader = { address: 'm1:19998', journalAddress: 'm1:19200', isLeader: true, journalAppliedIndex: 9, journalCommitIndex: 9, sharedConfigHash: 'h' };
  const removed = { address: 'm2:19998', journalAddress: 'm2:19200', isLeader: false, journalAppliedIndex: 7, journalCommitIndex: 7, sharedConfigHash: 'h' };
  const older = { address: 'm3:19998', isLeader: false };
  const v = buildView(leader, ['m1:19998', 'm2:19998', 'm3:19998'], [leader, removed, older],
    [{ address: 'm1:19200', available: true, role: 'LEADER', matchIndex: 9 }], [], []);
  assert.deepEqual(v.masters.map((m) => [m.role, m.lag, m.configDiffers, m.note]), [
    ['LEADER', 0, false, undefined],
    ['STANDBY', 2, false, 'not a member of the journal quorum'],
    ['STANDBY', 9, false, 'answered no configuration hash (an older master?)'],
  ]);
  const local = { address: 'm1:19998', journalAddress: '', isLeader: true, journalAppliedIndex: 3, journalCommitIndex: 3, sharedConfigHash: 'h' };
  const one = buildView(local, ['m1:19998'], [local], undefined, [], []);
  assert.deepEqual(one.masters.map((m) => [m.role, m.appliedIndex, m.lag, m.note]), [['LEADER', 3, 0, undefined]]);
  assert.deepEqual(renderView({ ...one, quorumError: 'x' }).slice(-4), ["    (the leader's journal quorum could not be read: x)", 'Workers: ', '    ADDRESS                 ID                    STATE   CONF HASH', '    (none)']);
});

interface Row { address: string; role: string; applied: string; lag: string; hash: string; pid: string }

/** The master rows of the text report. */
function masterRows(stdout: string): Row[] {
  const section = stdout.slice(stdout.indexOf('\nMasters ('), stdout.indexOf('\nWorkers: '));
  return [...section.matchAll(/^ {4}(localhost:\d+)\s+(LEADER|STANDBY|UNREACHABLE)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)/gm)]
    .map(([, address, role, applied, lag, hash, pid]) => ({ address: address!, role: role!, applied: applied!, lag: lag!, hash: hash!, pid: pid! }));
}

test('fsadmin report on 3 masters and a worker: the rolling view, a master with another property, a killed standby', async (t) => {
  const c = new TestCluster({ masters: 3, workers: 1 });
  t.after(() => c.stop());
  await c.setup();
  await c.start();
  const why = (r: CliResult) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
  const report = async (json = false) => {
    const r = await c.cli(['fsadmin', 'report', ...(json ? ['--json'] : [])]);
    assert.equal(r.code, 0, why(r));
    return r;
  };
  const addr = (i: number) => `localhost:${c.masterPorts[i]!.rpc}`;

  // All up: three rows, one LEADER, indexes within the leader's commit index, one hash, each its pid.
  let r = await report();
  assert.match(r.stdout, /^Alluxio cluster summary: \n {4}Master Address: /, why(r)); // Alluxio's lines first, unchanged
  assert.match(r.stdout, /^ {4}Free Capacity: .*\nMasters \(leader commit index \d+\): \n/m, why(r));
  let rows = masterRows(r.stdout);
  assert.deepEqual(rows.map((x) => x.address), [0, 1, 2].map(addr), why(r));
  assert.equal(rows.filter((x) => x.role === 'LEADER').length, 1, why(r));
  assert.equal(new Set(rows.map((x) => x.hash)).size, 1, why(r));
  assert.match(rows[0]!.hash, /^[0-9a-f]{12}$/, why(r));
  assert.deepEqual(rows.map((x) => Number(x.pid)), [0, 1, 2].map((i) => c.pid('master', i)));
  assert.doesNotMatch(r.stdout, /^\* /m);
  const workerInfo = await getJson(`http://127.0.0.1:${c.workerPorts[0]!.web}/api/v1/worker/info`);
  assert.match(r.stdout, new RegExp(`^Workers: \\n.*\\n {4}localhost:${c.workerPorts[0]!.rpc}\\s+\\d+\\s+LIVE\\s+${workerInfo.sharedConfigHash.slice(0, 12)}$`, 'm'), why(r));

  // --json: the same data.
  let j = JSON.parse((await report(true)).stdout);
  assert.equal(typeof j.master.liveWorkers, 'number');
  assert.equal(typeof j.capacity.capacityBytes, 'number');
  assert.deepEqual(j.masters.map((m: any) => [m.address, m.role]), rows.map((x) => [x.address, x.role]));
  for (const m of j.masters) {
    assert.ok(m.appliedIndex > 0 && m.appliedIndex <= j.leaderCommitIndex && m.lag === j.leaderCommitIndex - m.appliedIndex, JSON.stringify(j.masters));
    assert.equal(m.sharedConfigHash.slice(0, 12), rows[0]!.hash);
    assert.equal(m.quorumState, 'AVAILABLE');
    assert.equal(m.configDiffers, false);
  }
  assert.deepEqual(j.workers.map((w: any) => [w.sharedConfigHash, w.configHash, w.configDiffers]), [[workerInfo.sharedConfigHash, workerInfo.configHash, false]]);

  // A standby restarted with another cluster-wide property: its hash differs and is marked.
  const leader = rows.findIndex((x) => x.role === 'LEADER');
  const standby = (leader + 1) % 3;
  await c.kill('master', standby);
  await c.startMaster(standby, ['-Dalluxio.master.worker.timeout=4s']);
  r = await waitFor('the restarted standby in the report', async (observe) => {
    const x = await report();
    observe(x.stdout);
    return masterRows(x.stdout)[standby]?.role === 'STANDBY' && x;
  });
  rows = masterRows(r.stdout);
  assert.match(rows[standby]!.hash, /^[0-9a-f]{12}\*$/, why(r));
  assert.equal(rows.filter((x) => x.hash.endsWith('*')).length, 1, why(r));
  assert.match(r.stdout, /^\* configuration differs from the leader's \(masters\)/m, why(r));
  j = JSON.parse((await report(true)).stdout);
  assert.equal(j.masters[standby].configDiffers, true);
  assert.notEqual(j.masters[standby].sharedConfigHash, j.masters[leader].sharedConfigHash);

  // The standby killed: UNREACHABLE, the command still succeeds, the others still shown.
  await c.kill('master', standby);
  r = await report();
  rows = masterRows(r.stdout);
  assert.equal(rows[standby]!.role, 'UNREACHABLE', why(r));
  assert.deepEqual([rows[standby]!.applied, rows[standby]!.lag, rows[standby]!.hash], ['-', '-', '-']);
  assert.equal(rows.filter((x) => x.role === 'LEADER').length, 1, why(r));
  j = JSON.parse((await report(true)).stdout);
  assert.equal(j.masters[standby].role, 'UNREACHABLE');
  assert.equal(typeof j.masters[standby].note, 'string');
  assert.equal(j.masters.length, 3, 'the dead master is paired with its quorum member, not listed twice');
});
