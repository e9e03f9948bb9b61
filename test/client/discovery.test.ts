/**
 * Reaching a master the client's channel had given up on for a while: a master that was down
 * (its connections refused or reset) and is back. grpc-js keeps a channel whose connection
 * attempts failed in TRANSIENT_FAILURE and reconnects only after its back-off (growing up to
 * grpc.max_reconnect_backoff_ms); in that state every call fails at once with the old
 * connection error. The master client replaces such a channel before it asks that master again,
 * so a master restarted a moment ago that now leads is reached at once; a healthy channel is
 * never replaced; and a client closed while a channel is in back-off leaves no connection behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { protos, unary, bindServer, CHANNEL_OPTIONS } from '../../src/rpc.js';
import { addMuxService } from '../../src/mux.js';
import { MasterClient, type MasterClientEvent } from '../../src/client/masterClient.js';
import { NotLeaderError } from '../../src/errors.js';
import { waitFor } from '../harness/wait.js';

interface Role { leader: boolean; hint?: string }

/** A fake master on `port` (0: any free one) answering GetStatus and GetMasterInfo as `role` says; `calls` records the paths it served. */
async function master(role: Role, calls: string[], port = 0): Promise<{ server: grpc.Server; addr: string; port: number }> {
  const s = new grpc.Server(CHANNEL_OPTIONS);
  const def = protos().file.FileSystemMasterClientService.service as grpc.ServiceDefinition;
  const impl: grpc.UntypedServiceImplementation = {
    GetStatus: unary(async (r: { path: string }) => {
      if (!role.leader) throw new NotLeaderError(role.hint);
      calls.push(r.path);
      return { path: r.path };
    }),
  };
  const metaDef = protos().meta.MetaMasterClientService.service as grpc.ServiceDefinition;
  const meta: grpc.UntypedServiceImplementation = {
    GetMasterInfo: unary(async () => ({ isLeader: role.leader, leaderMasterAddress: role.leader ? '' : role.hint ?? '' })),
  };
  s.addService(def, impl);
  s.addService(metaDef, meta);
  addMuxService(s, [[def, impl], [metaDef, meta]]);
  const bound = await bindServer(s, '127.0.0.1', port);
  return { server: s, addr: `127.0.0.1:${bound}`, port: bound };
}

/**
 * Master A as a process of its own (this file run with FAKE_MASTER set), so that it can die by
 * kill -9 as a real master does: the kernel resets its connections. Resolves with it once it serves.
 */
async function masterProcess(role: Role, port: number): Promise<{ child: ChildProcess; addr: string; port: number }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
    env: { ...process.env, FAKE_MASTER: JSON.stringify({ role, port }) }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const bound = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => { out += d; const m = /^port (\d+)$/m.exec(out); if (m) resolve(Number(m[1])); });
    child.once('exit', (code, sig) => reject(new Error(`fake master exited with ${code ?? sig} before serving: ${out}`)));
  });
  return { child, addr: `127.0.0.1:${bound}`, port: bound };
}

/** kill -9 `child` and wait for its exit. */
async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/**
 * A dead master's port: every connection is accepted and reset at once (counted), so each
 * connection attempt of a client fails, until `proxyTo(target)`: from then on every new
 * connection is piped to `target` (the master restarted), with no moment in between when the
 * port accepts nothing or a client's own reconnect could get through early.
 */
async function deadPort(port: number): Promise<{ attempts: () => number; proxyTo: (target: number) => void; close: () => Promise<void> }> {
  let n = 0;
  let target: number | undefined;
  const socks = new Set<net.Socket>();
  const srv = net.createServer((sock) => {
    if (target === undefined) { n++; sock.resetAndDestroy(); return; }
    const up = net.connect(target, '127.0.0.1');
    socks.add(sock); socks.add(up);
    const done = () => { sock.destroy(); up.destroy(); socks.delete(sock); socks.delete(up); };
    sock.on('error', done).on('close', done);
    up.on('error', done).on('close', done);
    sock.pipe(up).pipe(sock);
  });
  await new Promise<void>((resolve, reject) => { srv.once('error', reject); srv.listen(port, '127.0.0.1', () => resolve()); });
  return {
    attempts: () => n,
    proxyTo: (t) => { target = t; },
    close: () => new Promise((r) => { for (const x of socks) x.destroy(); srv.close(() => r()); }),
  };
}

