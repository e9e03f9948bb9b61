/**
 * Every port is hostile ground (convention 12): a real 3-master + 1-worker cluster gets random,
 * truncated and near-valid input on each of its ports (embedded journal, master rpc and web,
 * worker rpc and web): raw bytes, well-framed gRPC calls with mutated protobuf payloads to every
 * method of every service, the mux stream, the framed mux on the master rpc port (HELLOs and CALL
 * frames of every shape), RaftBatch streams with broken JSON messages, framed Raft connections
 * (HELLO, BATCH frames) with the same, and malformed HTTP requests. Afterwards every process is alive, a leader serves, the namespace and
 * file contents are what they were, and no server log holds an uncaught error.
 *
 * Seeded: FUZZ_SEED=<n> replays a run, FUZZ_ITER=<n> sets the messages per port (default 150).
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { protos } from '../../src/rpc.js';
import { TestCluster, getJson, waitFor } from '../harness/cluster.js';
import { Rng, mutate, raftMessageString, httpRequest, randomJson } from './gen.js';
import { MUX_MAGIC, MUX_VERSION } from '../../src/mux.js';
import { exchangeFrames, callFrame, helloFrame, errorOf, MUX_FRAME } from '../harness/muxFrames.js';

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ITER = Math.max(1, Number(process.env.FUZZ_ITER ?? 150));
const REPLAY = `FUZZ_SEED=${SEED} FUZZ_ITER=${ITER} node --test dist/test/fuzz/ports.test.js`;
/** Per call or connection: the fuzz never waits longer on one input. */
const DEADLINE_MS = 2000;

const c = new TestCluster({ masters: 3, workers: 1, props: { 'alluxio.user.rpc.retry.max.duration': '15s' } });
const FILES: Record<string, Buffer> = {};

before(async () => {
  await c.setup();
  await c.start();
  await c.waitLiveWorkers(1, 'the worker registered with the leader');
  // A few files and directories, cached and persisted, to compare after the storm.
  ok(await c.cli(['fs', 'mkdir', '/fuzz/d1/d2']));
  const rng = new Rng(1);
  const writeTypes = ['MUST_CACHE', 'CACHE_THROUGH', 'THROUGH'];
  for (let i = 0; i < 3; i++) {
    const local = path.join(c.dir, `local${i}`);
    const data = rng.bytes(1000 + 700_000 * i);
    fs.writeFileSync(local, data);
    const p = `/fuzz/${i === 2 ? 'd1/' : ''}f${i}`;
    ok(await c.cli(['fs', 'copyFromLocal', '--writeType', writeTypes[i]!, local, p]));
    FILES[p] = data;
  }
});
after(async () => { await c.stop(); });

function ok(r: { code: number; stdout: string; stderr: string }): void {
  assert.equal(r.code, 0, `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\n${c.logs()}\nreplay: ${REPLAY}`);
}

/** What a person would compare: the recursive listing and every file's bytes. */
async function snapshotNamespace(): Promise<{ ls: string; contents: Record<string, string> }> {
  const ls = await c.cli(['fs', 'ls', '-R', '/']);
  ok(ls);
  const contents: Record<string, string> = {};
  for (const p of Object.keys(FILES)) {
    const out = path.join(c.dir, `check-${Object.keys(contents).length}`);
    fs.rmSync(out, { force: true });
    ok(await c.cli(['fs', 'copyToLocal', p, out]));
    contents[p] = fs.readFileSync(out).toString('base64');
  }
  // The in-Alluxio percentage is left out: reading a THROUGH file here caches it.
  return { ls: ls.stdout.replace(/ +\d+% +/g, ' '), contents };
}

/** Connect, write `data`, read whatever comes back for a short while, close. */
function raw(port: number, data: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const done = () => { clearTimeout(t); s.destroy(); resolve(); };
    const t = setTimeout(done, 300);
    s.on('error', done);
    s.on('close', done);
    s.on('data', () => {});
    s.on('connect', () => { s.write(data); if (data.length % 2) s.end(); });
  });
}

