/**
 * addMaster / removeMaster over SSH test hosts: 3 masters (h1-h3) + 1 worker (h6) grow to 5
 * (addMaster h4, addMaster h5: each new journal catches up by snapshot, the leader's log being
 * compacted every 20 entries) and shrink back to 3 (removeMaster of the leader, then of another),
 * online, with a client writing before, during and after. Every acknowledged write is readable at
 * the end; quorum info names the right members; the masters kept throughout kept their journals
 * (never reformatted); an unsafe removal (another master down) is refused and changes nothing.
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
const WORKER = 'h6';
const MARKER = '/opt/alluxio/journal/.alluxio-journal';

interface Quorum { leader: string; members: { address: string; available: boolean; recovering?: boolean }[] }

describe('addMaster / removeMaster over SSH: 3 -> 5 -> 3 masters online', { skip, timeout: 900_000 }, () => {
  let hosts: TestHosts;
  let confDir: string;
  let masters = ['h1', 'h2', 'h3'];
  const site = () => [
    'alluxio.home=/opt/alluxio',
    `alluxio.master.mount.table.root.ufs=${path.join(hosts.dir, 'ufs')}`,
    `alluxio.master.embedded.journal.addresses=${masters.map((h) => `${h}:19200`).join(',')}`,
    'alluxio.master.journal.checkpoint.period.entries=20',
    'alluxio.worker.tieredstore.level0.dirs.path=/tmp/alluxio-ramdisk',
    'alluxio.worker.ramdisk.size=32MB',
    'alluxio.user.block.size.bytes.default=1MB',
    'alluxio.user.rpc.retry.max.duration=30s',
    'alluxio.worker.block.heartbeat.interval=200ms',
    'alluxio.master.worker.timeout=5s',
    'alluxio.master.lost.worker.detection.interval=200ms',
    '',
  ].join('\n');
  /** conf/ as the operator edits it: conf/masters and the journal addresses name `list`. */
  const setMasters = (list: string[]) => {
    masters = list;
    fs.writeFileSync(path.join(confDir, 'alluxio-site.properties'), site());
    fs.writeFileSync(path.join(confDir, 'masters'), `${list.join('\n')}\n`);
  };
  const { run, ok, waitFor } = hostsCli(() => ({ hosts, confDir }), ['h1', 'h2', 'h3', 'h4', 'h5'], { runTimeoutMs: 400_000 });
  const quorum = async (): Promise<Quorum> => {
    const r = await run(['fsadmin', 'journal', 'quorum', 'info', '-domain', 'MASTER', '--json'], 60_000);
    await ok(r);
    return JSON.parse(r.stdout) as Quorum;
  };
  const leaderHost = async () => (await quorum()).leader.split(':')[0]!;
  const marker = async (h: string) => (await hosts.run(h, ['cat', MARKER])).stdout;

  /** A client writing (fs mkdir) in a loop; `acked` holds every directory whose mkdir succeeded. */
  const acked: string[] = [];
  const failures: string[] = [];
  let writing = false;
  let loop: Promise<void> | undefined;
  const startWriter = (prefix: string) => {
    writing = true;
    loop = (async () => {
      for (let i = 0; writing && i < 10_000; i++) {
        const p = `/${prefix}-${i}`;
        const r = await run(['fs', 'mkdir', p], 120_000);
        if (r.code === 0) acked.push(p); else failures.push(`${p}: exit ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
  };
  const stopWriter = async () => { writing = false; await loop; };
  const timings: string[] = [];
  const timed = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try { return await fn(); } finally { timings.push(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`); }
  };

  before(async () => {
    assertRoot(NEEDS);
    hosts = await TestHosts.create(6);
    confDir = path.join(hosts.dir, 'conf');
    fs.mkdirSync(confDir);
    fs.mkdirSync(path.join(hosts.dir, 'ufs'));
    setMasters(['h1', 'h2', 'h3']);
    fs.writeFileSync(path.join(confDir, 'workers'), `${WORKER}\n`);
  });

  after(async () => {
    writing = false;
    await loop?.catch(() => undefined);
    console.log(`membership e2e figures: ${timings.join('; ')}; acknowledged writes ${acked.length}, failed ${failures.length}${failures.length ? ` (${failures.slice(0, 5).join(' | ')})` : ''}`);
    if (hosts) {
      await run(['stop', 'all'], 120_000).catch(() => undefined);
      for (const h of ['h4', 'h5', 'h1', 'h2', 'h3']) await hosts.run(h, ['/opt/alluxio/bin/alluxio', 'stop', 'master'], { timeoutMs: 60_000 }).catch(() => undefined);
      await hosts.destroy();
    }
  });

  let kept: Record<string, string> = {};

  test('start 3 masters + 1 worker; write; addMaster refuses until conf/ names the host', async () => {
    await ok(await run(['format']));
    await ok(await run(['start', 'all']));
    for (let i = 0; i < 30; i++) await ok(await run(['fs', 'mkdir', `/before-${i}`]));
    acked.push(...Array.from({ length: 30 }, (_, i) => `/before-${i}`));
    kept = Object.fromEntries(await Promise.all(['h1', 'h2', 'h3'].map(async (h) => [h, await marker(h)])));
    for (const h of ['h1', 'h2', 'h3']) assert.match(kept[h]!, /"clusterId"/);

    let r = await run(['addMaster', 'h4']);
    await ok(r, 1);
    assert.match(r.stderr, /h4 is not in .*\/conf\/masters: add it there first/);
    fs.writeFileSync(path.join(confDir, 'masters'), 'h1\nh2\nh3\nh4\n');
    r = await run(['addMaster', 'h4']);
    await ok(r, 1);
    assert.match(r.stderr, /alluxio\.master\.embedded\.journal\.addresses \(h1:19200,h2:19200,h3:19200\) has no entry for h4/);
    assert.equal((await quorum()).members.length, 3, 'nothing changed');
  });

  test('grow 3 -> 5 with addMaster twice while a client writes: the new journals catch up by snapshot', async () => {
    startWriter('grow');
    try {
      setMasters(['h1', 'h2', 'h3', 'h4']);
      const dry = await run(['addMaster', 'h4', '--dry-run']);
      await ok(dry);
      assert.match(dry.stdout, /^\d+\. format the journal of the new master h4:19200 on h4/m);
      assert.equal((await quorum()).members.length, 3, 'the dry run changed nothing');

      const r = await timed('addMaster h4', () => run(['addMaster', 'h4']));
      await ok(r);
      assert.match(r.stdout, /caught up in [\d.]+ s/);
      let q = await quorum();
      assert.deepEqual(q.members.map((m) => m.address).sort(), ['h1:19200', 'h2:19200', 'h3:19200', 'h4:19200']);
      assert.ok(q.members.every((m) => m.available && !m.recovering), JSON.stringify(q));
      const h4log = (await hosts.run('h4', ['cat', '/opt/alluxio/logs/master.log'])).stdout;
      assert.match(h4log, /re-seeded; rejoining the cluster as a recovering member/);
      assert.match(h4log, /installed the leader's snapshot at index \d+/, 'caught up by snapshot (the log was compacted)');
      // A rerun resumes: h4 is a member, so nothing is formatted or added again and nothing restarts.
      const again = await timed('addMaster h4 again (resume)', () => run(['addMaster', 'h4']));
      await ok(again);
      assert.match(again.stdout, /h4:19200 is a member already/);
      assert.match(again.stdout, /roll: nothing to restart/);
      assert.doesNotMatch(again.stdout, /formatJournal|quorumAdd/);

      setMasters(['h1', 'h2', 'h3', 'h4', 'h5']);
      const r5 = await timed('addMaster h5', () => run(['addMaster', 'h5', '--json']));
      await ok(r5);
      const j = JSON.parse(r5.stdout) as { steps: { kind: string; status: string }[] };
      assert.deepEqual(j.steps.map((s) => `${s.kind}:${s.status}`), ['push:done', 'formatJournal:done', 'startMaster:done', 'quorumAdd:done', 'waitCaughtUp:done', 'roll:done']);
      q = await quorum();
      assert.deepEqual(q.members.map((m) => m.address).sort(), ['h1:19200', 'h2:19200', 'h3:19200', 'h4:19200', 'h5:19200']);
      // Every step is in the audit log of the new host.
      const audit = (await hosts.run('h5', ['cat', '/opt/alluxio/logs/audit.log'])).stdout;
      assert.match(audit, /"alluxio addMaster h5 --json" OK quorum add h5:19200/);
    } finally {
      await stopWriter();
    }
    for (const h of ['h1', 'h2', 'h3']) assert.equal(await marker(h), kept[h], `${h}'s journal was not reformatted`);
  });

  test('an unsafe removal is refused and changes nothing: 5 -> 4 with two others down', async () => {
    const leader = await leaderHost();
    const others = ['h1', 'h2', 'h3', 'h4', 'h5'].filter((h) => h !== leader);
    const [victim, down1, down2] = others as [string, string, string];
    await hosts.crash(down1);
    await hosts.crash(down2);
    await waitFor(`${down1} and ${down2} shown unavailable`, async () => {
      const q = await quorum();
      return q.members.filter((m) => !m.available).length === 2 ? true : undefined;
    });
    setMasters(['h1', 'h2', 'h3', 'h4', 'h5'].filter((h) => h !== victim));
    const r = await run(['removeMaster', victim]);
    await ok(r, 1);
    assert.match(r.stderr, new RegExp(`removing ${victim}:19200 would leave the quorum unable to elect: the 4 members left need 3 up to date, and 2 are`));
    assert.equal((await quorum()).members.length, 5, 'nothing changed');
    assert.equal((await hosts.run(victim, ['sh', '-c', 'kill -0 $(cat /opt/alluxio/run/master.pid)'])).code, 0, `${victim}'s master still runs`);
    setMasters(['h1', 'h2', 'h3', 'h4', 'h5']);
    await ok(await run(['start', 'masters']));
    await waitFor('every member available again', async () => ((await quorum()).members.every((m) => m.available && !m.recovering) ? true : undefined));
  });

  test('shrink 5 -> 3 with removeMaster twice (the leader first) while a client writes', async () => {
    startWriter('shrink');
    let removed: string[] = [];
    try {
      const leader = await leaderHost();
      setMasters(['h1', 'h2', 'h3', 'h4', 'h5'].filter((h) => h !== leader));
      const r = await timed(`removeMaster ${leader} (the leader)`, () => run(['removeMaster', leader]));
      await ok(r);
      assert.match(r.stdout, new RegExp(`transfer leadership from ${leader}:19200`));
      assert.match(r.stdout, new RegExp(`The journal of ${leader} was left on disk \\(/opt/alluxio/journal\\); nothing was deleted\\. To reclaim the space once you are sure: ssh ${leader} rm -rf /opt/alluxio/journal`));
      removed.push(leader);
      let q = await quorum();
      assert.equal(q.members.length, 4);
      assert.notEqual(q.leader, `${leader}:19200`);

      // The second: an added one if the first was an original, so that h1-h3 minus one... keep 3.
      const second = ['h5', 'h4'].find((h) => !removed.includes(h))!;
      setMasters(masters.filter((h) => h !== second));
      const r2 = await timed(`removeMaster ${second}`, () => run(['removeMaster', second]));
      await ok(r2);
      removed.push(second);
      const again = await run(['removeMaster', second]);
      await ok(again);
      assert.match(again.stdout, new RegExp(`no member of the quorum runs on ${second}`));
      assert.match(again.stdout, /stopMaster: no master was running/);
      q = await quorum();
      const left = ['h1', 'h2', 'h3', 'h4', 'h5'].filter((h) => !removed.includes(h));
      assert.deepEqual(q.members.map((m) => m.address).sort(), left.map((h) => `${h}:19200`));
      for (const h of removed) {
        assert.notEqual((await hosts.run(h, ['sh', '-c', 'kill -0 $(cat /opt/alluxio/run/master.pid) 2>/dev/null'])).code, 0, `${h}'s master was stopped`);
        assert.match(await marker(h), /"clusterId"/, `${h}'s journal is left on disk`);
      }
    } finally {
      await stopWriter();
    }
    // Masters kept from the start were never reformatted.
    for (const h of ['h1', 'h2', 'h3'].filter((x) => !removed.includes(x))) assert.equal(await marker(h), kept[h], `${h}'s journal was not reformatted`);
    startWriter('after');
    await new Promise((res) => setTimeout(res, 3000));
    await stopWriter();
  });

  test('every acknowledged write is readable', async () => {
    const ls = await run(['fs', 'ls', '/']);
    await ok(ls);
    const listed = new Set(ls.stdout.split('\n').map((l) => l.trim().split(/\s+/).pop()));
    const missing = acked.filter((p) => !listed.has(p));
    assert.deepEqual(missing, [], `acknowledged but missing:\n${ls.stdout}`);
    assert.ok(acked.some((p) => p.startsWith('/grow-')) && acked.some((p) => p.startsWith('/shrink-')) && acked.some((p) => p.startsWith('/after-')),
      `writes were acknowledged before, during and after: ${acked.length}`);
  });
});
