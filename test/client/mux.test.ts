/**
 * Unary calls multiplexed over one gRPC stream or one framed TCP connection (src/mux.ts) behave
 * as plain unary calls: same results, same typed errors (NotLeader with its hint,
 * FileDoesNotExist with its path) over both transports, deadlines, a broken stream or connection
 * fails its calls as Unavailable and the next call opens a new one, a frozen server is noticed by
 * the framed mux's PING, a server without the framed mux is called over the gRPC mux and one
 * without either with plain unary calls, and hostile frames leave the server serving others.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { protos, unary, bindServer, callUnary, CHANNEL_OPTIONS, USER_KEY } from '../../src/rpc.js';
import { addMuxService, muxPort, MuxChannel, MuxRoutes, FramedMuxChannel, MUX_MAGIC, MUX_VERSION, MAX_CLIENT_CALLS_IN_FLIGHT, MAX_SERVER_CALLS_IN_FLIGHT } from '../../src/mux.js';
import { encodeFrame } from '../../src/frames.js';
import { exchangeFrames, callFrame, helloFrame, errorOf } from '../harness/muxFrames.js';
import { MasterClient } from '../../src/client/masterClient.js';
import { waitFor } from '../harness/wait.js';
import {
  AlluxioError, FailedPreconditionError, FileDoesNotExistError, InvalidPathError, NotLeaderError, PermissionDeniedError, TimeoutError, UnavailableError,
} from '../../src/errors.js';

/**
 * A file service whose GetStatus answers after `delay(path)` ms, or fails for some paths; /who
 * answers with the caller's user and transport as its name.
 */
function fileService(calls: string[]): grpc.UntypedServiceImplementation {
  return {
    GetStatus: unary(async (r: { path: string }, call) => {
      calls.push(r.path);
      const m = /^\/sleep\/(\d+)/.exec(r.path);
      if (m) {
        running.now++;
        running.max = Math.max(running.max, running.now);
        await new Promise((res) => setTimeout(res, Number(m[1])));
        running.now--;
      }
      const failure = FAILURES.find(([path]) => path === r.path);
      if (failure) throw failure[1]();
      if (r.path === '/who') {
        // grpc-js adds user-agent to the metadata of gRPC calls (the mux stream's too); the framed mux has the user only.
        const via = call.metadata.get('user-agent').length ? 'grpc' : 'framed';
        return { path: r.path, name: `${String(call.metadata.get(USER_KEY)[0] ?? '')}|${via}|${call.getPeer()}` };
      }
      return { path: r.path, name: r.path.split('/').pop(), length: r.path.length, folder: false };
    }),
  };
}

/** GetStatus calls of /sleep/ paths running at once, and the most so far. */
const running = { now: 0, max: 0 };

/** Paths whose GetStatus fails, and how: every transport must give the very same typed error. */
const FAILURES: [string, () => Error][] = [
  ['/missing', () => new FileDoesNotExistError('/missing')],
  ['/standby', () => new NotLeaderError('127.0.0.1:19998')],
  ['/standby-no-leader', () => new NotLeaderError(undefined)],
  ['/denied', () => new PermissionDeniedError('user bob lacks -w- on /denied', '/denied')],
  ['/bad path', () => new InvalidPathError('path "/bad path" is not valid', { hint: 'a hint that stays on the master' })],
  ['/precondition', () => new FailedPreconditionError('not now')],
  ['/bug', () => new TypeError('x is undefined')],
  ['/unicode', () => new FileDoesNotExistError('/unicode/\u00e9\u{1f600}')],
];

/**
 * A server as a master's rpc port: gRPC (unary and the mux stream) and the framed mux on one
 * SharedPort (muxPort).
 */