/** One data channel frame: [type u8][length u32 BE][payload]. */
function frame(type: number, payload: Buffer, claimed = payload.length): Buffer {
  const h = Buffer.alloc(5);
  h.writeUInt8(type & 0xff, 0);
  h.writeUInt32BE(claimed >>> 0, 1);
  return Buffer.concat([h, payload]);
}

/** A hostile data channel connection's bytes: MAGIC, a HELLO (often with the secret), then near-valid frames. */
function dataChannelInput(rng: Rng): Buffer {
  const file = path.join(c.confDir, 'alluxio-cluster.secret');
  const secret = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : '';
  const json = (v: unknown) => Buffer.from(JSON.stringify(v));
  const parts: Buffer[] = [Buffer.from('ALXD')];
  if (rng.bool(0.9)) parts.push(frame(1, json({ version: rng.pick([1, 1, 1, 2, -1, 'x']), secret: rng.pick([secret, secret, '', 'f'.repeat(64)]) })));
  for (let n = rng.int(5); n > 0; n--) {
    const type = rng.pick([2, 3, 4, 5, 1, 6, 9, 0, 200]);
    const body = rng.pick([
      json({ blockId: rng.pick([1, -1, 2 ** 60, 'x', 1.5]), offset: rng.pick([0, -7, 2 ** 53]), length: rng.pick([0, 1, -1]), promote: rng.bool(0.5) }),
      json({ blockId: rng.pick([7, -1]), spaceToReserve: rng.pick([0, -100, 2 ** 62]), tierAlias: rng.pick(['', 'MEM', 'x'.repeat(1000)]), pinned: rng.bool(0.5) }),
      Buffer.from(JSON.stringify(randomJson(rng))), rng.bytes(rng.size(512)),
    ]);
    parts.push(frame(type, body, rng.bool(0.1) ? rng.pick([2 ** 32 - 1, 2 ** 26, body.length + 100]) : body.length));
  }
  const all = Buffer.concat(parts);
  return rng.bool(0.2) ? all.subarray(0, rng.int(all.length + 1)) : all;
}

/**
 * A hostile framed mux connection's bytes (master rpc port): MAGIC, usually a HELLO (of this
 * version or not, or junk), then CALL frames to real methods with mutated requests (never a
 * valid namespace change: harmless), with lying path lengths, and frames of other types, huge
 * lengths, truncation.
 */
function framedMuxInput(rng: Rng, methods: Method[]): Buffer {
  const parts: Buffer[] = [MUX_MAGIC];
  if (rng.bool(0.9)) {
    parts.push(rng.bool(0.8)
      ? helloFrame(rng.pick(['', 'fuzz', 'x'.repeat(300), 'a b', 'root']), rng.pick([MUX_VERSION, MUX_VERSION, MUX_VERSION, 2, -1, 'x', 2 ** 60]))
      : frame(MUX_FRAME.HELLO, rng.bytes(rng.size(64))));
  }
  for (let n = rng.int(6); n > 0; n--) {
    const type = rng.pick([3, 3, 3, 3, 6, 1, 2, 4, 5, 7, 8, 0, 200]);
    if (type === MUX_FRAME.CALL) {
      const target = rng.pick(methods);
      const inner = harmless(target, rng.bool(0.8) ? mutate(rng, template(target, rng)) : template(target, rng)) ?? Buffer.alloc(0);
      const path = rng.bool(0.8) ? target.path : rng.string();
      let call = callFrame(rng.pick([0, 1, 2 ** 32 - 1, rng.int(1000)]), path, inner, rng.bool(0.1) ? rng.int(256) : undefined);
      if (rng.bool(0.1)) call = call.subarray(0, rng.int(call.length + 1));
      parts.push(call);
      continue;
    }
    const body = rng.bytes(rng.size(64));
    parts.push(frame(type, body, rng.bool(0.1) ? rng.pick([2 ** 32 - 1, 2 ** 26 + 100, body.length + 100]) : body.length));
  }
  const all = Buffer.concat(parts);
  return rng.bool(0.2) ? all.subarray(0, rng.int(all.length + 1)) : all;
}

