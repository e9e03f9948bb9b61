/**
 * The host side of diffConf (local/configProbe.ts) with a fake fetcher and matcher: the sent conf
 * is evaluated as this host would run it (each master of a two-master layout with its own
 * overrides, the host's conf dir as alluxio.conf.dir even though ALLUXIO_CONF_DIR points
 * elsewhere), only differing keys are reported, a process without a live pid is not running, one
 * that does not answer is an error, and a stale pid file is left alone (read-only).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { configHash, loadConfig, effectiveProperties } from '../../src/conf/index.js';
import { INSTALL_ROOT } from '../../src/conf/installRoot.js';
import { configProbe } from '../../src/orchestrate/local/configProbe.js';
import { masterLayout } from '../../src/orchestrate/local/masters.js';
import { tmpDir } from './helpers.js';

const TIMEOUT = 'alluxio.master.worker.timeout';

test('configProbe: two local masters and a worker against a sent conf dir', async () => {
  const dir = tmpDir();
  const hostDir = path.join(dir, 'conf');
  const sentDir = path.join(dir, 'sent');
  const site = [
    `alluxio.work.dir=${dir}/work`,
    'alluxio.master.embedded.journal.addresses=localhost:19200,localhost:19201',
    'alluxio.master.rpc.addresses=localhost:19998,localhost:20010',
  ];
  for (const [d, extra] of [[hostDir, []], [sentDir, [`${TIMEOUT}=10min`]]] as const) {
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'alluxio-site.properties'), [...site, ...extra].join('\n') + '\n');
  }
  const env = { ALLUXIO_CONF_DIR: hostDir };
  const hostConf = loadConfig({ flags: {}, env, home: INSTALL_ROOT });
  const run = path.join(dir, 'work', 'run');
  fs.mkdirSync(run, { recursive: true });
  fs.writeFileSync(path.join(run, 'master-19200.pid'), `${process.pid}\n`);
  fs.writeFileSync(path.join(run, 'worker.pid'), `${process.pid}\n`);
  // What the running master-19200 says: the host's conf with its overrides (its own ports and folder).
  const running = (await masterLayout(hostConf)).instances.find((m) => m.name === 'master-19200')!;
  const urls: string[] = [];
  const fetchJson = async (url: string) => {
    urls.push(url);
    if (url.endsWith(':19999/api/v1/master/config')) return { configHash: 'h', properties: effectiveProperties(running.conf) };
    throw Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
  };
  const r = await configProbe({ hostConf, sentConfDir: sentDir, kinds: ['master', 'worker'], flags: {}, env, fetchJson, matches: () => true });
  const expectedHash = configHash({ ...effectiveProperties(running.conf), [TIMEOUT]: '10min' });
  assert.deepEqual(r.processes, [
    { kind: 'master', name: 'master-19200', running: true, pid: process.pid, configHash: 'h', expectedHash, diff: [{ key: TIMEOUT, old: '5min', new: '10min' }] },
    { kind: 'master', name: 'master-19201', running: false },
    { kind: 'worker', name: 'worker', running: true, pid: process.pid, error: 'http://localhost:30000/api/v1/worker/config did not answer: ECONNREFUSED' },
  ]);
  assert.deepEqual(urls.sort(), ['http://localhost:19999/api/v1/master/config', 'http://localhost:30000/api/v1/worker/config']);

  // Only the worker asked; a pid file naming a process that is not ours: not running, the file kept.
  const w = await configProbe({ hostConf, sentConfDir: sentDir, kinds: ['worker'], flags: {}, env, fetchJson, matches: () => false });
  assert.deepEqual(w.processes, [{ kind: 'worker', name: 'worker', running: false }]);
  assert.ok(fs.existsSync(path.join(run, 'worker.pid')));
});