async function portServer(calls: string[] = []): Promise<{ addr: string; port: number; calls: string[]; close(graceMs?: number): Promise<void> }> {
  const s = new grpc.Server(CHANNEL_OPTIONS);
  const def = protos().file.FileSystemMasterClientService.service as grpc.ServiceDefinition;
  const impl = fileService(calls);
  s.addService(def, impl);
  const { port, framed } = muxPort(s, new MuxRoutes([[def, impl]]), 5000);
  const bound = await port.listen('127.0.0.1', 0);
  return {
    addr: `127.0.0.1:${bound}`, port: bound, calls,
    close: async (graceMs = 0) => { await framed.close(graceMs); s.forceShutdown(); await port.close(); },
  };
}

type PortServer = Awaited<ReturnType<typeof portServer>>;

/** Run `fn` with a framed mux channel (as `user`) to a fresh portServer; both are closed afterwards. */
async function withFramed(fn: (ch: FramedMuxChannel, srv: PortServer) => Promise<void>, user = ''): Promise<void> {
  const srv = await portServer();
  const ch = new FramedMuxChannel(srv.addr, user);
  try {
    await fn(ch, srv);
  } finally {
    ch.close();
    await srv.close();
  }
}

/** A gRPC-only server (bindServer: no framed mux), with or without the gRPC mux. */
async function server(withMux: boolean, calls: string[] = []): Promise<{ server: grpc.Server; addr: string; calls: string[] }> {
  const s = new grpc.Server(CHANNEL_OPTIONS);
  const def = protos().file.FileSystemMasterClientService.service as grpc.ServiceDefinition;
  const impl = fileService(calls);
  s.addService(def, impl);
  if (withMux) addMuxService(s, [[def, impl]]);
  const port = await bindServer(s, '127.0.0.1', 0);
  return { server: s, addr: `127.0.0.1:${port}`, calls };
}

const getStatus = () => protos().file.FileSystemMasterClientService.service.GetStatus as grpc.MethodDefinition<unknown, unknown>;

/** Run `fn` with a channel to a fresh server that serves the mux; both are closed afterwards. */
async function withMuxChannel(fn: (ch: MuxChannel) => Promise<void>): Promise<void> {
  const { server: s, addr } = await server(true);
  const ch = new MuxChannel(addr);
  try {
    await fn(ch);
  } finally {
    ch.close();
    s.forceShutdown();
  }
}

test('many concurrent calls on one stream each get their own reply, whatever the order they finish in', () => withMuxChannel(async (ch) => {
  const paths = Array.from({ length: 40 }, (_, i) => `/sleep/${(i * 7) % 13}/f${i}`);
  const replies = await Promise.all(paths.map((p) => ch.call<{ path: string; length: number }>(getStatus(), { path: p }, 5000)));
  assert.deepEqual(replies.map((r) => r.path), paths);
  assert.deepEqual(replies.map((r) => r.length), paths.map((p) => p.length));
}));

test('errors come back typed, as from a unary call', () => withMuxChannel(async (ch) => {
  await assert.rejects(ch.call(getStatus(), { path: '/missing' }, 5000), (e: unknown) => e instanceof FileDoesNotExistError && e.path === '/missing');
  await assert.rejects(ch.call(getStatus(), { path: '/standby' }, 5000), (e: unknown) => e instanceof NotLeaderError && e.leader === '127.0.0.1:19998');
  // The stream survives failed calls.
  assert.equal((await ch.call<{ path: string }>(getStatus(), { path: '/ok' }, 5000)).path, '/ok');
}));

test('a call past its deadline fails with a TimeoutError; later calls still work', () => withMuxChannel(async (ch) => {
  await assert.rejects(ch.call(getStatus(), { path: '/sleep/400/slow' }, 100), (e: unknown) => e instanceof TimeoutError && /timed out/.test((e as Error).message));
  assert.equal((await ch.call<{ path: string }>(getStatus(), { path: '/after' }, 5000)).path, '/after');
}));

/**
 * A mux server in a child process (so that it can die as a master does: kill -9), on `port`
 * (0: one the kernel picks); resolves with the port it bound, which it reports on stdout.
 */