/** A hostile framed Raft connection's bytes (src/journal/raft/framedWire.ts): magic, HELLO, then near-valid BATCH frames. */
function raftFramedInput(rng: Rng, self: string, peer: string, clusterId: string): Buffer {
  const file = path.join(c.confDir, 'alluxio-cluster.secret');
  const secret = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : '';
  const json = (v: unknown) => Buffer.from(JSON.stringify(v) ?? 'null');
  const from = rng.pick([peer, peer, 'fuzz:1', '', 'x'.repeat(300)]);
  const parts: Buffer[] = [Buffer.from('ALXR')];
  if (rng.bool(0.9)) parts.push(frame(1, json({ version: rng.pick([1, 1, 1, 2, -1, 'x']), from, secret: rng.pick([secret, secret, '', 'f'.repeat(64)]) })));
  for (let n = 1 + rng.int(4); n > 0; n--) {
    const type = rng.pick([3, 3, 3, 3, 1, 2, 9, 0, 200]);
    const messages = Array.from({ length: 1 + rng.int(4) }, () => {
      const m = raftMessageString(rng, from, rng.bool(0.8) ? self : 'localhost:1');
      try { return JSON.parse(m) as unknown; } catch { return m; }
    });
    const body = rng.pick([
      json({ clusterId: rng.pick([clusterId, clusterId, '', 'other-cluster', 7]), messages }),
      json({ clusterId, messages: rng.pick([messages, {}, 'x', null]) }),
      json(randomJson(rng)), rng.bytes(rng.size(512)),
    ]);
    parts.push(frame(type, body, rng.bool(0.1) ? rng.pick([2 ** 32 - 1, 2 ** 26 + 1, body.length + 100]) : body.length));
  }
  const all = Buffer.concat(parts);
  return rng.bool(0.2) ? all.subarray(0, rng.int(all.length + 1)) : all;
}

const id = (b: Buffer) => b;
type Method = grpc.MethodDefinition<any, any> & { service: string; name: string };

function methodsOf(service: grpc.ServiceDefinition, serviceName: string): Method[] {
  return Object.entries(service).map(([name, def]) => ({ ...(def as grpc.MethodDefinition<any, any>), service: serviceName, name }));
}

/** Send one call with arbitrary request bytes, whatever the method's streaming kind; never throws. */
function callRaw(client: grpc.Client, m: Method, payloads: Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    const deadline = new Date(Date.now() + DEADLINE_MS);
    const finish = () => resolve();
    if (!m.requestStream && !m.responseStream) {
      client.makeUnaryRequest(m.path, id, id, payloads[0]!, { deadline }, finish);
    } else if (m.requestStream && !m.responseStream) {
      const st = client.makeClientStreamRequest(m.path, id, id, { deadline }, finish);
      st.on('error', () => {});
      for (const p of payloads) st.write(p);
      st.end();
    } else {
      const st = m.requestStream
        ? client.makeBidiStreamRequest(m.path, id, id, { deadline })
        : client.makeServerStreamRequest(m.path, id, id, payloads[0]!, { deadline });
      st.on('data', () => {});
      st.on('error', finish);
      st.on('status', finish);
      if (m.requestStream) { for (const p of payloads) (st as grpc.ClientDuplexStream<Buffer, Buffer>).write(p); (st as grpc.ClientDuplexStream<Buffer, Buffer>).end(); }
    }
  });
}

/** Methods that change the namespace when handed a valid absolute path. */
const MUTATING = new Set(['CreateDirectory', 'CreateFile', 'GetNewBlockIdForFile', 'CompleteFile', 'Remove', 'Rename']);

/**
 * A request that, if it decodes, the server must reject: the fuzz must never send a valid
 * namespace change (that would be a legitimate change, not a fault). Undefined = skip.
 */
function harmless(m: Method, payload: Buffer): Buffer | undefined {
  if (!MUTATING.has(m.name)) return payload;
  let req: any;
  try { req = m.requestDeserialize(payload); } catch { return payload; }
  for (const k of ['path', 'src', 'dst']) if (typeof req?.[k] === 'string' && req[k].startsWith('/')) return undefined;
  return payload;
}

