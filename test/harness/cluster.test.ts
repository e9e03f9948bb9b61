/**
 * The cluster harness itself: a port taken between setup() and start() (another test process
 * bound it) does not fail the run, and a process that dies while starting is reported at once
 * with its log, not after the wait's time-out; ports drawn by one test process are never drawn by
 * another running at the same time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { TestCluster, getJson, freePort, reservePort, runNode } from './cluster.js';

function occupy(port: number): Promise<net.Server> {
  const s = net.createServer();
  return new Promise((resolve, reject) => { s.once('error', reject); s.listen(port, () => resolve(s)); });
}

test('a port taken before start(): start retries with fresh ports and the cluster serves', async (t) => {
  const c = await new TestCluster({ workers: 1 }).setup();
  t.after(() => c.stop());
  const taken = [c.masterRpc, c.workerPorts[0]!.web];
  const blockers = await Promise.all(taken.map(occupy));
  t.after(() => { for (const b of blockers) b.close(); });
  await c.start();
  assert.ok(!taken.includes(c.masterRpc) && !taken.includes(c.workerPorts[0]!.web), `ports ${taken.join(', ')} reassigned`);
  const info = await getJson(`http://127.0.0.1:${c.masterWeb}/api/v1/master/info`);
  assert.equal(info.isLeader, true);
  assert.equal(info.liveWorkers.length, 1);
  assert.deepEqual(c.unexpectedExits, [], 'the failed attempts are not counted as crashes');
  const r = await c.cli(['fs', 'mkdir', '/after-retry']);
  assert.equal(r.code, 0, r.stderr);
});

test('a restart on a port taken meanwhile fails at once, naming the exit and the log', async (t) => {
  const c = await (await new TestCluster({ workers: 0 }).setup()).start();
  t.after(() => c.stop());
  await c.kill('master');
  const blocker = await occupy(c.masterRpc);
  t.after(() => blocker.close());
  await assert.rejects(c.startMaster(), (e: Error) => {
    assert.match(e.message, /^gave up waiting for master 0 to lead: master 0 exited with 1:\n/);
    assert.match(e.message, /EADDRINUSE/);
    return true;
  });
});

test('a port drawn by one test process is reserved: another process cannot draw it; a dead holder\'s is taken over', async () => {
  const port = await freePort();
  assert.equal(reservePort(port), false, 'never handed out twice in one process');
  const other = (p: number) => runNode(['--input-type=module', '-e',
    `import { reservePort } from ${JSON.stringify(new URL('./cluster.js', import.meta.url).href)}; console.log(reservePort(${p}));`], process.env, 30_000);
  let r = await other(port);
  assert.equal(r.stdout, 'false\n', r.stderr);
  // A reservation left by a process that is gone (killed before it could clean up).
  let stale = 0;
  for (let i = 0; i < 100 && !stale; i++) {
    const p = 22_000 + Math.floor(Math.random() * 7000);
    const f = path.join(os.tmpdir(), 'alluxio-test-ports', String(p));
    if (!fs.existsSync(f)) { fs.writeFileSync(f, '2147483646'); stale = p; }
  }
  r = await other(stale);
  assert.equal(r.stdout, 'true\n', r.stderr);
  assert.equal(fs.existsSync(path.join(os.tmpdir(), 'alluxio-test-ports', String(stale))), false, 'released when that process exited');
});
