/**
 * Unary calls multiplexed over one stream (src/mux.ts) behave as plain unary calls: same results,
 * same typed errors (NotLeader with its hint, FileDoesNotExist with its path), deadlines, a
 * broken stream fails its calls as Unavailable and the next call opens a new one, and a server
 * without the mux is reached with plain unary calls.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { protos, unary, bindServer, CHANNEL_OPTIONS } from '../../src/rpc.js';
import { addMuxService, MuxChannel } from '../../src/mux.js';
import { MasterClient } from '../../src/client/masterClient.js';
import { waitFor } from '../harness/wait.js';
import { FileDoesNotExistError, NotLeaderError, TimeoutError, UnavailableError } from '../../src/errors.js';

/** A file service whose GetStatus answers after `delay(path)` ms, or fails for some paths. */
function fileService(calls: string[]): grpc.UntypedServiceImplementation {
  return {
    GetStatus: unary(async (r: { path: string }) => {
      calls.push(r.path);
      const m = /^\/sleep\/(\d+)/.exec(r.path);
      if (m) await new Promise((res) => setTimeout(res, Number(m[1])));
      if (r.path === '/missing') throw new FileDoesNotExistError(r.path);
      if (r.path === '/standby') throw new NotLeaderError('127.0.0.1:19998');
      return { path: r.path, name: r.path.split('/').pop(), length: r.path.length, folder: false };
    }),
  };
}

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
async function childServer(port: number): Promise<{ child: ChildProcess; port: number }> {
  const rpc = new URL('../../src/rpc.js', import.meta.url).href;
  const mux = new URL('../../src/mux.js', import.meta.url).href;
  const script = `
    import * as grpc from '@grpc/grpc-js';
    import { protos, unary, bindServer, CHANNEL_OPTIONS } from '${rpc}';
    import { addMuxService } from '${mux}';
    const s = new grpc.Server(CHANNEL_OPTIONS);
    const def = protos().file.FileSystemMasterClientService.service;
    const impl = { GetStatus: unary(async (r) => { if (r.path.startsWith('/slow')) await new Promise((res) => setTimeout(res, 30000)); return { path: r.path }; }) };
    s.addService(def, impl);
    addMuxService(s, [[def, impl]]);
    console.log('ready ' + await bindServer(s, '127.0.0.1', ${port}));`;
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

test('a stream whose server dies fails its calls as Unavailable, and the next call opens a new one', async () => {
  const first = await childServer(0);
  const port = first.port;
  let child = first.child;
  const ch = new MuxChannel(`127.0.0.1:${port}`);
  try {
    const inFlight = ch.call(getStatus(), { path: '/slow/pending' }, 20_000);
    assert.equal((await ch.call<{ path: string }>(getStatus(), { path: '/up' }, 5000)).path, '/up');
    child.kill('SIGKILL');
    await assert.rejects(inFlight, (e: unknown) => e instanceof UnavailableError);
    ({ child } = await childServer(port)); // the same address again
    const reply = await waitFor('a call on a new stream to the restarted server', () => ch.call<{ path: string }>(getStatus(), { path: '/again' }, 2000), 20_000);
    assert.equal(reply.path, '/again');
  } finally {
    ch.close();
    child.kill('SIGKILL');
  }
});

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