/** A plausible request for a method, to mutate. Namespace changes name relative (invalid) paths. */
function template(m: Method, rng: Rng): Buffer {
  const objects: unknown[] = [
    { path: MUTATING.has(m.name) ? 'fuzz/relative' : '/fuzz/f0', src: 'fuzz/a', dst: 'fuzz/b', recursive: true, opId: 'fuzz', length: 5, blockId: 16777216, offset: 3, workerId: 1,
      address: { host: 'localhost', rpcPort: 1, webPort: 2 }, ufsPath: '/etc/passwd', blockLength: 1 << 30, offsetInFile: -5, cache: true, tiers: [{ alias: 'MEM', capacityBytes: 5, usedBytes: 9 }] },
    { header: { blockId: -1, ufsPath: '../../../../tmp/x\u0000', spaceToReserve: 2 ** 50, tierAlias: 'NOPE' } },
    { chunk: rng.bytes(64) },
    { id: 2 ** 64 - 1, path: rng.pick(['/nope/Nope', '', '/alluxio.grpc.meta.MetaMasterClientService/GetMasterInfo', '/alluxio.grpc.file.FileSystemMasterClientService/Remove']), payload: rng.bytes(rng.size(64)) },
    randomJson(rng),
  ];
  try { return m.requestSerialize(rng.pick(objects)); } catch { return rng.bytes(rng.size(128)); }
}

/** Fuzz every method of every service in `services` served at `port`. */
async function fuzzGrpc(port: number, services: Method[], rng: Rng, extra?: (client: grpc.Client, m: Method) => Promise<boolean>): Promise<number> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  let sent = 0;
  try {
    for (let i = 0; i < ITER; i++) {
      const m = rng.pick(services);
      if (extra && await extra(client, m)) { sent++; continue; }
      const payloads: Buffer[] = [];
      for (let k = m.requestStream ? 1 + rng.int(4) : 1; k > 0; k--) {
        const p = harmless(m, rng.bool(0.8) ? mutate(rng, template(m, rng)) : template(m, rng));
        if (p) payloads.push(p);
      }
      if (!payloads.length) continue;
      await callRaw(client, m, payloads);
      sent++;
    }
  } finally { client.close(); }
  return sent;
}