/** A TCP proxy on `port` to `target`, counting the connections it accepted and those still open. */
async function proxy(port: number, target: number): Promise<{ accepted: () => number; open: () => number; close: () => Promise<void> }> {
  let accepted = 0, open = 0;
  const socks = new Set<net.Socket>();
  const srv = net.createServer((sock) => {
    accepted++; open++;
    const up = net.connect(target, '127.0.0.1');
    socks.add(sock); socks.add(up);
    let closed = false;
    const done = () => { if (!closed) { closed = true; open--; } sock.destroy(); up.destroy(); socks.delete(sock); socks.delete(up); };
    sock.on('error', done).on('close', done);
    up.on('error', done).on('close', done);
    sock.pipe(up).pipe(sock);
  });
  await new Promise<void>((resolve, reject) => { srv.once('error', reject); srv.listen(port, '127.0.0.1', () => resolve()); });
  return { accepted: () => accepted, open: () => open, close: () => new Promise((r) => { for (const x of socks) x.destroy(); srv.close(() => r()); }) };
}

if (process.env.FAKE_MASTER) {
  const { role, port } = JSON.parse(process.env.FAKE_MASTER) as { role: Role; port: number };
  const m = await master(role, [], port);
  process.stdout.write(`port ${m.port}\n`);
} else {
  test('a master restarted while the client backed off from it is reached at once when it leads (the channel in back-off is replaced; a healthy one is kept)', async () => {
    const bCalls: string[] = [];
    const bRole: Role = { leader: false };
    let a = await masterProcess({ leader: true }, 0);
    const aAddr = a.addr; // A's address for the client, before and after its restart
    const b = await master(bRole, bCalls);
    bRole.hint = aAddr;
    const mc = new MasterClient([aAddr, b.addr], { baseSleepMs: 10, maxSleepMs: 50, maxDurationMs: 20_000, callTimeoutMs: 2000 });
    const events: MasterClientEvent[] = [];
    mc.onEvent = (e) => events.push(e);
    let dead: Awaited<ReturnType<typeof deadPort>> | undefined;
    const who = (e: MasterClientEvent) => `${e.kind} ${e.addr === aAddr ? 'A' : 'B'} [${e.state}] -> ${e.result}`;
    try {
      assert.equal((await mc.call<{ path: string }>('file', 'GetStatus', { path: '/1' })).path, '/1');
      assert.equal(events.at(-1)?.addr, aAddr);

      // kill -9 of A (its connections reset); B takes over. While A is down its port resets every
      // connection: the client's channel to A keeps failing to reconnect, backing off longer each time.
      await kill9(a.child);
      Object.assign(bRole, { leader: true, hint: '' });
      dead = await deadPort(a.port);
      await mc.call('file', 'GetStatus', { path: '/2' });
      assert.deepEqual(bCalls, ['/2']);
      // Six failed attempts: the back-off (100 ms, x1.6 each time) has reached its 1 s cap.
      await waitFor('the client to have tried to reconnect to A 6 times', (observe) => {
        observe({ attempts: dead!.attempts(), state: mc.channelState(aAddr), events: events.map(who) });
        return dead!.attempts() >= 6;
      }, { timeoutMs: 60_000, everyMs: 20 });
      assert.equal(mc.channelState(aAddr), 'TRANSIENT_FAILURE');

      // A comes back on the same address and leads; B steps down and names it. (The restarted
      // process listens on a port of its own and A's address switches to it in one step: while it
      // starts, A's address still refuses, so the channel is still in back-off when the client
      // is sent there, however long the start takes.)
      const restartedA = await masterProcess({ leader: true }, 0);
      a = restartedA;
      assert.equal(mc.channelState(aAddr), 'TRANSIENT_FAILURE');
      dead.proxyTo(restartedA.port);
      const restarted = performance.now();
      Object.assign(bRole, { leader: false, hint: aAddr });
      const from = events.length;
      assert.equal((await mc.call<{ path: string }>('file', 'GetStatus', { path: '/3' })).path, '/3');
      const ms = performance.now() - restarted;
      const attempts = events.slice(from);
      console.log(`restarted leader's answer ${ms.toFixed(0)} ms after it served; attempts: ${attempts.map(who).join('; ')}`);
      // B's NotLeader names A; the very first attempt on A succeeds, on a new channel (the old one was in back-off).
      const toA = attempts.filter((e) => e.addr === aAddr);
      assert.ok(toA.length > 0, 'the client asked A');
      assert.deepEqual({ state: toA[0]!.state, result: toA[0]!.result }, { state: 'TRANSIENT_FAILURE, new channel', result: 'ok' });

      // From now on the channel is healthy and kept.
      const next = events.length;
      await mc.call('file', 'GetStatus', { path: '/4' });
      assert.deepEqual(events.slice(next).map((e) => [e.addr, e.state, e.result]), [[aAddr, 'READY', 'ok']]);
    } finally {
      mc.close();
      await dead?.close();
      await kill9(a.child);
      b.server.forceShutdown();
    }
  });

  test('a client closed while its channel to a master is in back-off leaves no connection behind when that master comes back', async () => {
    const port = await new Promise<number>((r) => { const x = net.createServer().listen(0, '127.0.0.1', () => { const p = (x.address() as net.AddressInfo).port; x.close(() => r(p)); }); });
    const addr = `127.0.0.1:${port}`;
    let dead: Awaited<ReturnType<typeof deadPort>> | undefined = await deadPort(port);
    const real = await master({ leader: true }, []);
    let px: Awaited<ReturnType<typeof proxy>> | undefined;
    const mc = new MasterClient([addr], { baseSleepMs: 10, maxSleepMs: 50, maxDurationMs: 300, callTimeoutMs: 200 });
    try {
      await assert.rejects(mc.findLeader(), /Failed to find the leading master/);
      await waitFor('the channel to the dead master to be in back-off after 2 attempts', (observe) => {
        observe({ attempts: dead!.attempts(), state: mc.channelState(addr) });
        return dead!.attempts() >= 2 && mc.channelState(addr) === 'TRANSIENT_FAILURE';
      }, { timeoutMs: 30_000, everyMs: 10 });
      mc.close();
      // The master comes back (behind a proxy that counts connections). grpc-js reconnects a
      // channel closed in back-off when its back-off ends (at most 1 s here) and keeps that
      // connection for good; the client must close it once it leaves back-off.
      await dead.close();
      dead = undefined;
      px = await proxy(port, Number(real.addr.split(':')[1]));
      // Bounded by three times the longest back-off: long enough for a reconnect to happen.
      const reconnect = await waitFor('a reconnect from the closed channel', () => px!.accepted() > 0, { timeoutMs: 3000, everyMs: 20 }).then(() => true, () => false);
      await waitFor('no connection left open from the closed client', (observe) => { observe({ accepted: px!.accepted(), open: px!.open() }); return px!.open() === 0; }, { timeoutMs: 10_000, everyMs: 50 });
      console.log(`closed client: ${reconnect ? 'reconnected once after close, then closed' : 'did not reconnect'}; connections accepted ${px.accepted()}, open ${px.open()}`);
    } finally {
      mc.close();
      await dead?.close();
      await px?.close();
      real.server.forceShutdown();
    }
  });
}