async function childServer(port: number, framed = false): Promise<{ child: ChildProcess; port: number }> {
  const rpc = new URL('../../src/rpc.js', import.meta.url).href;
  const mux = new URL('../../src/mux.js', import.meta.url).href;
  const script = `
    import * as grpc from '@grpc/grpc-js';
    import { protos, unary, bindServer, CHANNEL_OPTIONS } from '${rpc}';
    import { addMuxService, muxPort, MuxRoutes } from '${mux}';
    const s = new grpc.Server(CHANNEL_OPTIONS);
    const def = protos().file.FileSystemMasterClientService.service;
    const impl = { GetStatus: unary(async (r) => { if (r.path.startsWith('/slow')) await new Promise((res) => setTimeout(res, 30000)); return { path: r.path }; }) };
    s.addService(def, impl);
    let bound;
    if (${framed}) bound = await muxPort(s, new MuxRoutes([[def, impl]]), 5000).port.listen('127.0.0.1', ${port});
    else { addMuxService(s, [[def, impl]]); bound = await bindServer(s, '127.0.0.1', ${port}); }
    console.log('ready ' + bound);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('../../../', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  let stdout = '';
  const bound = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`test server did not start: ${stderr}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      const m = /^ready (\d+)$/m.exec(stdout += d.toString());
      if (m) { clearTimeout(t); resolve(Number(m[1])); }
    });
    child.once('exit', (code) => { clearTimeout(t); reject(new Error(`test server exited with ${code}: ${stderr}`)); });
  });
  return { child, port: bound };
}

type AnyMux = Pick<MuxChannel, 'call' | 'close'>;
const TRANSPORTS: [string, (addr: string, user?: string) => AnyMux][] = [
  ['the gRPC mux', (addr, user) => { const md = new grpc.Metadata(); if (user) md.set(USER_KEY, user); return new MuxChannel(addr, undefined, md); }],
  ['the framed mux', (addr, user) => new FramedMuxChannel(addr, user)],
];

for (const [name, open] of TRANSPORTS) {
  test(`${name}: a connection whose server dies fails its calls as Unavailable, and the next call opens a new one`, async () => {
    const framed = name === 'the framed mux';
    const first = await childServer(0, framed);
    const port = first.port;
    let child = first.child;
    const ch = open(`127.0.0.1:${port}`);
    try {
      const inFlight = ch.call(getStatus(), { path: '/slow/pending' }, 20_000);
      assert.equal((await ch.call<{ path: string }>(getStatus(), { path: '/up' }, 5000)).path, '/up');
      child.kill('SIGKILL');
      await assert.rejects(inFlight, (e: unknown) => e instanceof UnavailableError);
      ({ child } = await childServer(port, framed)); // the same address again
      const reply = await waitFor('a call on a new connection to the restarted server', () => ch.call<{ path: string }>(getStatus(), { path: '/again' }, 2000), 20_000);
      assert.equal(reply.path, '/again');
    } finally {
      ch.close();
      child.kill('SIGKILL');
    }
  });
}

test('MasterClient uses the mux where served and plain unary calls where not', async () => {
  for (const withMux of [true, false]) {
    const { server: s, addr, calls } = await server(withMux);
    const mc = new MasterClient([addr], { baseSleepMs: 10, maxSleepMs: 50, maxDurationMs: 2000, callTimeoutMs: 2000 });
    try {
      // findLeader asks GetMasterInfo, which this test server lacks: name the leader directly.
      (mc as unknown as { leader: string }).leader = addr;
      const r = await mc.call<{ path: string }>('file', 'GetStatus', { path: `/via-${withMux ? 'mux' : 'unary'}` });
      assert.equal(r.path, `/via-${withMux ? 'mux' : 'unary'}`);
      await assert.rejects(mc.call('file', 'GetStatus', { path: '/missing' }), FileDoesNotExistError);
      assert.deepEqual(calls, [`/via-${withMux ? 'mux' : 'unary'}`, '/missing']);
    } finally {
      mc.close();
      s.forceShutdown();
    }
  }
});

