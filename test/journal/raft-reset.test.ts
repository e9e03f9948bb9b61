/**
 * Connection-reset elections (issue #14), end to end: three real masters on the embedded journal
 * (loopback, default timeouts: election 300-600 ms, heartbeat 100 ms, 50 ms ticks).
 * - kill -9 of the leader: its connections are reset at once; the followers start a pre-vote
 *   without waiting for their election timeout, and a new leader serves (the time is printed,
 *   not asserted).
 * - SIGSTOP of the leader: nothing is reset, so the normal timeouts hold: no new leader before
 *   the followers' leases can have run out, and the paused leader, woken, acknowledges none of
 *   the writes sent to it while it was paused (none of them exists afterwards either).
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import * as grpc from '@grpc/grpc-js';
import { TestCluster, waitFor, getJson } from '../harness/cluster.js';
import { protos, callUnary, CHANNEL_OPTIONS, USER_KEY } from '../../src/rpc.js';
import { RAFT_TICK_MS } from '../../src/journal/index.js';

const ELECTION_MIN_MS = 300;
const HEARTBEAT_MS = 100;
const c = new TestCluster({
  masters: 3, workers: 0,
  props: {
    'alluxio.master.embedded.journal.election.timeout.min': `${ELECTION_MIN_MS}ms`,
    'alluxio.master.embedded.journal.heartbeat.interval': `${HEARTBEAT_MS}ms`,
    // The paused leader's own writes fail in bounded time once it wakes (unless overwritten sooner).
    'alluxio.master.embedded.journal.write.timeout': '5s',
    'alluxio.user.rpc.retry.max.duration': '15s',
  },
});
before(async () => { await c.setup(); await c.start(); });
after(async () => { await c.stop(); });

function ok(r: { code: number; stdout: string; stderr: string }): void {
  assert.equal(r.code, 0, `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\n${c.logs()}`);
}

/** Index of the master among `among` that answers as leader now, polled finely; -1 when none. */
async function leaderAmong(among: readonly number[]): Promise<number> {
  const infos = await Promise.all(among.map((i) => getJson(`http://127.0.0.1:${c.masterPorts[i]!.web}/api/v1/master/info`).catch(() => undefined)));
  const k = infos.findIndex((x) => x?.isLeader);
  return k < 0 ? -1 : among[k]!;
}

const others = (i: number): number[] => [0, 1, 2].filter((x) => x !== i);

test('kill -9 of the leader: the followers hear the reset and elect a new leader without waiting for an election timeout', async (t) => {
  const times: number[] = [];
  for (let round = 0; round < 3; round++) {
    const leader = await c.waitLeader();
    ok(await c.cli(['fs', 'mkdir', `/kill${round}`]));
    const logStarts = others(leader).map((i) => c.logOf('master', i).length);
    const t0 = performance.now();
    await c.kill('master', leader, 'SIGKILL');
    const next = await waitFor('a new leader', async () => { const i = await leaderAmong(others(leader)); return i >= 0 ? i + 1 : false; }, { timeoutMs: 15_000, everyMs: 5 }) - 1;
    times.push(performance.now() - t0);
    // The followers acted on the reset (not on a timeout).
    const heard = others(leader).filter((i, k) => c.logOf('master', i).slice(logStarts[k]).includes(`the connections to leader localhost:${c.masterPorts[leader]!.journal} were reset`));
    assert.ok(heard.length >= 1, `no follower acted on the reset of ${leader}:\n${c.logs()}`);
    ok(await c.cli(['fs', 'mkdir', `/after-kill${round}`]));
    await c.startMaster(leader);
    await waitFor(`master ${leader} back as a standby of ${next}`, async () => {
      const i = await getJson(`http://127.0.0.1:${c.masterPorts[leader]!.web}/api/v1/master/info`);
      return !i.isLeader && i.leaderAddress === `localhost:${c.masterPorts[next]!.rpc}`;
    }, 20_000);
  }
  t.diagnostic(`kill -9 of the leader -> a new leader answering (info polled every 5 ms): ${times.map((x) => x.toFixed(0)).join(', ')} ms`);
  const ls = await c.cli(['fs', 'ls', '/']);
  ok(ls);
  for (let round = 0; round < 3; round++) for (const d of [`/kill${round}`, `/after-kill${round}`]) assert.ok(ls.stdout.includes(d), ls.stdout);
});

