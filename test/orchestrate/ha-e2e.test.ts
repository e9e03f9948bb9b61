/**
 * HA across real hosts: network namespaces with their own sshd (test/harness/hosts), the real CLI
 * run from a control namespace over SSH. 3 masters on the embedded journal (h1-h3) + 2 workers
 * (h4, h5): start all waits for a leader, kill -9 of the leader's host processes, a new leader
 * serves and the smoke tests pass again.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { TestHosts } from '../harness/hosts.js';
import { hostsCli } from './hostsCli.js';
import { assertRoot, needsRoot } from '../harness/root.js';

const NEEDS = 'network namespaces, sshd';
const skip = needsRoot(NEEDS);
const MASTERS = ['h1', 'h2', 'h3'];
const WORKERS = ['h4', 'h5'];

describe('HA over SSH: 3 masters (embedded journal), 2 workers', { skip, timeout: 600_000 }, () => {
  let hosts: TestHosts;
  let confDir: string;
  const site = (extra: string[] = []) => [
    'alluxio.home=/opt/alluxio',
    `alluxio.master.mount.table.root.ufs=${path.join(hosts.dir, 'ufs')}`,
    'alluxio.master.embedded.journal.addresses=h1:19200,h2:19200,h3:19200',
    // private per host (/tmp is each host's own), NoMount
    'alluxio.worker.tieredstore.level0.dirs.path=/tmp/alluxio-ramdisk',
    'alluxio.worker.ramdisk.size=32MB',
    'alluxio.user.block.size.bytes.default=1MB',
    'alluxio.user.rpc.retry.max.duration=20s',
    'alluxio.worker.block.heartbeat.interval=200ms',
    'alluxio.master.worker.timeout=2s',
    'alluxio.master.lost.worker.detection.interval=200ms',
    ...extra,
    '',
  ].join('\n');
  const { run, ok, info, leaderNow, waitFor } = hostsCli(() => ({ hosts, confDir }), MASTERS);

  before(async () => {
    assertRoot(NEEDS);
    hosts = await TestHosts.create(5);
    confDir = path.join(hosts.dir, 'conf');
    fs.mkdirSync(confDir);
    fs.mkdirSync(path.join(hosts.dir, 'ufs'));
    fs.writeFileSync(path.join(confDir, 'alluxio-site.properties'), site());
    fs.writeFileSync(path.join(confDir, 'masters'), `${MASTERS.join('\n')}\n`);
    fs.writeFileSync(path.join(confDir, 'workers'), `${WORKERS.join('\n')}\n`);
  });

  after(async () => {
    if (hosts) {
      await run(['stop', 'all'], 120_000).catch(() => undefined);
      await hosts.destroy();
    }
  });

  test('mismatched master lists and a UFS journal with several masters are clear configuration errors', async () => {
    try {
      fs.writeFileSync(path.join(confDir, 'alluxio-site.properties'), site().replace('h1:19200,h2:19200,h3:19200', 'h1:19200,h2:19200'));
      let r = await run(['start', 'masters']);
      await ok(r, 1);
      assert.match(r.stderr, /masters lists 3 masters \(h1, h2, h3\), but alluxio\.master\.embedded\.journal\.addresses lists 2 \(h1:19200, h2:19200\)/);
      assert.equal(r.stdout, '');
      fs.writeFileSync(path.join(confDir, 'alluxio-site.properties'), site(['alluxio.master.journal.type=UFS', `alluxio.master.journal.folder=${path.join(hosts.dir, 'journal')}`]));
      r = await run(['format']);
      await ok(r, 1);
      assert.match(r.stderr, /masters lists 3 masters \(h1, h2, h3\), but alluxio\.master\.journal\.type=UFS without alluxio\.zookeeper\.enabled=true serves one master/);
    } finally {
      fs.writeFileSync(path.join(confDir, 'alluxio-site.properties'), site());
    }
  });

  test('format, start all: every master answers, one leads, workers start; fs leader; runTests', async () => {
    let r = await run(['format']);
    await ok(r);
    for (const h of MASTERS) assert.match(r.stdout, new RegExp(`^${h}\\s+format journal\\s+changed\\s+formatted`, 'm'));

    r = await run(['start', 'all']);
    await ok(r);
    for (const h of MASTERS) {
      assert.match(r.stdout, new RegExp(`^\\[${h}\\] +--- \\[ OK \\] The master service @ ${h} answers \\(rpc ${h}:19998, web port 19999\\)\\.$`, 'm'), r.stdout);
      assert.match(r.stdout, new RegExp(`^${h}\\s+start master\\s+changed\\s+master started$`, 'm'));
    }
    assert.doesNotMatch(r.stdout, /healthy state: /, 'the remote starts do not wait for a leader');
    assert.match(r.stdout, /^Waiting for a leader$/m);
    assert.match(r.stdout, /^h[123]\s+leader\s+ok\s+h[123]:19998 leads$/m);
    for (const h of WORKERS) assert.match(r.stdout, new RegExp(`^${h}\\s+start worker\\s+changed\\s+worker started$`, 'm'));

    const leader = await leaderNow();
    assert.ok(leader, 'a master leads');
    const l = await run(['fs', 'leader']);
    await ok(l);
    assert.equal(l.stdout, `${leader}\n`);
    await waitFor('2 live workers', async () => ((await info(leader)).liveWorkers.length === 2 ? true : undefined));
    const tests = await run(['runTests']);
    await ok(tests);
    assert.equal((tests.stdout.match(/^Passed the test!$/gm) ?? []).length, 24);

    // Starting again changes nothing and still finds the leader.
    r = await run(['start', 'masters']);
    await ok(r);
    for (const h of MASTERS) assert.match(r.stdout, new RegExp(`^${h}\\s+start master\\s+ok\\s+master already running \\(pid \\d+\\)$`, 'm'));
  });

  test('kill -9 of the leader host: a new leader serves, runTests passes again, start masters brings it back', async () => {
    const first = await leaderNow();
    assert.ok(first, 'a master leads');
    const killed = await hosts.crash(first);
    assert.ok(killed.length >= 1, 'the master process was killed');

    const others = MASTERS.filter((h) => h !== first);
    const second = await waitFor('a new leader', () => leaderNow(others));
    assert.notEqual(second, first);
    const l = await run(['fs', 'leader']);
    await ok(l);
    assert.equal(l.stdout, `${second}\n`);
    await waitFor('2 live workers on the new leader', async () => ((await info(second)).liveWorkers.length === 2 ? true : undefined));
    const tests = await run(['runTests']);
    await ok(tests);
    assert.equal((tests.stdout.match(/^Passed the test!$/gm) ?? []).length, 24);

    // The crashed master's pid file is stale; start masters restarts it alone, as a standby.
    const r = await run(['start', 'masters']);
    await ok(r);
    assert.match(r.stdout, new RegExp(`^${first}\\s+start master\\s+changed\\s+master started$`, 'm'));
    assert.match(r.stdout, new RegExp(`^\\[${first}\\] +Removed stale pid file /opt/alluxio/run/master\\.pid`, 'm'));
    const back = await waitFor(`${first} to answer`, async () => info(first));
    assert.equal(back.isLeader, false);
  });

  test('the leader cut off the network: a new leader serves, the old one acknowledges nothing, and rejoins as a standby', async () => {
    const old = await waitFor('a leader', () => leaderNow());
    await hosts.cut(old);
    try {
      const others = MASTERS.filter((h) => h !== old);
      const next = await waitFor('a new leader on the other side', () => leaderNow(others));
      await ok(await run(['fs', 'mkdir', '/written-during-partition']));
      // On the cut-off host itself: its master must not acknowledge a write (it stepped down or
      // cannot reach a quorum); the client there gives up within its retry window.
      const local = await hosts.run(old, ['/opt/alluxio/bin/alluxio', 'fs', 'mkdir', '/split-brain',
        `-Dalluxio.master.rpc.addresses=${old}:19998`, '-Dalluxio.user.rpc.retry.max.duration=3s'], { timeoutMs: 60_000 });
      assert.notEqual(local.code, 0, `the isolated master acknowledged a write:\n${local.stdout}${local.stderr}`);
      const st = await hosts.run(old, ['node', '-e', `fetch('http://${hosts.host(old).ip}:19999/api/v1/master/info').then((r) => r.text()).then((t) => console.log(t), () => {})`]);
      if (st.stdout.trim()) assert.equal(JSON.parse(st.stdout).isLeader, false, 'the isolated master still claims to lead');
      assert.notEqual(next, old);
    } finally {
      await hosts.heal(old);
    }
    await waitFor(`${old} back as a standby`, async () => {
      const i = await info(old).catch(() => undefined);
      return i && !i.isLeader && i.leaderAddress !== '' ? true : undefined;
    });
    const ls = await run(['fs', 'ls', '/']);
    await ok(ls);
    assert.match(ls.stdout, /\/written-during-partition$/m);
    assert.doesNotMatch(ls.stdout, /split-brain/);

    const stop = await run(['stop', 'all']);
    await ok(stop);
    for (const h of MASTERS) assert.match(stop.stdout, new RegExp(`^${h}\\s+stop master\\s+changed\\s+master stopped$`, 'm'));
  });
});