/** A normalised view of an error: what a caller can see of it. */
function view(e: unknown): Record<string, unknown> {
  const a = e as AlluxioError & { leader?: string; path?: string };
  return { class: a?.constructor?.name, message: a?.message, code: a?.code, hint: a?.hint, leader: a?.leader, path: a?.path };
}

test('typed errors and NotLeader hints are the same over plain unary calls, the gRPC mux and the framed mux', async () => {
  const srv = await portServer();
  const stub = new (protos().file.FileSystemMasterClientService)(srv.addr, grpc.credentials.createInsecure(), CHANNEL_OPTIONS) as grpc.Client;
  const chans = TRANSPORTS.map(([name, open]) => [name, open(srv.addr)] as const);
  try {
    for (const [path] of FAILURES) {
      const unaryError = view(await callUnary(stub, 'GetStatus', { path }, 5000, srv.addr).then(() => undefined, (e) => e));
      assert.ok(unaryError.class && unaryError.class !== 'Object', `${path}: the unary call failed`);
      for (const [name, ch] of chans) {
        const e = await ch.call(getStatus(), { path }, 5000).then(() => undefined, (err) => err);
        assert.deepEqual(view(e), unaryError, `${path} over ${name}`);
      }
    }
    // The hints themselves, not only their equality.
    const [, framed] = chans[1]!;
    await assert.rejects(framed.call(getStatus(), { path: '/standby' }, 5000), (e: unknown) => e instanceof NotLeaderError && e.leader === '127.0.0.1:19998');
    await assert.rejects(framed.call(getStatus(), { path: '/standby-no-leader' }, 5000), (e: unknown) => e instanceof NotLeaderError && e.leader === undefined);
    await assert.rejects(framed.call(getStatus(), { path: '/unicode' }, 5000), (e: unknown) => e instanceof FileDoesNotExistError && e.path === '/unicode/\u00e9\u{1f600}');
    // An unknown method is UNIMPLEMENTED on both muxes.
    const nope = { ...getStatus(), path: '/alluxio.grpc.Nope/Nope' } as grpc.MethodDefinition<unknown, unknown>;
    const [grpcNope, framedNope] = await Promise.all(chans.map(([, ch]) => ch.call(nope, { path: '/x' }, 5000).then(() => undefined, (e) => view(e))));
    assert.deepEqual(framedNope, grpcNope);
    assert.match(String(framedNope?.message), /unknown method "\/alluxio\.grpc\.Nope\/Nope"/);
    // Connections survive failed calls.
    for (const [, ch] of chans) assert.equal((await ch.call<{ path: string }>(getStatus(), { path: '/ok' }, 5000)).path, '/ok');
  } finally {
    for (const [, ch] of chans) ch.close();
    stub.close();
    await srv.close();
  }
});

test('the framed mux: calls in flight interleave, each gets its own reply; the user of the HELLO reaches the handler', () => withFramed(async (ch, srv) => {
  const paths = Array.from({ length: 40 }, (_, i) => `/sleep/${(i * 7) % 13}/f${i}`);
  const finished: string[] = [];
  const replies = await Promise.all(paths.map((p) => ch.call<{ path: string; length: number }>(getStatus(), { path: p }, 5000).then((r) => { finished.push(r.path); return r; })));
  assert.deepEqual(replies.map((r) => r.path), paths);
  assert.deepEqual(replies.map((r) => r.length), paths.map((p) => p.length));
  assert.notDeepEqual(finished, paths, 'replies came back in the order the calls were sent: they did not overlap');
  const who = await ch.call<{ name: string }>(getStatus(), { path: '/who' }, 5000);
  assert.match(who.name, /^alice\|framed\|127\.0\.0\.1:\d+$/);
  // No user: no user key (as the gRPC transports without one).
  const anon = new FramedMuxChannel(srv.addr);
  try { assert.match((await anon.call<{ name: string }>(getStatus(), { path: '/who' }, 5000)).name, /^\|framed\|/); } finally { anon.close(); }
}, 'alice'));

