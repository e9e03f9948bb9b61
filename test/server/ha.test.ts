/**
 * Three masters on the embedded Raft journal (real processes on loopback) and one worker: one
 * leader serves, standbys redirect, kill -9 of the leader under a write load loses no
 * acknowledged write, the old leader rejoins as a standby.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { TestCluster, waitFor, getJson } from '../harness/cluster.js';
import { killLeaderUnderWrites } from '../harness/failover.js';

const c = new TestCluster({ masters: 3, workers: 1, props: { 'alluxio.user.rpc.retry.max.duration': '15s' } });
before(async () => { await c.setup(); await c.start(); });
after(async () => { await c.stop(); });

function ok(r: { code: number; stdout: string; stderr: string }, code = 0): void {
  assert.equal(r.code, code, `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\n${c.logs()}`);
}

test('one leader serves; standbys say so and name it; the CLI follows the leader', async () => {
  const leader = await c.waitLeader();
  const infos = await Promise.all(c.masterPorts.map((p) => getJson(`http://127.0.0.1:${p.web}/api/v1/master/info`)));
  assert.deepEqual(infos.map((i) => i.isLeader), [0, 1, 2].map((i) => i === leader));
  for (const i of infos) assert.equal(i.leaderAddress, `localhost:${c.masterPorts[leader]!.rpc}`);
  const standby = (leader + 1) % 3;
  const html = await (await fetch(`http://127.0.0.1:${c.masterPorts[standby]!.web}/`)).text();
  assert.match(html, /<b>This master is a standby<\/b>; the leader is <a href=/);
  assert.ok(html.includes(`href="http://localhost:${c.masterPorts[leader]!.web}/"`), html);
  const l = await c.cli(['fs', 'leader']);
  ok(l);
  assert.equal(l.stdout, 'localhost\n');
  await c.waitLiveWorkers(1, 'worker registered with the leader');
  const r = await c.cli(['runTests']);
  ok(r);
  assert.equal((r.stdout.match(/^Passed the test!$/gm) ?? []).length, 24);
});

test('kill -9 of the leader under writes, 10 times in a row: a new leader serves each time, no acknowledged write is lost, old leaders rejoin as standbys', async () => {
  const { acked, rounds, writerErrors } = await killLeaderUnderWrites(c, { dir: '/ha', rounds: 10 });
  assert.ok(acked.length > 200, `only ${acked.length} acknowledged:\n${writerErrors}`);
  const ls = await c.cli(['fs', 'ls', '/ha']);
  ok(ls);
  const present = new Set(ls.stdout.trim().split('\n').map((l) => l.split(/\s+/).at(-1)));
  assert.deepEqual(acked.filter((p) => !present.has(p)), [], `acknowledged writes lost\n${rounds.join('\n')}\n${c.logs()}`);

  await c.waitLiveWorkers(1, 'worker registered with the leader');
  const r = await c.cli(['runTests', '--operation', 'BASIC']);
  ok(r);
});

test('fsadmin journal quorum: info, elect, remove and add', async () => {
  const j = (i: number) => `localhost:${c.masterPorts[i]!.journal}`;
  let leader = await c.waitLeader();
  await waitFor('every member available with no lag', async () => {
    const r = await c.cli(['fsadmin', 'journal', 'quorum', 'info', '-domain', 'MASTER']);
    return r.code === 0 && (r.stdout.match(/^AVAILABLE +\| 0 +\| \S+ +\| (LEADER|FOLLOWER) +\| \d+ +\| 0$/gm) ?? []).length === 3;
  }, 20_000);
  const info = await c.cli(['fsadmin', 'journal', 'quorum', 'info', '-domain', 'MASTER']);
  ok(info);
  assert.match(info.stdout, new RegExp(`^Journal domain\\t: MASTER\\nQuorum size\\t: 3\\nQuorum leader\\t: ${j(leader)}\\n\\nSTATE +\\| PRIORITY \\| SERVER ADDRESS +\\| ROLE +\\| MATCH +\\| LAG\\n`));
  assert.match(info.stdout, new RegExp(`^AVAILABLE +\\| 0 +\\| ${j(leader)} +\\| LEADER +\\| \\d+ +\\| 0$`, 'm'));

  const target = (leader + 1) % 3;
  const t0 = Date.now();
  const elect = await c.cli(['fsadmin', 'journal', 'quorum', 'elect', '-address', j(target)]);
  ok(elect);
  assert.equal(elect.stdout, `Successfully elected ${j(target)} as the new leader\n`);
  assert.ok(Date.now() - t0 < 30_000);
  leader = await c.waitLeader();
  assert.equal(leader, target);
  const bad = await c.cli(['fsadmin', 'journal', 'quorum', 'elect', '-address', 'localhost:1']);
  ok(bad, 1);
  assert.match(bad.stderr, /^Failed to elect localhost:1 as the new leader: localhost:1 is not a member of the quorum$/m);

  const follower = (leader + 1) % 3;
  const rm = await c.cli(['fsadmin', 'journal', 'quorum', 'remove', '-domain', 'MASTER', '-address', j(follower)]);
  ok(rm);
  assert.equal(rm.stdout, `Removed server at: ${j(follower)} from quorum: MASTER\n`);
  assert.match((await c.cli(['fsadmin', 'journal', 'quorum', 'info', '-domain', 'MASTER'])).stdout, /^Quorum size\t: 2$/m);
  ok(await c.cli(['fs', 'mkdir', '/after-remove']));
  const add = await c.cli(['fsadmin', 'journal', 'quorum', 'add', '-domain', 'MASTER', '-address', j(follower)]);
  ok(add);
  assert.equal(add.stdout, `Added server at: ${j(follower)} to quorum: MASTER\n`);
  await waitFor('re-added member caught up', async () => {
    const r = await c.cli(['fsadmin', 'journal', 'quorum', 'info', '-domain', 'MASTER']);
    return new RegExp(`^AVAILABLE +\\| 0 +\\| ${j(follower)} +\\| FOLLOWER +\\| \\d+ +\\| 0$`, 'm').test(r.stdout) && /^Quorum size\t: 3$/m.test(r.stdout);
  }, 20_000);
});

test('a multi-block write survives a leader kill in the middle and reads back intact', async () => {
  const leader = await c.waitLeader();
  await c.waitLiveWorkers(1, 'worker registered with the leader');
  const data = Buffer.alloc(6 * 1024 * 1024);
  for (let i = 0; i < data.length; i += 4) data.writeUInt32LE(i, i);
  // The CLI copies from a named pipe: once it has read the first half, the file is created and
  // being written; the leader dies then, and only then does the second half follow.
  const fifo = path.join(c.dir, 'big.fifo');
  execFileSync('mkfifo', [fifo]);
  const copy = c.cli(['fs', 'copyFromLocal', '--writeType', 'MUST_CACHE', fifo, '/ha-big.bin']);
  const feed = fs.createWriteStream(fifo);
  feed.on('error', () => {}); // each write's callback gets its error (reported below)
  const send = (b: Buffer) => new Promise<void>((resolve, reject) => feed.write(b, (e) => (e ? reject(e) : resolve())));
  // A feed that fails (EPIPE: the CLI closed the pipe) is reported with what the CLI said.
  const feeding = async (what: string, step: () => Promise<unknown>): Promise<unknown> => {
    try { return await step(); } catch (e) {
      const r = await Promise.race([copy, sleep(10_000).then(() => 'still running 10 s later')]);
      assert.fail(`feeding the ${what} to the copy failed (${(e as Error).message}); the copy: ${JSON.stringify(r)}`);
    }
  };
  try {
    const half = await feeding('first half', () => Promise.race([send(data.subarray(0, data.length / 2)).then(() => undefined), copy]));
    assert.equal(half, undefined, `the copy ended before it read half of the file: ${JSON.stringify(half)}`);
    await c.kill('master', leader, 'SIGKILL');
    await feeding('second half', async () => {
      await send(data.subarray(data.length / 2));
      feed.end();
      await once(feed, 'close');
    });
  } finally {
    // Never leave a write blocked on a pipe nobody reads: a reader that closes at once ends it (EPIPE).
    if (!feed.closed) { feed.on('error', () => {}); fs.closeSync(fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK)); feed.destroy(); }
  }
  const r = await copy;
  ok(r);
  await c.waitLeader();
  const back = path.join(c.dir, 'big.back');
  ok(await c.cli(['fs', 'copyToLocal', '/ha-big.bin', back]));
  assert.ok(fs.readFileSync(back).equals(data));
  await c.startMaster(leader);
});

test('all three masters killed at once and restarted: the namespace is intact', async () => {
  const before = await c.cli(['fs', 'ls', '-R', '/']);
  ok(before);
  await Promise.all([0, 1, 2].map((i) => c.kill('master', i, 'SIGKILL')));
  await Promise.all([0, 1, 2].map((i) => c.startMaster(i)));
  await c.waitLeader();
  const afterLs = await c.cli(['fs', 'ls', '-R', '/']);
  ok(afterLs);
  const names = (s: string) => s.trim().split('\n').map((l) => l.split(/\s+/).at(-1)).sort();
  assert.deepEqual(names(afterLs.stdout), names(before.stdout));
  await c.waitLiveWorkers(1, 'worker re-registered');
  const back = path.join(c.dir, 'big.back2');
  ok(await c.cli(['fs', 'copyToLocal', '/ha-big.bin', back]));
  assert.equal(fs.statSync(back).size, 6 * 1024 * 1024);
});