test('SIGSTOP of the leader: no reset, so it is not deposed before the leases can expire; woken, it acknowledges none of the writes sent to it', async (t) => {
  const leader = await c.waitLeader();
  ok(await c.cli(['fs', 'mkdir', '/before-pause']));
  const addr = `localhost:${c.masterPorts[leader]!.rpc}`;
  const client = new (protos().file.FileSystemMasterClientService)(addr, grpc.credentials.createInsecure(), CHANNEL_OPTIONS) as grpc.Client;
  try {
    // Open the connection first, so that the writes below reach the paused process's socket.
    await callUnary(client, 'GetStatus', { path: '/before-pause' }, 10_000, addr, meta());
    const t0 = performance.now();
    await c.kill('master', leader, 'SIGSTOP');
    const writes = Array.from({ length: 5 }, (_, k) => callUnary(client, 'CreateDirectory', { path: `/paused${k}`, recursive: false, allowExists: false, writeType: 'MUST_CACHE', opId: `paused-${process.pid}-${k}` }, 30_000, addr, meta())
      .then(() => 'acknowledged', (e: Error) => `${e.constructor.name}: ${e.message}`));
    const next = await waitFor('a new leader among the others', async () => { const i = await leaderAmong(others(leader)); return i >= 0 ? i + 1 : false; }, { timeoutMs: 15_000, everyMs: 5 }) - 1;
    const deposedMs = performance.now() - t0;
    // A follower's lease on the leader runs out an election timeout (ELECTION_MIN_MS, counted in
    // whole ticks from its tick after the last heartbeat) after that heartbeat, which the leader
    // sent at most one heartbeat interval before it stopped: no majority can grant a pre-vote
    // sooner than ELECTION_MIN_MS - HEARTBEAT_MS - RAFT_TICK_MS after the pause.
    const bound = ELECTION_MIN_MS - HEARTBEAT_MS - RAFT_TICK_MS;
    t.diagnostic(`SIGSTOP of the leader -> master ${next} leads after ${deposedMs.toFixed(0)} ms (the leases allow no sooner than ${bound} ms)`);
    assert.ok(deposedMs >= bound, `the paused leader was deposed ${deposedMs.toFixed(0)} ms after the pause, before the leases could expire (${bound} ms):\n${c.logs()}`);
    // Writes go on at the new leader (and take the indexes the paused leader may still claim).
    for (let k = 0; k < 5; k++) ok(await c.cli(['fs', 'mkdir', `/during-pause${k}`]));
    await c.kill('master', leader, 'SIGCONT');
    const outcomes = await Promise.all(writes);
    t.diagnostic(`writes sent to the paused leader: ${outcomes.join('; ')}`);
    for (const o of outcomes) assert.notEqual(o, 'acknowledged', `the woken old leader acknowledged a write:\n${outcomes.join('\n')}\n${c.logs()}`);
    await waitFor(`master ${leader} follows ${next}`, async () => {
      const i = await getJson(`http://127.0.0.1:${c.masterPorts[leader]!.web}/api/v1/master/info`);
      return !i.isLeader && i.leaderAddress === `localhost:${c.masterPorts[next]!.rpc}`;
    }, 20_000);
    const ls = await c.cli(['fs', 'ls', '/']);
    ok(ls);
    for (let k = 0; k < 5; k++) {
      assert.ok(!ls.stdout.includes(`/paused${k}`), `a write the old leader took while paused was applied:\n${ls.stdout}`);
      assert.ok(ls.stdout.includes(`/during-pause${k}`), ls.stdout);
    }
  } finally {
    client.close();
  }
});

function meta(): grpc.Metadata {
  const m = new grpc.Metadata();
  m.set(USER_KEY, os.userInfo().username);
  return m;
}
