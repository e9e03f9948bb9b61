/**
 * ZooKeeper mode across real hosts: network namespaces with their own sshd (test/harness/hosts),
 * the real CLI run from a control namespace over SSH, a real ZooKeeper started by the test on the
 * root namespace's bridge address (the hosts' gateway), and the journal folder in the harness dir,
 * which every host sees (their /tmp is private). 3 masters (h1-h3) + 1 worker (h4):
 * validateEnv and start refuse a journal folder that is not shared (under the hosts' private
 * /tmp); with a shared one: validateEnv, format (the shared journal once), start all, runTests,
 * kill -9 of the leader's host (a new leader once its session expired), start masters brings it
 * back, a rolling restart of the masters after a MASTER key change (standbys first, the leader
 * last: its clean stop hands over at once), stop all. Figures are printed, not asserted.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { TestHosts } from '../harness/hosts.js';
import { assertRoot, needsRoot } from '../harness/root.js';
import { ZooKeeperServers, zooKeeperSkipReason } from '../harness/zookeeper.js';
import { hostsCli } from './hostsCli.js';

const NEEDS = 'network namespaces, sshd';
const skip = needsRoot(NEEDS) || zooKeeperSkipReason();
const MASTERS = ['h1', 'h2', 'h3'];
const WORKERS = ['h4'];
const SESSION_MS = 3000;

describe('ZooKeeper mode over SSH: 3 masters sharing a journal folder, 1 worker', { skip, timeout: 600_000 }, () => {
  let hosts: TestHosts;
  let zk: ZooKeeperServers;
  let confDir: string;
  const props: Record<string, string> = {};
  const writeSite = () => fs.writeFileSync(path.join(confDir, 'alluxio-site.properties'), `${Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n')}\n`);
  const { run, ok, info, leaderNow, waitFor } = hostsCli(() => ({ hosts, confDir }), MASTERS, { everyMs: 100, extraLogs: () => `--- zookeeper\n${zk.log(0).slice(-3000)}\n` });
  const passed = (out: string) => (out.match(/^Passed the test!$/gm) ?? []).length;

  before(async () => {
    assertRoot(NEEDS);
    hosts = await TestHosts.create(4);
    // The hosts reach the root namespace at their subnet's .1 address.
    zk = await ZooKeeperServers.start({ tickMs: 200, bindAddress: hosts.subnet.replace(/\.0\/24$/, '.1') });
    confDir = path.join(hosts.dir, 'conf');
    fs.mkdirSync(confDir);
    fs.mkdirSync(path.join(hosts.dir, 'ufs'));
    Object.assign(props, {
      'alluxio.home': '/opt/alluxio',
      'alluxio.master.mount.table.root.ufs': path.join(hosts.dir, 'ufs'),
      'alluxio.zookeeper.enabled': 'true',
      'alluxio.zookeeper.address': zk.connectString(),
      'alluxio.zookeeper.session.timeout': `${SESSION_MS}ms`,
      'alluxio.master.journal.type': 'UFS',
      // Under each host's private /tmp: not the same storage (the first tests); then shared.
      'alluxio.master.journal.folder': '/tmp/alluxio-journal',
      'alluxio.worker.tieredstore.level0.dirs.path': '/tmp/alluxio-ramdisk',
      'alluxio.worker.ramdisk.size': '32MB',
      'alluxio.user.block.size.bytes.default': '1MB',
      'alluxio.user.rpc.retry.max.duration': '20s',
      'alluxio.worker.block.heartbeat.interval': '200ms',
      'alluxio.master.worker.timeout': '2s',
      'alluxio.master.lost.worker.detection.interval': '200ms',
    });
    writeSite();
    fs.writeFileSync(path.join(confDir, 'masters'), `${MASTERS.join('\n')}\n`);
    fs.writeFileSync(path.join(confDir, 'workers'), `${WORKERS.join('\n')}\n`);
  });

  after(async () => {
    if (hosts) {
      await run(['stop', 'all'], 120_000).catch(() => undefined);
      await hosts.destroy();
    }
    if (zk) await zk.destroy();
  });

  test('a journal folder that is not shared: validateEnv fails naming the hosts and the folder, start starts no master', async () => {
    // format pushes the install (the checks are the hosts' own CLI); it formats the folder once, on h1.
    let r = await run(['format']);
    await ok(r);
    assert.match(r.stdout, /^h1\s+format journal\s+changed\s+formatted/m);
    for (const h of ['h2', 'h3']) assert.match(r.stdout, new RegExp(`^${h}\\s+format journal\\s+ok\\s+shared journal /tmp/alluxio-journal: formatted once, by h1$`, 'm'));

    r = await run(['validateEnv', 'masters']);
    await ok(r, 1);
    for (const h of MASTERS) assert.match(r.stdout, new RegExp(`^${h}\\s+zookeeper\\s+ok\\s+1 of 1 ZooKeeper member\\(s\\) answer`, 'm'), r.stdout);
    assert.match(r.stdout, /^h1\s+journal\.shared\s+ok\s+wrote a marker into \/tmp\/alluxio-journal$/m);
    for (const h of ['h2', 'h3']) {
      assert.match(r.stdout, new RegExp(`^${h}\\s+journal\\.shared\\s+failed\\s+`, 'm'));
      assert.match(r.stderr + r.stdout, new RegExp(`the journal folder /tmp/alluxio-journal on ${h} is not the storage h1 writes`));
    }
    assert.match(r.stderr + r.stdout, /every master needs alluxio\.master\.journal\.folder on storage all of them share/);

    r = await run(['start', 'all']);
    await ok(r, 1);
    for (const h of MASTERS) assert.match(r.stdout, new RegExp(`^${h}\\s+start master\\s+skipped\\s+not started: the ZooKeeper-mode checks above failed$`, 'm'), r.stdout);
    for (const h of MASTERS) assert.equal((await hosts.run(h, ['sh', '-c', 'test -e /opt/alluxio/run/master.pid && cat /opt/alluxio/run/master.pid || true'])).stdout.trim(), '', `no master on ${h}`);
  });

  test('shared folder: validateEnv passes the ZooKeeper checks, format once, start all waits for a leader, runTests', async () => {
    props['alluxio.master.journal.folder'] = path.join(hosts.dir, 'journal');
    writeSite();
    let r = await run(['validateEnv', 'masters']);
    for (const h of MASTERS) assert.match(r.stdout, new RegExp(`^${h}\\s+zookeeper\\s+ok\\s+`, 'm'), r.stdout);
    for (const h of ['h2', 'h3']) assert.match(r.stdout, new RegExp(`^${h}\\s+journal\\.shared\\s+ok\\s+sees the marker h1 wrote into `, 'm'), r.stdout);
    await ok(r);
    assert.deepEqual(fs.readdirSync(path.join(hosts.dir, 'journal')).filter((n) => n.startsWith('.alluxio-same-storage-')), [], 'the marker is removed');

    r = await run(['format']);
    await ok(r);
    assert.match(r.stdout, /^h1\s+format journal\s+changed\s+formatted/m);
    for (const h of ['h2', 'h3']) assert.match(r.stdout, new RegExp(`^${h}\\s+format journal\\s+ok\\s+shared journal .*: formatted once, by h1$`, 'm'));

    const t0 = Date.now();
    r = await run(['start', 'all']);
    await ok(r);
    console.log(`start all (ZooKeeper mode, 3 masters + 1 worker): ${Date.now() - t0} ms`);
    for (const h of MASTERS) assert.match(r.stdout, new RegExp(`^${h}\\s+start master\\s+changed\\s+master started$`, 'm'));
    assert.match(r.stdout, /^h[123]\s+leader\s+ok\s+h[123]:19998 leads$/m);
    assert.match(r.stdout, /^h4\s+start worker\s+changed\s+worker started$/m);
    const leader = await leaderNow();
    assert.ok(leader);
    const l = await run(['fs', 'leader']);
    await ok(l);
    assert.equal(l.stdout, `${leader}\n`);
    await waitFor('the worker live', async () => ((await info(leader)).liveWorkers.length === 1 ? true : undefined));
    const tests = await run(['runTests']);
    await ok(tests);
    assert.equal(passed(tests.stdout), 24);
    // formatJournal on a host without a master (h4) while the masters run: refused, the shared folder is theirs.
    const fj = await hosts.run('h4', ['/opt/alluxio/bin/alluxio', 'formatJournal'], { timeoutMs: 60_000 });
    assert.notEqual(fj.code, 0, fj.stdout + fj.stderr);
    assert.match(fj.stderr, /refusing to format the shared journal folder .*: masters are running in ZooKeeper mode \(h1:19998, h2:19998, h3:19998\)/);
    assert.ok(fs.existsSync(path.join(hosts.dir, 'journal', '.alluxio-journal')), 'the shared journal is still formatted');
    const rep = await run(['fsadmin', 'report']);
    await ok(rep);
    assert.match(rep.stdout, /Zookeeper Enabled: true/);
    // Every master of the election is listed (no alluxio.master.rpc.addresses in this conf).
    for (const h of MASTERS) assert.match(rep.stdout, new RegExp(`^    ${h}:19998\\s+(LEADER|STANDBY)\\s`, 'm'), rep.stdout);
    const doc = await run(['fsadmin', 'doctor', 'configuration']);
    await ok(doc);
  });

  test('kill -9 of the leader host: a new leader after the session timeout, runTests passes, start masters brings it back', async () => {
    const first = await waitFor('a leader', () => leaderNow());
    const t0 = Date.now();
    assert.ok((await hosts.crash(first)).length >= 1);
    const second = await waitFor('a new leader', () => leaderNow(MASTERS.filter((h) => h !== first)));
    console.log(`kill -9 of the leader ${first}: ${second} leads after ${Date.now() - t0} ms (session timeout ${SESSION_MS} ms)`);
    await waitFor('the worker live on the new leader', async () => ((await info(second)).liveWorkers.length === 1 ? true : undefined));
    const tests = await run(['runTests']);
    await ok(tests);
    assert.equal(passed(tests.stdout), 24);
    const r = await run(['start', 'masters']);
    await ok(r);
    assert.match(r.stdout, new RegExp(`^${first}\\s+start master\\s+changed\\s+master started$`, 'm'));
    const back = await waitFor(`${first} back as a standby`, async () => { const i = await info(first).catch(() => undefined); return i?.leaderAddress ? i : undefined; });
    assert.equal(back.isLeader, false);
  });

  test('rolling restart of the masters after a MASTER key change: standbys first, the leader last, then stop all', async () => {
    const leader = await waitFor('a leader', () => leaderNow());
    const pids = new Map<string, number | undefined>();
    for (const h of MASTERS) pids.set(h, (await info(h)).pid);
    props['alluxio.master.worker.timeout'] = '3s';
    writeSite();
    // Watch the leadership meanwhile (bounded by the run): the longest time no master led.
    let running = true;
    let noLeaderSince: number | undefined;
    let longestGap = 0;
    const watch = (async () => {
      while (running) {
        const now = Date.now();
        if (await leaderNow()) { if (noLeaderSince !== undefined) longestGap = Math.max(longestGap, now - noLeaderSince); noLeaderSince = undefined; } else noLeaderSince ??= now;
        await new Promise((res) => setTimeout(res, 50));
      }
    })();
    const t0 = Date.now();
    const r = await run(['rollingRestart', 'masters']).finally(() => { running = false; });
    await watch;
    await ok(r);
    console.log(`rollingRestart masters (ZooKeeper mode): ${Date.now() - t0} ms; longest time without a leader (the old leader's clean stop): ${longestGap} ms (session timeout ${SESSION_MS} ms)`);
    const order = [...r.stdout.matchAll(/^Step \d+\/\d+: restart (standby|leader) master master on (h\d)/gm)].map((m) => `${m[1]} ${m[2]}`);
    assert.equal(order.length, 3, r.stdout);
    assert.equal(order[2], `leader ${leader}`, r.stdout);
    assert.doesNotMatch(r.stdout, /quorum elect/);
    for (const h of MASTERS) assert.notEqual((await info(h)).pid, pids.get(h), `${h} restarted`);
    const now = await waitFor('a leader', () => leaderNow());
    assert.notEqual(now, leader, 'the old leader handed over when it stopped');
    const gc = await run(['getConf', 'alluxio.master.worker.timeout']);
    await ok(gc);
    assert.equal(gc.stdout.trim(), '3s');
    const tests = await run(['runTests']);
    await ok(tests);
    assert.equal(passed(tests.stdout), 24);

    const stop = await run(['stop', 'all']);
    await ok(stop);
    for (const h of MASTERS) assert.match(stop.stdout, new RegExp(`^${h}\\s+stop master\\s+changed\\s+master stopped$`, 'm'));
  });
});
