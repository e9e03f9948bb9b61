/** Which masters this host runs, and with which overrides (src/orchestrate/local/masters.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, splitHostPort } from '../../src/conf/index.js';
import { ConfigError } from '../../src/errors.js';
import {
  isHa, localMajority, masterLayout, masterPidNames, masterRefsFromPidFiles,
} from '../../src/orchestrate/local/masters.js';
import { tmpDir } from './helpers.js';

/** A Config from these site properties; `resolve` says which other names are this machine. */
function conf(props: Record<string, string>) {
  const dir = tmpDir('alluxio-masters-');
  fs.writeFileSync(path.join(dir, 'alluxio-site.properties'), Object.entries({ 'alluxio.work.dir': path.join(dir, 'work'), ...props }).map(([k, v]) => `${k}=${v}\n`).join(''));
  return { c: loadConfig({ env: {}, home: dir, confDir: dir }), dir };
}
/** Only `localhost` and loopback are this machine here; other names resolve nowhere. */
const resolve = async () => [] as string[];

test('splitHostPort', () => {
  assert.deepEqual(splitHostPort('h1:19200'), { host: 'h1', port: 19200 });
  assert.deepEqual(splitHostPort('[::1]:19200'), { host: '::1', port: 19200 });
});

test('no embedded journal quorum: the one master as configured, named master', async () => {
  const cases: Record<string, string>[] = [{}, { 'alluxio.master.embedded.journal.addresses': 'localhost:19200' },
    { 'alluxio.master.journal.type': 'UFS', 'alluxio.master.embedded.journal.addresses': 'localhost:19200,localhost:19201' }];
  for (const props of cases) {
    const { c } = conf(props);
    const l = await masterLayout(c, resolve);
    assert.equal(l.instances.length, 1);
    assert.equal(l.instances[0]!.name, 'master');
    assert.deepEqual(l.instances[0]!.overrides, {});
    assert.equal(l.instances[0]!.conf, c);
    assert.equal(isHa(l), false);
  }
});

test('one local master of a multi-host embedded journal: named master, no overrides, not a local majority', async () => {
  const { c } = conf({ 'alluxio.master.embedded.journal.addresses': 'nohost-a.invalid:19200,localhost:19200,nohost-b.invalid:19200' });
  const l = await masterLayout(c, resolve);
  assert.equal(l.instances.length, 1);
  assert.equal(l.instances[0]!.name, 'master');
  assert.equal(l.instances[0]!.index, 1);
  assert.deepEqual(l.instances[0]!.overrides, {});
  assert.equal(l.localVoters, 1);
  assert.equal(isHa(l), true);
  assert.equal(localMajority(l), false);
});

test('three local masters: ports, web = rpc + 1, journal sub-folders, names', async () => {
  const { c, dir } = conf({
    'alluxio.master.hostname': 'localhost',
    'alluxio.master.embedded.journal.addresses': 'localhost:19200,localhost:19201,127.0.0.1:19202',
    'alluxio.master.rpc.addresses': 'localhost:19998,localhost:20998,127.0.0.1:21998',
  });
  const l = await masterLayout(c, resolve);
  const journal = path.join(dir, 'work', 'journal');
  assert.deepEqual(l.instances.map((m) => [m.name, m.journalPort, m.index, m.overrides]), [
    ['master-19200', 19200, 0, { 'alluxio.master.embedded.journal.port': '19200', 'alluxio.master.rpc.port': '19998', 'alluxio.master.web.port': '19999', 'alluxio.master.journal.folder': path.join(journal, '19200') }],
    ['master-19201', 19201, 1, { 'alluxio.master.embedded.journal.port': '19201', 'alluxio.master.rpc.port': '20998', 'alluxio.master.web.port': '20999', 'alluxio.master.journal.folder': path.join(journal, '19201') }],
    // localhost:19202 is not listed, so this master's host name becomes the entry's
    ['master-19202', 19202, 2, { 'alluxio.master.embedded.journal.port': '19202', 'alluxio.master.rpc.port': '21998', 'alluxio.master.web.port': '21999', 'alluxio.master.journal.folder': path.join(journal, '19202'), 'alluxio.master.hostname': '127.0.0.1' }],
  ]);
  const m1 = l.instances[1]!.conf;
  assert.equal(m1.getPort('alluxio.master.web.port'), 20999);
  assert.equal(m1.get('alluxio.master.journal.folder'), path.join(journal, '19201'));
  assert.equal(l.localVoters, 3);
  assert.equal(localMajority(l), true);
});