test(`fuzz every port (seed ${SEED}, ${ITER} inputs per port): the servers stay up and the namespace is unchanged`, async (t) => {
  const before = await snapshotNamespace();
  const rng = new Rng(SEED);
  const p = protos();
  const clusterId: string = (await getJson(`http://127.0.0.1:${c.masterPorts[0]!.web}/api/v1/master/info`)).clusterId;
  const masterServices = [
    ...methodsOf(p.file.FileSystemMasterClientService.service, 'file'), ...methodsOf(p.block.BlockMasterClientService.service, 'block'),
    ...methodsOf(p.block.BlockMasterWorkerService.service, 'blockWorker'), ...methodsOf(p.meta.MetaMasterClientService.service, 'meta'),
    ...methodsOf(p.journal.JournalMasterClientService.service, 'journal'), ...methodsOf(p.mux.MuxService.service, 'mux'),
  ];
  const muxMethods = masterServices.filter((m) => m.service !== 'mux');
  const mux = methodsOf(p.mux.MuxService.service, 'mux')[0]!;
  const raft = methodsOf(p.raft.RaftJournalService.service, 'raft');
  const worker = methodsOf(p.worker.BlockWorker.service, 'worker');
  const counts: Record<string, number> = {};
  const ports: { name: string; port: number }[] = [];
  for (const [i, mp] of c.masterPorts.entries()) ports.push({ name: `master${i} journal`, port: mp.journal }, { name: `master${i} rpc`, port: mp.rpc }, { name: `master${i} web`, port: mp.web });
  for (const [i, wp] of c.workerPorts.entries()) ports.push({ name: `worker${i} rpc`, port: wp.rpc }, { name: `worker${i} web`, port: wp.web });
  try {
    // 1. Raw bytes to every TCP port: noise, an HTTP/2 preface followed by noise, HTTP/1 noise.
    const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    for (const { name, port } of ports) {
      for (let i = 0; i < Math.ceil(ITER / 5); i++) {
        const noise = rng.bytes(rng.size(4096));
        await raw(port, rng.pick([noise, Buffer.concat([preface, noise]), Buffer.concat([preface, mutate(rng, Buffer.from('000000040000000000', 'hex')), noise]), httpRequest(rng)]));
      }
      counts[`${name} raw`] = Math.ceil(ITER / 5);
    }
    // 2. Raft: RaftBatch streams (and Deliver) with broken messages, right and wrong cluster ids.
    for (const [i, mp] of c.masterPorts.entries()) {
      const self = `localhost:${mp.journal}`;
      counts[`master${i} journal grpc`] = await fuzzGrpc(mp.journal, raft, rng, async (client, m) => {
        if (rng.bool(0.2)) return false; // mutated protobuf instead
        const from = rng.pick(['fuzz:1', `localhost:${c.masterPorts[(i + 1) % 3]!.journal}`, '', 'x'.repeat(300)]);
        const batches = Array.from({ length: 1 + rng.int(3) }, () => m.requestSerialize({
          from, clusterId: rng.pick([clusterId, clusterId, '', 'other-cluster', clusterId + 'x']),
          messages: Array.from({ length: 1 + rng.int(4) }, () => raftMessageString(rng, from, rng.bool(0.8) ? self : 'localhost:1')),
        }));
        await callRaw(client, m, batches);
        return true;
      });
    }
    // 2b. Raft, framed wire: RAFT_MAGIC, a HELLO (right or wrong sender, version, secret), then
    //     BATCH frames with broken JSON and messages, unknown types, huge lengths, truncation.
    for (const [i, mp] of c.masterPorts.entries()) {
      const self = `localhost:${mp.journal}`, peer = `localhost:${c.masterPorts[(i + 1) % 3]!.journal}`;
      // A third of ITER connections per master (each carries up to 4 frames; one that is left open costs raw()'s 300 ms).
      const n = Math.ceil(ITER / 3);
      for (let k = 0; k < n; k++) await raw(mp.journal, raftFramedInput(rng, self, peer, clusterId));
      counts[`master${i} journal framed`] = n;
    }
    // 3. Master rpc: every method of every service, and the mux with unknown ids, paths and payloads.
    for (const [i, mp] of c.masterPorts.entries()) {
      counts[`master${i} rpc grpc`] = await fuzzGrpc(mp.rpc, masterServices, rng, async (client, m) => {
        if (m !== mux && m.service !== 'mux') return false;
        if (rng.bool(0.3)) return false;
        const target = rng.pick(muxMethods);
        const reqs = Array.from({ length: 1 + rng.int(4) }, () => {
          const inner = harmless(target, rng.bool(0.8) ? mutate(rng, template(target, rng)) : template(target, rng)) ?? Buffer.alloc(0);
          return mux.requestSerialize({ id: rng.pick([0, 1, 2 ** 32, 2 ** 53 + 1, 2 ** 64 - 1]), path: rng.bool(0.8) ? target.path : rng.string(), payload: inner });
        });
        await callRaw(client, mux, reqs);
        return true;
      });
    }
    // 3b. Master rpc, framed mux: MAGIC, HELLOs of every kind, then CALL frames with mutated
    //     requests, lying lengths, unknown types, CALLs without a HELLO, truncated frames.
    for (const [i, mp] of c.masterPorts.entries()) {
      const n = Math.ceil(ITER / 2);
      for (let k = 0; k < n; k++) await raw(mp.rpc, framedMuxInput(rng, muxMethods));
      counts[`master${i} rpc framed mux`] = n;
    }
    // 4. Worker rpc: block and UFS streams with missing headers, nasty numbers and paths.
    for (const [i, wp] of c.workerPorts.entries()) counts[`worker${i} rpc grpc`] = await fuzzGrpc(wp.rpc, worker, rng);
    // 4b. Worker rpc, data channel: MAGIC then frames (a HELLO with and without the secret, then
    //     READ/WRITE/DATA/END with junk, huge lengths, unknown types, truncated frames).
    for (const [i, wp] of c.workerPorts.entries()) {
      for (let k = 0; k < ITER; k++) await raw(wp.rpc, dataChannelInput(rng));
      counts[`worker${i} rpc data channel`] = ITER;
    }
    // 5. Web ports: malformed HTTP requests.
    for (const { name, port } of ports.filter((x) => x.name.endsWith('web'))) {
      for (let i = 0; i < ITER; i++) await raw(port, httpRequest(rng));
      counts[`${name} http`] = ITER;
    }
  } catch (e) {
    assert.fail(`the fuzz driver itself failed: ${(e as Error).stack}\nreplay: ${REPLAY}`);
  }

  // Every process is alive, a leader serves, the namespace is as before, no log has an uncaught error.
  const dead = [...c.masterPorts.keys()].filter((i) => !c.isRunning('master', i)).map((i) => `master ${i}`)
    .concat([...c.workerPorts.keys()].filter((i) => !c.isRunning('worker', i)).map((i) => `worker ${i}`));
  assert.deepEqual(dead, [], `processes died during the fuzz (inputs: ${JSON.stringify(counts)})\nreplay: ${REPLAY}\n${c.logs()}`);
  await c.waitLeader(20_000);
  const afterNs = await snapshotNamespace();
  assert.equal(afterNs.ls, before.ls, `namespace changed\nreplay: ${REPLAY}`);
  assert.deepEqual(afterNs.contents, before.contents, `file contents changed\nreplay: ${REPLAY}`);
  const logs = c.logs();
  // Not vacuous: every master's journal port saw and dropped bad batches.
  for (const i of c.masterPorts.keys()) assert.match(c.logOf('master', i), /Dropped a raft batch from /, `master ${i} dropped no raft batch\nreplay: ${REPLAY}`);
  t.diagnostic(`seed ${SEED}: ${JSON.stringify(counts)}`);
  const uncaught = logs.split('\n').filter((l) => /uncaught|unhandled|^\s+at .+:\d+:\d+\)?$|(Syntax|Type|Range|Reference)Error/i.test(l));
  assert.deepEqual(uncaught, [], `a server log shows an uncaught error\nreplay: ${REPLAY}\n${logs}`);
});

