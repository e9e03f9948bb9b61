/**
 * Leader discovery with a frozen master (SIGSTOP), on real processes: three masters on the
 * embedded journal and one worker. A frozen standby costs a new client nothing; a frozen leader
 * costs the election, for clients and for the worker alike; a URI naming only a standby follows
 * its hint to the leader.
 *
 * The configuration makes waiting for a frozen master fail instead of merely being slow: every
 * call may wait 120 s for an answer (alluxio.user.master.polling.timeout), the whole retry budget
 * is 60 s (alluxio.user.rpc.retry.max.duration), and the CLI is given 30 s, half the budget (a
 * loose bound: these commands take about a second). A client that waits for the frozen master
 * spends its whole budget on it and is stopped; a worker that waits for its frozen leader never
 * registers with the new one, and the write fails with "No live worker". Elapsed times are
 * printed, never asserted.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { TestCluster, waitFor, getJson, ROOT, type CliResult } from '../harness/cluster.js';
import { loadConfig } from '../../src/conf/index.js';
import { FileSystem } from '../../src/client/fileSystem.js';

const CLI_BOUND_MS = 30_000;
const c = new TestCluster({
  masters: 3, workers: 1,
  props: { 'alluxio.user.master.polling.timeout': '120s', 'alluxio.user.rpc.retry.max.duration': '60s' },
});
before(async () => { await c.setup(); await c.start(); });
after(async () => {
  for (let i = 0; i < 3; i++) await c.kill('master', i, 'SIGCONT');
  await c.stop();
});

function ok(r: CliResult, what: string): void {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\n${c.logs()}`);
}

/** Run the CLI within CLI_BOUND_MS and print how long it took. */
async function timed(args: string[]): Promise<CliResult> {
  const t0 = Date.now();
  const r = await c.cli(args, CLI_BOUND_MS);
  console.log(`alluxio ${args.join(' ')}: exit ${r.code} after ${Date.now() - t0} ms`);
  return r;
}

const rpcAddr = (i: number) => `localhost:${c.masterPorts[i]!.rpc}`;

/** Wait until master `i` is a standby that names `leader` as the leader. */
async function followsLeader(i: number, leader: number): Promise<void> {
  await waitFor(`master ${i} to follow master ${leader}`, async () => {
    const info = await getJson(`http://127.0.0.1:${c.masterPorts[i]!.web}/api/v1/master/info`);
    return !info.isLeader && info.leaderAddress === rpcAddr(leader);
  }, 30_000);
}

test('a frozen standby costs a new client nothing: ls and a write succeed', async () => {
  const leader = await c.waitLeader();
  const frozen = (leader + 1) % 3;
  const other = (leader + 2) % 3;
  const local = path.join(c.dir, 'a.txt');
  fs.writeFileSync(local, 'written while a standby is frozen\n');
  await c.kill('master', frozen, 'SIGSTOP');
  try {
    // The configured order, whatever it is, and an authority that names the frozen master first.
    ok(await timed(['fs', 'ls', '/']), 'ls');
    const auth = `alluxio://${[frozen, other, leader].map(rpcAddr).join(',')}`;
    ok(await timed(['fs', 'ls', `${auth}/`]), 'ls with the frozen master first');
    ok(await timed(['fs', 'copyFromLocal', local, `${auth}/a.txt`]), 'write');
    const cat = await timed(['fs', 'cat', '/a.txt']);
    ok(cat, 'cat');
    assert.equal(cat.stdout, 'written while a standby is frozen\n');
  } finally {
    await c.kill('master', frozen, 'SIGCONT');
  }
  await followsLeader(frozen, leader);
});

test('a URI naming only a standby follows its hint to the leader', async () => {
  const leader = await c.waitLeader();
  const standby = (leader + 1) % 3;
  await followsLeader(standby, leader);
  ok(await c.cli(['fs', 'mkdir', '/via-standby']), 'mkdir');
  const ls = await timed(['fs', 'ls', `alluxio://${rpcAddr(standby)}/`]);
  ok(ls, 'ls through a standby');
  assert.match(ls.stdout, /\/via-standby$/m);
});

test('a frozen leader: a new leader serves, the worker registers with it, and a write through the CLI succeeds', async () => {
  const old = await c.waitLeader();
  const local = path.join(c.dir, 'b.txt');
  fs.writeFileSync(local, 'written after the leader froze\n');
  const t0 = Date.now();
  await c.kill('master', old, 'SIGSTOP');
  try {
    const next = await waitFor('a new leader', async () => {
      const i = await c.leaderIndex();
      return i >= 0 && i !== old ? i + 1 : false;
    }, 30_000) - 1;
    console.log(`master ${next} leads ${Date.now() - t0} ms after master ${old} froze`);
    ok(await timed(['fs', 'copyFromLocal', local, '/b.txt']), 'write on the new leader');
    const cat = await timed(['fs', 'cat', '/b.txt']);
    ok(cat, 'cat');
    assert.equal(cat.stdout, 'written after the leader froze\n');
    ok(await timed(['fs', 'ls', '/']), 'ls');
  } finally {
    await c.kill('master', old, 'SIGCONT');
  }
  const leader = await c.waitLeader();
  await followsLeader(old, leader);
});

test('a call already in flight to a leader that freezes moves to the new leader (the connection\'s keepalive notices the silence, not the 120 s call timeout)', async () => {
  const old = await c.waitLeader();
  const client = new FileSystem(loadConfig({ env: c.env, home: ROOT }));
  try {
    await client.createDirectory('/before-freeze', { recursive: true }); // connected to the leader
    await c.kill('master', old, 'SIGSTOP');
    const t0 = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      client.createDirectory('/in-flight-at-freeze', { recursive: true }).then(() => 'created', (e: Error) => `failed: ${e.message}`),
      new Promise<string>((r) => { timer = setTimeout(() => r(`still waiting after ${CLI_BOUND_MS} ms`), CLI_BOUND_MS); }),
    ]);
    clearTimeout(timer);
    console.log(`a call sent to the frozen leader: ${outcome} after ${Date.now() - t0} ms`);
    assert.equal(outcome, 'created', c.logs());
    assert.ok((await client.getStatus('/in-flight-at-freeze')).folder);
  } finally {
    await c.kill('master', old, 'SIGCONT');
    client.close();
  }
  const leader = await c.waitLeader();
  await followsLeader(old, leader);
});
