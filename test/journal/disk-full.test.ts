/**
 * A full journal disk on the embedded (Raft) journal (issue #10, defect 6): masters whose journal
 * folders are small tmpfs mounts fill up. Writes are refused with an error naming the master and
 * folder, the refusal shows in the master's info, nothing acknowledged is lost, and the cluster
 * resumes by itself when space returns; with one full disk another master takes over.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { TestCluster, waitFor, getJson } from '../harness/cluster.js';
import { needsRoot } from '../harness/root.js';

describe('embedded journal on full disks', { skip: needsRoot('mounts tmpfs journal folders') }, () => {
  const c = new TestCluster({ masters: 3, workers: 1, journalTmpfs: '16m', props: { 'alluxio.user.rpc.retry.max.duration': '10s' } });
  const acked: string[] = [];
  const fillers: string[] = [];
  const mkdir = (p: string) => c.cli(['fs', 'mkdir', p], 60_000);
  const info = (i: number) => getJson(`http://127.0.0.1:${c.masterPorts[i]!.web}/api/v1/master/info`);
  before(async () => {
    await c.setup();
    await c.start();
    for (let i = 0; i < 5; i++) {
      const r = await mkdir(`/before${i}`);
      assert.equal(r.code, 0, r.stderr);
      acked.push(`/before${i}`);
    }
  });
  after(async () => {
    for (const f of fillers) fs.rmSync(f, { force: true });
    await c.stop();
  });
  const fill = (i: number) => {
    const f = path.join(c.journalDisks[i]!.dir, 'filler');
    c.journalDisks[i]!.fill(f);
    fillers.push(f);
    return f;
  };

  test('every disk full: writes refused with the master and folder named, shown in its info; resumed when space returns', async () => {
    const files = [0, 1, 2].map(fill);
    // Writes until the full disks are hit (a few may still fit in a partly used page).
    let refused: { code: number; stderr: string } | undefined;
    for (let i = 0; i < 200 && !refused; i++) {
      const r = await mkdir(`/full${i}`);
      if (r.code === 0) acked.push(`/full${i}`);
      else refused = r;
    }
    assert.ok(refused, 'no write was refused');
    assert.doesNotMatch(refused.stderr, /\n\s+at /, 'no stack trace');
    // Refused by a leader that cannot write, or no leader because its followers cannot: either
    // way the error names a master and its folder.
    assert.match(refused.stderr, /master localhost:\d+ cannot write its journal: \S+journal\d? is full \(ENOSPC\)/,
      `refusal:\n${refused.stderr}\n${c.logs().slice(-5000)}`);
    await waitFor('a master to report its full journal', async () => {
      for (let i = 0; i < 3; i++) if ((await info(i).catch(() => ({}))).journalWriteError?.includes('is full')) return true;
      return false;
    }, 20_000);
    for (const f of files) fs.rmSync(f, { force: true });
    // No restart: writes go through again.
    await waitFor('writes to resume', async () => (await mkdir(`/after-${Date.now()}`)).code === 0, 60_000);
    // Each master retries its save with a backoff of at most 2 s.
    for (let i = 0; i < 3; i++) await waitFor(`master ${i} to write again`, async () => (await info(i)).journalWriteError === '', 15_000);
    const ls = await c.cli(['fs', 'ls', '/']);
    for (const p of acked) assert.match(ls.stdout, new RegExp(` ${p}$`, 'm'), `acknowledged ${p} lost\n${ls.stdout}`);
    assert.deepEqual(c.unexpectedExits, []);
  });

  test("the leader's disk full: another master takes over and writes go on", async () => {
    const leader = await c.waitLeader();
    const f = fill(leader);
    // Write until the leader's disk is really full (the last partly used page may still take a
    // few entries): a write then fails, or is taken by a new leader.
    for (let i = 0; i < 300 && (await info(leader)).journalWriteError === '' && (await c.waitLeader()) === leader; i++) await mkdir(`/filling${i}`);
    await waitFor('a write while the old leader cannot write', async () => (await mkdir(`/moved-${Date.now()}`)).code === 0, 60_000);
    const now = await c.waitLeader();
    assert.notEqual(now, leader, 'another master leads');
    fs.rmSync(f, { force: true });
    await waitFor(`master ${leader} to write again`, async () => (await info(leader)).journalWriteError === '', 30_000);
    // Every master converges on one namespace.
    await waitFor('one namespace', async () => {
      const d = await Promise.all(c.masterPorts.map((p) => getJson(`http://127.0.0.1:${p.web}/api/v1/master/namespace/digest`)));
      return new Set(d.map((x) => x.digest)).size === 1;
    }, 30_000);
    assert.deepEqual(c.unexpectedExits, []);
  });
});