/** The status of one call with request objects encoded by the method's own definition. */
function statusOf(port: number, m: Method, requests: unknown[]): Promise<{ code: number; details: string; alluxioCode: string }> {
  return new Promise((resolve) => {
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const deadline = new Date(Date.now() + 10_000);
    const done = (e: grpc.ServiceError | null | grpc.StatusObject) => {
      client.close();
      const code = e?.code ?? 0, md = e?.metadata?.get('alluxio-code')?.[0];
      resolve({ code, details: e?.details ?? '', alluxioCode: typeof md === 'string' ? md : '' });
    };
    const ser = m.requestSerialize;
    if (!m.requestStream && !m.responseStream) { client.makeUnaryRequest(m.path, ser, id, requests[0], { deadline }, (e) => done(e)); return; }
    if (m.requestStream && !m.responseStream) {
      const st = client.makeClientStreamRequest(m.path, ser, id, { deadline }, (e) => done(e));
      for (const r of requests) st.write(r);
      st.end();
      return;
    }
    const st = client.makeServerStreamRequest(m.path, ser, id, requests[0], { deadline });
    st.on('data', () => {});
    st.on('error', () => {});
    st.on('status', (s) => done(s));
  });
}

test('targeted bad requests get typed errors naming the field; the servers never see them as their own bugs', async () => {
  const p = protos();
  const worker = Object.fromEntries(methodsOf(p.worker.BlockWorker.service, 'worker').map((m) => [m.name, m]));
  const blockWorker = Object.fromEntries(methodsOf(p.block.BlockMasterWorkerService.service, 'blockWorker').map((m) => [m.name, m]));
  const file = Object.fromEntries(methodsOf(p.file.FileSystemMasterClientService.service, 'file').map((m) => [m.name, m]));
  const w = c.workerPorts[0]!.rpc, leader = c.masterPorts[await c.waitLeader()]!.rpc;
  const ufs = (s: string) => path.join(c.ufsDir, s);
  const cases: [string, number, Method, unknown[], number, string, string][] = [
    ['".." in a UFS path', w, worker.ReadUfsBlock!, [{ ufsPath: `${c.ufsDir}/../../etc/passwd`, blockId: 1, offsetInFile: 0, blockLength: 1 }], grpc.status.INVALID_ARGUMENT, 'INVALID_PATH', `ReadUfsBlock ufsPath "${c.ufsDir}/../../etc/passwd" has a "." or ".." component`],
    ['NUL in a UFS path', w, worker.ReadUfsBlock!, [{ ufsPath: ufs('a\u0000b'), blockId: 1, offsetInFile: 0, blockLength: 1 }], grpc.status.INVALID_ARGUMENT, 'INVALID_PATH', `ReadUfsBlock ufsPath ${JSON.stringify(ufs('a\u0000b'))} contains a NUL character`],
    ['a UFS path outside the root', w, worker.ReadUfsBlock!, [{ ufsPath: '/etc/passwd', blockId: 1, offsetInFile: 0, blockLength: 1 }], grpc.status.INVALID_ARGUMENT, 'INVALID_PATH', `UFS path /etc/passwd is outside the root UFS ${c.ufsDir}`],
    ['data before the header', w, worker.WriteUfsFile!, [{ chunk: Buffer.from('x') }], grpc.status.FAILED_PRECONDITION, 'FAILED_PRECONDITION', 'WriteUfsFile: data before header'],
    ['a second header', w, worker.WriteUfsFile!, [{ header: { fileId: 123 } }, { header: { fileId: 124 } }], grpc.status.FAILED_PRECONDITION, 'FAILED_PRECONDITION', 'WriteUfsFile: a second header'],
    ['file id 0', w, worker.WriteUfsFile!, [{ header: { fileId: 0 } }], grpc.status.INVALID_ARGUMENT, 'INVALID_PATH', 'file id 0 is not valid'],
    ['a negative file id', w, worker.WriteUfsFile!, [{ header: { fileId: -4 } }], grpc.status.INVALID_ARGUMENT, 'INVALID_ARGUMENT', 'WriteUfsFile fileId must be an integer between 0 and 9007199254740991, not -4'],
    ['negative block length', leader, blockWorker.CommitBlock!, [{ workerId: 1, blockId: 16777216, length: -5, tierAlias: 'MEM' }], grpc.status.INVALID_ARGUMENT, 'INVALID_ARGUMENT', 'CommitBlock length must be an integer between 0 and 9007199254740991, not -5'],
    ['registration without an address', leader, blockWorker.RegisterWorker!, [{ previousWorkerId: 0 }], grpc.status.INVALID_ARGUMENT, 'INVALID_ARGUMENT', 'RegisterWorker address: the request is not a message'],
    ['NUL in a namespace path', leader, file.CreateFile!, [{ path: '/fuzz/a\u0000b' }], grpc.status.INVALID_ARGUMENT, 'INVALID_PATH', 'CreateFile path "/fuzz/a\\u0000b" contains a NUL character'],
  ];
  for (const [what, port, m, reqs, code, alluxioCode, details] of cases) {
    assert.deepEqual(await statusOf(port, m, reqs), { code, alluxioCode, details }, what);
  }
  const temps = ufs('.alluxio_ufs_persistence');
  assert.deepEqual(fs.existsSync(temps) ? fs.readdirSync(temps) : [], [], 'no temp file left in the UFS');
});