test('the framed mux: a call past its deadline fails with a TimeoutError naming the address and method; later calls still work', () => withFramed(async (ch, srv) => {
  await assert.rejects(ch.call(getStatus(), { path: '/sleep/400/slow' }, 100), (e: unknown) => e instanceof TimeoutError
    && (e as Error).message === `call to ${srv.addr} timed out: /alluxio.grpc.file.FileSystemMasterClientService/GetStatus took over 100 ms`);
  assert.equal((await ch.call<{ path: string }>(getStatus(), { path: '/after' }, 5000)).path, '/after');
}));

test('the framed mux: a server process that freezes (SIGSTOP) fails the call as Unavailable through the PING, long before the call timeout', { timeout: 60_000 }, async (t) => {
  const { child, port } = await childServer(0, true);
  const ch = new FramedMuxChannel(`127.0.0.1:${port}`);
  try {
    assert.equal((await ch.call<{ path: string }>(getStatus(), { path: '/up' }, 5000)).path, '/up');
    child.kill('SIGSTOP');
    const t0 = performance.now();
    const e = await ch.call(getStatus(), { path: '/while-frozen' }, 30_000).then(() => undefined, (err) => err);
    const ms = performance.now() - t0;
    t.diagnostic(`the call to the frozen server failed after ${Math.round(ms)} ms: ${(e as Error)?.message}`);
    assert.ok(e instanceof UnavailableError, `expected Unavailable, got ${String(e)}`);
    assert.match((e as Error).message, /no answer to a ping/);
    assert.ok(ms < 30_000, 'failed only at the call timeout');
  } finally {
    ch.close();
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  }
});

test('the framed mux against a server that serves only gRPC: `unsupported`, and MasterClient calls over the gRPC mux (or unary) instead', async () => {
  for (const withMux of [true, false]) {
    const { server: s, addr, calls } = await server(withMux);
    const ch = new FramedMuxChannel(addr);
    const mc = new MasterClient([addr], { baseSleepMs: 10, maxSleepMs: 50, maxDurationMs: 2000, callTimeoutMs: 2000 }, 'carol');
    try {
      await assert.rejects(ch.call(getStatus(), { path: '/direct' }, 2000), UnavailableError);
      assert.equal(ch.unsupported, true);
      assert.deepEqual(calls, [], 'the gRPC server ran no call it got over the framed mux');
      (mc as unknown as { leader: string }).leader = addr;
      const who = await mc.call<{ name: string }>('file', 'GetStatus', { path: '/who' });
      assert.match(who.name, /^carol\|grpc\|/);
      assert.equal((await mc.call<{ path: string }>('file', 'GetStatus', { path: '/again' })).path, '/again');
      assert.deepEqual(calls, ['/who', '/again']);
    } finally {
      ch.close();
      mc.close();
      s.forceShutdown();
    }
  }
});

test('MasterClient calls a master port over the framed mux, with its user', async () => {
  const srv = await portServer();
  const mc = new MasterClient([srv.addr], { baseSleepMs: 10, maxSleepMs: 50, maxDurationMs: 2000, callTimeoutMs: 2000 }, 'dave');
  try {
    (mc as unknown as { leader: string }).leader = srv.addr;
    assert.match((await mc.call<{ name: string }>('file', 'GetStatus', { path: '/who' })).name, /^dave\|framed\|/);
    await assert.rejects(mc.call('file', 'GetStatus', { path: '/missing' }), (e: unknown) => e instanceof FileDoesNotExistError && e.path === '/missing');
  } finally {
    mc.close();
    await srv.close();
  }
});

