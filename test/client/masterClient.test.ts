/**
 * MasterClient retry pacing: exponential backoff, capped by max.sleep, and polled at least every
 * LEADER_POLL_MAX_MS while no leader is known; a standby's NotLeader hint is followed at once; a
 * leader whose connection fails (its process died) is looked for again at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { protos, unary, bindServer, CHANNEL_OPTIONS } from '../../src/rpc.js';
import { addMuxService } from '../../src/mux.js';
import { MasterClient, nextSleep, heartbeatCallTimeoutMs, LEADER_POLL_MAX_MS } from '../../src/client/masterClient.js';
import { NotLeaderError, UnavailableError } from '../../src/errors.js';

test('nextSleep: doubles, stops at max.sleep, and at LEADER_POLL_MAX_MS while looking for a leader', () => {
  const cases: [prev: number, maxSleepMs: number, findingLeader: boolean, next: number][] = [
    [50, 3000, false, 100],
    [1600, 3000, false, 3000],
    [3000, 3000, false, 3000],
    [20, 30, false, 30],
    [10, 3000, true, Math.min(20, LEADER_POLL_MAX_MS)],
    [50, 3000, true, LEADER_POLL_MAX_MS],
    [400, 3000, true, LEADER_POLL_MAX_MS],
    [10, 15, true, 15],
  ];
  for (const [prev, maxSleepMs, finding, next] of cases) assert.equal(nextSleep(prev, { maxSleepMs }, finding), next, `${prev} ${maxSleepMs} ${finding}`);
});

test("heartbeatCallTimeoutMs: two heartbeat intervals, at least 1 s, at most the call timeout", () => {
  const cases: [intervalMs: number, callTimeoutMs: number, expected: number][] = [
    [1000, 30_000, 2000], [200, 30_000, 1000], [100, 30_000, 1000], [10_000, 30_000, 20_000], [60_000, 30_000, 30_000], [1000, 500, 500],
  ];
  for (const [interval, call, expected] of cases) assert.equal(heartbeatCallTimeoutMs(interval, call), expected, `${interval} ${call}`);
});

/** A fake master; `down`: every call fails UNAVAILABLE, as a dead process's connection does. */
async function master(role: { leader: boolean; hint?: string; down?: boolean }, calls: string[]): Promise<{ server: grpc.Server; addr: string }> {
  const s = new grpc.Server(CHANNEL_OPTIONS);
  const def = protos().file.FileSystemMasterClientService.service as grpc.ServiceDefinition;
  const impl: grpc.UntypedServiceImplementation = {
    GetStatus: unary(async (r: { path: string }) => {
      if (role.down) throw new UnavailableError('connection reset');
      calls.push(r.path);
      if (!role.leader) throw new NotLeaderError(role.hint);
      return { path: r.path };
    }),
  };
  const metaDef = protos().meta.MetaMasterClientService.service as grpc.ServiceDefinition;
  const meta: grpc.UntypedServiceImplementation = {
    GetMasterInfo: unary(async () => {
      if (role.down) throw new UnavailableError('connection reset');
      return { isLeader: role.leader, leaderMasterAddress: role.leader ? '' : role.hint ?? '' };
    }),
  };
  s.addService(def, impl);
  s.addService(metaDef, meta);
  addMuxService(s, [[def, impl], [metaDef, meta]]);
  const port = await bindServer(s, '127.0.0.1', 0);
  return { server: s, addr: `127.0.0.1:${port}` };
}

interface Pair { mc: MasterClient; standby: string; leader: string; standbyCalls: string[]; leaderCalls: string[] }

/** A leader and a standby that names it, and a client configured with `configured(standby, leader)`. */
async function withStandbyAndLeader(configured: (standby: string, leader: string) => string[], fn: (p: Pair) => Promise<void>): Promise<void> {
  const standbyCalls: string[] = [];
  const leaderCalls: string[] = [];
  const leader = await master({ leader: true }, leaderCalls);
  const standby = await master({ leader: false, hint: leader.addr }, standbyCalls);
  const mc = new MasterClient(configured(standby.addr, leader.addr), { baseSleepMs: 10, maxSleepMs: 50, maxDurationMs: 3000, callTimeoutMs: 2000 });
  try {
    await fn({ mc, standby: standby.addr, leader: leader.addr, standbyCalls, leaderCalls });
  } finally {
    mc.close();
    leader.server.forceShutdown();
    standby.server.forceShutdown();
  }
}

test("a standby's NotLeader hint sends the call straight to the leader it names", () =>
  withStandbyAndLeader((s, l) => [s, l], async ({ mc, standby, standbyCalls, leaderCalls }) => {
    (mc as unknown as { leader: string }).leader = standby; // as if it had led until now
    assert.equal((await mc.call<{ path: string }>('file', 'GetStatus', { path: '/x' })).path, '/x');
    assert.deepEqual(standbyCalls, ['/x']);
    assert.deepEqual(leaderCalls, ['/x']);
    // The client now remembers the leader.
    await mc.call('file', 'GetStatus', { path: '/y' });
    assert.deepEqual(standbyCalls, ['/x']);
    assert.deepEqual(leaderCalls, ['/x', '/y']);
  }));

test('only a standby configured (a URI naming one master): its hint to a leader not configured is followed', () =>
  withStandbyAndLeader((s) => [s], async ({ mc, standby, leader, standbyCalls, leaderCalls }) => {
    // Found by discovery: the standby's GetMasterInfo names the leader.
    assert.equal(await mc.findLeader(), leader);
    assert.equal((await mc.call<{ path: string }>('file', 'GetStatus', { path: '/x' })).path, '/x');
    assert.deepEqual(leaderCalls, ['/x']);
    // A call that reaches the standby first follows its NotLeader hint.
    (mc as unknown as { leader: string }).leader = standby;
    assert.equal((await mc.call<{ path: string }>('file', 'GetStatus', { path: '/y' })).path, '/y');
    assert.deepEqual(standbyCalls, ['/y']);
    assert.deepEqual(leaderCalls, ['/x', '/y']);
  }));

test('the leader dies (its connection is reset): the client looks for the new leader at once, not after its back-off', async () => {
  const oldCalls: string[] = [];
  const newCalls: string[] = [];
  const oldRole = { leader: true, down: false };
  const old = await master(oldRole, oldCalls);
  const role = { leader: false, hint: old.addr };
  const next = await master(role, newCalls);
  // A back-off longer than the whole retry window: without an immediate re-discovery the call fails.
  const mc = new MasterClient([old.addr, next.addr], { baseSleepMs: 60_000, maxSleepMs: 60_000, maxDurationMs: 5000, callTimeoutMs: 2000 });
  try {
    await mc.call('file', 'GetStatus', { path: '/before' });
    oldRole.down = true; // the leader's process is gone: calls to it fail UNAVAILABLE
    role.leader = true; // and the other master leads
    assert.equal((await mc.call<{ path: string }>('file', 'GetStatus', { path: '/after' })).path, '/after');
    assert.deepEqual(oldCalls, ['/before']);
    assert.deepEqual(newCalls, ['/after']);
  } finally {
    mc.close();
    next.server.forceShutdown();
    old.server.forceShutdown();
  }
});
