/**
 * `alluxio fsadmin doctor`: the comparison and storage rules as table tests, then the real CLI on
 * a real local cluster (a consistent one, a worker started with another root UFS and heartbeat
 * interval, a master that does not answer, a worker that died).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  canonicalValue, compareConfigs, parseConfigAnswer, renderConfigReport, storageProblems, type ServerConf,
} from '../../src/commands/doctor.js';
import { SCHEMA, consistencyOf, findSpec, scopeOf } from '../../src/conf/index.js';
import type { WorkerInfo } from '../../src/client/fileSystem.js';
import { TestCluster, freePort } from '../harness/cluster.js';
import { cli, formatAndStartLocal, killFromPidFiles, makeCliEnv, explain } from '../orchestrate/helpers.js';

const m1 = (props: Record<string, string>): ServerConf => ({ kind: 'master', name: 'master m1:19998', properties: props });
const w = (n: number, props: Record<string, string>): ServerConf => ({ kind: 'worker', name: `worker w${n}:29999`, properties: props });

test('compareConfigs: ENFORCE differences are errors, WARN warnings, IGNORE and out-of-scope keys never count', () => {
  const ufs = 'alluxio.master.mount.table.root.ufs'; // SERVER, ENFORCE
  const hb = 'alluxio.worker.block.heartbeat.interval'; // WORKER, WARN
  const host = 'alluxio.worker.hostname'; // WORKER, IGNORE
  const jt = 'alluxio.master.journal.type'; // MASTER, ENFORCE
  const r = compareConfigs([
    m1({ [ufs]: '/u', [hb]: '9s', [jt]: 'EMBEDDED' }),
    w(1, { [ufs]: '/u', [hb]: '1sec', [host]: 'w1', [jt]: 'UFS' }),
    w(2, { [ufs]: '/other', [hb]: '1s', [host]: 'w2' }),
    w(3, { [ufs]: '/u', [hb]: '2s', [host]: 'w3' }),
    { kind: 'worker', name: 'worker w4:29999', error: 'ECONNREFUSED' },
  ]);
  assert.deepEqual(r.errors, [{ key: ufs, values: [{ value: '/u', servers: ['master m1:19998', 'worker w1:29999', 'worker w3:29999'] }, { value: '/other', servers: ['worker w2:29999'] }] }]);
  // The master's heartbeat interval and the workers' journal type are not theirs; 1sec and 1s agree.
  assert.deepEqual(r.warnings, [{ key: hb, values: [{ value: '1sec', servers: ['worker w1:29999', 'worker w2:29999'] }, { value: '2s', servers: ['worker w3:29999'] }] }]);
  assert.deepEqual(r.unreachable.map((s) => s.name), ['worker w4:29999']);
  assert.deepEqual(renderConfigReport(r), [
    'Server-side configuration errors (those properties are required to be identical): ',
    `key: ${ufs}`,
    '    value: /u (master m1:19998, worker w1:29999, worker w3:29999)',
    '    value: /other (worker w2:29999)',
    '',
    'Server-side configuration warnings (those properties are recommended to be identical): ',
    `key: ${hb}`,
    '    value: 1sec (worker w1:29999, worker w2:29999)',
    '    value: 2s (worker w3:29999)',
    '',
    'Servers whose configuration could not be read (not checked): ',
    '    worker w4:29999: ECONNREFUSED',
  ]);
  assert.deepEqual(renderConfigReport(compareConfigs([m1({ [ufs]: '/u' }), w(1, { [ufs]: '/u' })])), ['No server-side configuration errors or warnings.']);
  assert.deepEqual(renderConfigReport(compareConfigs([m1({ 'alluxio.zookeeper.address': '' }), w(1, { 'alluxio.zookeeper.address': 'zk:2181' })])).slice(1, 4),
    ['key: alluxio.zookeeper.address', '    value: no value set (master m1:19998)', '    value: zk:2181 (worker w1:29999)']);
});

test('canonicalValue: equal values written differently agree', () => {
  const v = (k: string, x: string) => canonicalValue(findSpec(k)!, x);
  assert.equal(v('alluxio.user.block.size.bytes.default', '64MB'), v('alluxio.user.block.size.bytes.default', '67108864'));
  assert.equal(v('alluxio.master.worker.timeout', '5min'), v('alluxio.master.worker.timeout', '300s'));
  assert.equal(v('alluxio.security.authentication.type', 'simple'), 'SIMPLE');
  assert.equal(v('alluxio.master.rpc.addresses', 'a:1, b:1'), 'a:1,b:1');
  assert.notEqual(v('alluxio.master.mount.table.root.ufs', '/a'), v('alluxio.master.mount.table.root.ufs', '/a/'));
});

test('schema: every key has a scope and a consistency level; host-specific keys are IGNORE', () => {
  for (const s of SCHEMA) {
    assert.ok(['MASTER', 'WORKER', 'CLIENT', 'SERVER', 'ALL'].includes(scopeOf(s)), s.key);
    assert.ok(['ENFORCE', 'WARN', 'IGNORE'].includes(consistencyOf(s)), s.key);
  }
  for (const k of ['alluxio.master.hostname', 'alluxio.worker.hostname', 'alluxio.master.rpc.port', 'alluxio.master.web.port',
    'alluxio.master.embedded.journal.port', 'alluxio.logs.dir', 'alluxio.run.dir', 'alluxio.work.dir', 'alluxio.worker.tieredstore.level0.dirs.path']) {
    assert.equal(consistencyOf(findSpec(k)!), 'IGNORE', k);
  }
  for (const k of ['alluxio.master.journal.type', 'alluxio.master.embedded.journal.addresses', 'alluxio.master.rpc.addresses',
    'alluxio.security.authentication.type', 'alluxio.master.mount.table.root.ufs']) {
    assert.equal(consistencyOf(findSpec(k)!), 'ENFORCE', k);
  }
});

test('parseConfigAnswer: only {properties: {string: string}}', () => {
  assert.deepEqual(parseConfigAnswer({ configHash: 'x', properties: { a: '1' } }), { a: '1' });
  for (const bad of [null, 'x', [], {}, { properties: [] }, { properties: null }, { properties: { a: 1 } }]) {
    assert.equal(parseConfigAnswer(bad), undefined, JSON.stringify(bad));
  }
});

const worker = (id: number, state: string, tiers: [string, number][]): WorkerInfo => ({
  id, address: { host: `w${id}`, rpcPort: 29999, webPort: 30000 }, capacityBytes: 0, usedBytes: 0, state, lastContactSec: state === 'LOST' ? 400 : 0,
  startTimeMs: 0, blockCount: 0, tiers: tiers.map(([alias, capacityBytes]) => ({ alias, capacityBytes, usedBytes: 0 })),
});

test('storageProblems: lost workers, missing and empty tiers, no workers', () => {
  assert.deepEqual(storageProblems([worker(1, 'LIVE', [['MEM', 1024]]), worker(2, 'LIVE', [['MEM', 2048]])]), []);
  assert.deepEqual(storageProblems([
    worker(1, 'LIVE', [['MEM', 1024], ['SSD', 1024]]), worker(2, 'LIVE', [['MEM', 0]]), worker(3, 'LOST', [['MEM', 1024 * 1024]]),
  ]), [
    'The storage of worker w3:29999 (id 3) is lost: no heartbeat for 400 s: ',
    '    MEM 1024.00KB',
    'Tier MEM of worker w2:29999 has no capacity.',
    'Worker w2:29999 has no SSD tier (other workers have one).',
  ]);
  assert.deepEqual(storageProblems([]), ['No live workers: the cluster has no worker storage.']);
});

test('fsadmin doctor on a real cluster: consistent, a worker with another root UFS, unreachable servers, a bad category', async (t) => {
  const e = await makeCliEnv();
  const other = path.join(e.dir, 'other');
  const killOther = () => killFromPidFiles(e, path.join(other, 'run'));
  t.after(() => { killFromPidFiles(e); killOther(); });
  const why = explain(e);
  await formatAndStartLocal(e);

  let r = await cli(e, ['fsadmin', 'doctor']);
  assert.equal(r.code, 0, why(r));
  assert.equal(r.stdout, 'No server-side configuration errors or warnings.\n\nAll worker storage paths are in working state.\n');
  r = await cli(e, ['fsadmin', 'doctor', 'storage']);
  assert.equal(r.code, 0, why(r));
  assert.equal(r.stdout, 'All worker storage paths are in working state.\n');

  r = await cli(e, ['fsadmin', 'doctor', 'foo']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^Usage: alluxio fsadmin doctor \[options\] \[category\]\n/);
  assert.ok(r.stderr.endsWith('Error: doctor category is invalid.\n'), r.stderr);

  // A second worker whose root UFS (ENFORCE) and heartbeat interval (WARN) differ.
  const ports = { rpc: await freePort(), web: await freePort() };
  r = await cli(e, ['start', 'worker', 'NoMount', `-Dalluxio.work.dir=${other}`, `-Dalluxio.worker.tieredstore.level0.dirs.path=${path.join(other, 'ramdisk')}`,
    `-Dalluxio.worker.rpc.port=${ports.rpc}`, `-Dalluxio.worker.web.port=${ports.web}`,
    `-Dalluxio.master.mount.table.root.ufs=${path.join(other, 'ufs')}`, '-Dalluxio.worker.block.heartbeat.interval=2s']);
  assert.equal(r.code, 0, why(r));
  const infoOf = async (port: number) => (await (await fetch(`http://localhost:${port}/api/v1/worker/info`)).json()) as { address: string };
  const w1 = (await infoOf(e.ports.workerWeb)).address;
  const w2 = (await infoOf(ports.web)).address;
  const master = `master localhost:${e.ports.masterRpc}`;
  r = await cli(e, ['fsadmin', 'doctor', 'configuration']);
  assert.equal(r.code, 1, why(r));
  assert.equal(r.stdout, [
    'Server-side configuration errors (those properties are required to be identical): ',
    'key: alluxio.master.mount.table.root.ufs',
    `    value: ${path.join(e.dir, 'ufs')} (${master}, worker ${w1})`,
    `    value: ${path.join(other, 'ufs')} (worker ${w2})`,
    '',
    'Server-side configuration warnings (those properties are recommended to be identical): ',
    'key: alluxio.worker.block.heartbeat.interval',
    `    value: 1sec (worker ${w1})`,
    `    value: 2s (worker ${w2})`,
    '',
  ].join('\n'), why(r));

  // A configured master that does not answer, and a live worker that died: both named.
  killOther();
  const dead = `localhost:${await freePort()}`;
  r = await cli(e, ['fsadmin', 'doctor', 'configuration', `-Dalluxio.master.rpc.addresses=localhost:${e.ports.masterRpc},${dead}`]);
  assert.equal(r.code, 1, why(r));
  assert.match(r.stdout, /^Servers whose configuration could not be read \(not checked\): $/m);
  assert.match(r.stdout, new RegExp(`^    master ${dead}: .*unavailable`, 'm'), why(r));
  assert.match(r.stdout, new RegExp(`^    worker ${w2}: ECONNREFUSED \\(http://.*:${ports.web}/api/v1/worker/config\\)$`, 'm'), why(r));
  assert.match(r.stdout, /^No server-side configuration errors or warnings among the servers that answered\.$/m);
});

test('fsadmin doctor on three masters of one host (each its own ports, journal and run dir) and a worker: consistent', async (t) => {
  const c = new TestCluster({ masters: 3, workers: 1 });
  t.after(() => c.stop());
  await c.setup();
  await c.start();
  const r = await c.cli(['fsadmin', 'doctor', 'configuration']);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${c.logs()}`);
  assert.equal(r.stdout, 'No server-side configuration errors or warnings.\n');
});