test('the framed mux: a master of another version is a typed error naming both versions', async () => {
  // A fake master that answers every HELLO with version 99.
  const fake = net.createServer((s) => { s.on('error', () => {}); s.once('data', () => s.write(encodeFrame(2, JSON.stringify({ version: 99 })))); });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  const addr = `127.0.0.1:${(fake.address() as net.AddressInfo).port}`;
  const ch = new FramedMuxChannel(addr);
  try {
    await assert.rejects(ch.call(getStatus(), { path: '/x' }, 5000), (e: unknown) => e instanceof FailedPreconditionError
      && (e as Error).message === `${addr} speaks version 99 of the framed mux (metadata calls), this client version ${MUX_VERSION}` && /same Alluxio version/.test(String((e as AlluxioError).hint)));
    assert.equal(ch.unsupported, false);
  } finally {
    ch.close();
    await new Promise<void>((r) => fake.close(() => r()));
  }
  // And a real server answers a HELLO of another version with its own version, then a GOAWAY naming both.
  const srv = await portServer();
  try {
    const frames = await exchangeFrames(srv.port, [MUX_MAGIC, helloFrame('', 2)]);
    assert.deepEqual(frames.map((f) => f.type), [2, 8]);
    assert.deepEqual(JSON.parse(frames[0]!.payload.toString()), { version: MUX_VERSION });
    assert.equal(frames[1]!.payload.toString(), `this master speaks version ${MUX_VERSION} of the framed mux, the client 2`);
  } finally { await srv.close(); }
});

test('hostile frames on the framed mux are answered or close that connection; the server serves other clients throughout', () => withFramed(async (good, srv) => {
  const hello = helloFrame('eve');
  const gs = getStatus();
  const huge = Buffer.alloc(5);
  huge.writeUInt8(3, 0);
  huge.writeUInt32BE(0xffffffff, 1);
  const cases: [string, Buffer[], (frames: { type: number; payload: Buffer }[]) => void, number?][] = [
    ['an unknown frame type', [MUX_MAGIC, hello, encodeFrame(200, 'x')], (f) => {
      assert.deepEqual(f.map((x) => x.type), [2, 8]);
      assert.match(f[1]!.payload.toString(), /unknown frame type 200/);
    }],
    ['a huge length', [MUX_MAGIC, hello, huge], (f) => {
      assert.deepEqual(f.map((x) => x.type), [2, 8]);
      assert.match(f[1]!.payload.toString(), /claims 4294967295 bytes/);
    }],
    ['a CALL too short for its id', [MUX_MAGIC, hello, encodeFrame(3, Buffer.from([1, 2]))], (f) => {
      assert.deepEqual(f.map((x) => x.type), [2, 8]);
      assert.match(f[1]!.payload.toString(), /no room for its id/);
    }],
    ['a method path past the frame', [MUX_MAGIC, hello, encodeFrame(3, Buffer.from([0, 0, 0, 9, 200, 0x2f]))], (f) => {
      assert.deepEqual(f.map((x) => x.type), [2, 8]);
      assert.match(f[1]!.payload.toString(), /CALL 9: its method path runs past the frame/);
    }],
    ['a CALL before the HELLO', [MUX_MAGIC, callFrame(7, gs.path, gs.requestSerialize({ path: '/x' }))], (f) => {
      assert.deepEqual(f.map((x) => x.type), [5, 8]);
      assert.deepEqual(errorOf(f[0]), { id: 7, code: grpc.status.FAILED_PRECONDITION, details: 'a CALL before the HELLO', alluxioCode: '', extra: '' });
    }],
    ['a HELLO that is not JSON', [MUX_MAGIC, encodeFrame(1, '{nope')], (f) => assert.deepEqual(f.map((x) => x.type), [8])],
    ['a second HELLO', [MUX_MAGIC, hello, hello], (f) => assert.deepEqual(f.map((x) => x.type), [2, 8])],
    // Answered, and the connection goes on: garbage payload, unknown method, then a good call.
    ['garbage payload and an unknown method', [MUX_MAGIC, hello, callFrame(1, gs.path, Buffer.from([0xff, 0xff])), callFrame(2, '/Nope/Nope', Buffer.alloc(0)), callFrame(0xffffffff, gs.path, gs.requestSerialize({ path: '/fine' }))], (f) => {
      assert.deepEqual(f.slice(0, 4).map((x) => x.type), [2, 5, 5, 4]);
      assert.equal(errorOf(f[1])!.code, grpc.status.INVALID_ARGUMENT);
      assert.match(errorOf(f[1])!.details, /^cannot decode the request of \/alluxio\.grpc\.file\.FileSystemMasterClientService\/GetStatus: /);
      assert.deepEqual(errorOf(f[2]), { id: 2, code: grpc.status.UNIMPLEMENTED, details: 'unknown method "/Nope/Nope"', alluxioCode: '', extra: '' });
      assert.equal(f[3]!.payload.readUInt32BE(0), 0xffffffff);
      assert.equal((gs.responseDeserialize(f[3]!.payload.subarray(4)) as { path: string }).path, '/fine');
    }, 4],
  ];
  for (const [what, parts, check, count] of cases) {
    const frames = await exchangeFrames(srv.port, parts, count);
    check(frames);
    assert.equal((await good.call<{ path: string }>(getStatus(), { path: `/after ${what}` }, 5000)).path, `/after ${what}`, `after ${what}`);
  }
}));