test('the mux answers unknown methods, undecodable payloads and impossible ids, and serves the next call on the same stream', async () => {
  const p = protos();
  const mux = methodsOf(p.mux.MuxService.service, 'mux')[0]!;
  const getStatus = methodsOf(p.file.FileSystemMasterClientService.service, 'file').find((m) => m.name === 'GetStatus')!;
  const info = methodsOf(p.meta.MetaMasterClientService.service, 'meta').find((m) => m.name === 'GetMasterInfo')!;
  const client = new grpc.Client(`127.0.0.1:${c.masterPorts[await c.waitLeader()]!.rpc}`, grpc.credentials.createInsecure());
  try {
    const st = client.makeBidiStreamRequest(mux.path, mux.requestSerialize, mux.responseDeserialize, { deadline: new Date(Date.now() + 10_000) });
    const got: any[] = [];
    st.on('data', (r) => got.push(r));
    st.on('error', () => {});
    st.write({ id: 2 ** 64 - 1, path: info.path, payload: Buffer.alloc(0) });
    st.write({ id: 5, path: '/alluxio.grpc.Nope/Nope', payload: Buffer.alloc(0) });
    st.write({ id: 6, path: getStatus.path, payload: Buffer.from([0xff, 0xff]) });
    st.write({ id: 7, path: info.path, payload: Buffer.alloc(0) });
    await waitFor('four answers', async () => got.length === 4, 10_000, 20);
    st.end();
    const byId = new Map(got.map((r) => [r.id, r]));
    assert.deepEqual([...byId.keys()].sort(), [0, 5, 6, 7]);
    assert.deepEqual([byId.get(0).failed, byId.get(0).code, byId.get(0).details], [true, grpc.status.INVALID_ARGUMENT, 'call id 18446744073709552000 is not an integer between 0 and 9007199254740991']);
    assert.deepEqual([byId.get(5).failed, byId.get(5).code, byId.get(5).details], [true, grpc.status.UNIMPLEMENTED, 'unknown method "/alluxio.grpc.Nope/Nope"']);
    assert.deepEqual([byId.get(6).failed, byId.get(6).code], [true, grpc.status.INVALID_ARGUMENT]);
    assert.match(byId.get(6).details, /^cannot decode the request of \/alluxio\.grpc\.file\.FileSystemMasterClientService\/GetStatus: /);
    assert.equal(byId.get(7).failed, false);
    assert.equal(info.responseDeserialize(byId.get(7).payload).isLeader, true);
  } finally { client.close(); }
});