test('several local masters: alluxio.master.hostname unset becomes the entry host', async () => {
  if (os.hostname() === 'localhost') return;
  const { c } = conf({
    'alluxio.master.embedded.journal.addresses': 'localhost:19200,localhost:19201',
    'alluxio.master.rpc.addresses': 'localhost:19998,localhost:20998',
  });
  const l = await masterLayout(c, resolve);
  assert.deepEqual(l.instances.map((m) => m.overrides['alluxio.master.hostname']), ['localhost', 'localhost']);
});

test('several local masters: rpc addresses missing or of another length is a ConfigError naming both keys', async () => {
  for (const rpc of [undefined, 'localhost:19998,localhost:20998']) {
    const { c } = conf({
      'alluxio.master.embedded.journal.addresses': 'localhost:19200,localhost:19201,localhost:19202',
      ...(rpc ? { 'alluxio.master.rpc.addresses': rpc } : {}),
    });
    await assert.rejects(masterLayout(c, resolve), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /alluxio\.master\.embedded\.journal\.addresses lists 3 masters on this host/);
      assert.match(e.message, /alluxio\.master\.rpc\.addresses must list/);
      assert.match(e.message, rpc ? /but it lists 2 \(localhost:19998, localhost:20998\) for 3 journal addresses/ : /but it lists none/);
      return true;
    });
  }
});

test('several local masters: every port clash is reported at once', async () => {
  const { c } = conf({
    'alluxio.master.embedded.journal.addresses': 'localhost:19200,localhost:19200,localhost:29999',
    'alluxio.master.rpc.addresses': 'localhost:19998,localhost:19999,nohost.invalid:65535',
  });
  await assert.rejects(masterLayout(c, resolve), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.deepEqual(e.problems, [
      'port 19200 is used twice on this host: the journal port of localhost:19200 (alluxio.master.embedded.journal.addresses) and the journal port of localhost:19200 (alluxio.master.embedded.journal.addresses)',
      'port 19999 is used twice on this host: the web port of localhost:19200 (its rpc port + 1, alluxio.master.web.port) and the rpc port of localhost:19200 (entry 2 of alluxio.master.rpc.addresses)',
      'entry 3 of alluxio.master.embedded.journal.addresses (localhost:29999) is this host, but entry 3 of alluxio.master.rpc.addresses (nohost.invalid:65535) is not',
      'the master of localhost:29999 would get web port 65536 (its rpc port 65535 + 1), which is not a valid port',
      'port 29999 is used twice on this host: the journal port of localhost:29999 (alluxio.master.embedded.journal.addresses) and the worker (alluxio.worker.rpc.port)',
    ]);
    return true;
  });
});

test('master pid files of the run dir: master.pid and master-<port>.pid, nothing else', () => {
  const { c } = conf({});
  assert.deepEqual(masterPidNames(c), []);
  assert.deepEqual(masterRefsFromPidFiles(c), [{ kind: 'master', name: 'master' }]);
  const run = c.get('alluxio.run.dir');
  fs.mkdirSync(run, { recursive: true });
  for (const f of ['master-19201.pid', 'master.pid', 'master-19200.pid', 'worker.pid', 'master.start.lock', 'master-x.pid']) fs.writeFileSync(path.join(run, f), '1\n');
  assert.deepEqual(masterPidNames(c), ['master', 'master-19200', 'master-19201']);
});