test('the framed mux: calls in flight are bounded, on the client (the rest wait for a slot) and on the server (the rest are refused)', () => withFramed(async (ch, srv) => {
  running.max = 0;
  const n = MAX_CLIENT_CALLS_IN_FLIGHT + 100;
  const replies = await Promise.all(Array.from({ length: n }, (_, i) => ch.call<{ path: string }>(getStatus(), { path: `/sleep/50/${i}` }, 20_000)));
  assert.deepEqual(replies.map((r) => r.path), Array.from({ length: n }, (_, i) => `/sleep/50/${i}`));
  assert.equal(running.max, MAX_CLIENT_CALLS_IN_FLIGHT, 'the server ran more (or fewer) calls of one client at once than the client bound');
  // A client that ignores the bound gets RESOURCE_EXHAUSTED for the calls beyond the server's.
  const gs = getStatus();
  const calls = Array.from({ length: MAX_SERVER_CALLS_IN_FLIGHT + 1 }, (_, i) => callFrame(i, gs.path, gs.requestSerialize({ path: `/sleep/3000/${i}` })));
  const frames = await exchangeFrames(srv.port, [MUX_MAGIC, helloFrame(''), ...calls], 2, 10_000);
  assert.deepEqual(frames.map((f) => f.type), [2, 5]);
  assert.deepEqual(errorOf(frames[1]), { id: MAX_SERVER_CALLS_IN_FLIGHT, code: grpc.status.RESOURCE_EXHAUSTED, details: `more than ${MAX_SERVER_CALLS_IN_FLIGHT} calls in flight on one connection`, alluxioCode: '', extra: '' });
}));

test('a stopping server gives calls in flight on the framed mux the grace to finish; longer ones fail as Unavailable', () => withFramed(async (ch, srv) => {
  const quick = ch.call<{ path: string }>(getStatus(), { path: '/sleep/200/quick' }, 20_000);
  const slow = ch.call(getStatus(), { path: '/sleep/3000/slow' }, 30_000);
  await waitFor('both calls running on the server', async () => srv.calls.length === 2, 10_000, 10);
  const closing = srv.close(1000);
  assert.equal((await quick).path, '/sleep/200/quick');
  await assert.rejects(slow, UnavailableError);
  await closing;
}));