test('the framed mux on a master answers unknown methods, undecodable requests and a CALL without a HELLO as the gRPC mux does, and serves the next call', async () => {
  const p = protos();
  const getStatus = methodsOf(p.file.FileSystemMasterClientService.service, 'file').find((m) => m.name === 'GetStatus')!;
  const info = methodsOf(p.meta.MetaMasterClientService.service, 'meta').find((m) => m.name === 'GetMasterInfo')!;
  const port = c.masterPorts[await c.waitLeader()]!.rpc;
  const frames = await exchangeFrames(port, [
    MUX_MAGIC, helloFrame('fuzz'),
    callFrame(5, '/alluxio.grpc.Nope/Nope', Buffer.alloc(0)),
    callFrame(6, getStatus.path, Buffer.from([0xff, 0xff])),
    callFrame(7, info.path, Buffer.alloc(0)),
  ], 4, 10_000);
  assert.deepEqual(frames.map((f) => f.type), [MUX_FRAME.WELCOME, MUX_FRAME.ERROR, MUX_FRAME.ERROR, MUX_FRAME.REPLY]);
  assert.deepEqual(errorOf(frames[1]), { id: 5, code: grpc.status.UNIMPLEMENTED, details: 'unknown method "/alluxio.grpc.Nope/Nope"', alluxioCode: '', extra: '' });
  const undecodable = errorOf(frames[2])!;
  assert.deepEqual([undecodable.id, undecodable.code], [6, grpc.status.INVALID_ARGUMENT]);
  assert.match(undecodable.details, /^cannot decode the request of \/alluxio\.grpc\.file\.FileSystemMasterClientService\/GetStatus: /);
  assert.equal(frames[3]!.payload.readUInt32BE(0), 7);
  assert.equal(info.responseDeserialize(frames[3]!.payload.subarray(4)).isLeader, true);
  // Without a HELLO: answered, then closed with a reason.
  const helloless = await exchangeFrames(port, [MUX_MAGIC, callFrame(9, info.path, Buffer.alloc(0))], Infinity, 10_000);
  assert.deepEqual(helloless.map((f) => f.type), [MUX_FRAME.ERROR, MUX_FRAME.GOAWAY]);
  assert.deepEqual(errorOf(helloless[0]), { id: 9, code: grpc.status.FAILED_PRECONDITION, details: 'a CALL before the HELLO', alluxioCode: '', extra: '' });
});
