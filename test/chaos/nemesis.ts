/**
 * A seeded nemesis run on real processes (issue #10): 3 masters and 2 workers from
 * test/harness/cluster.ts, several clients running a mixed workload, and a nemesis that injects
 * one fault at a time in a seeded random order. At the end:
 *   - every acknowledged write is readable with the right bytes (from a worker or the UFS);
 *   - an operation whose outcome the client never heard (a crash mid-call) took effect at most
 *     once and left correct bytes if it did;
 *   - every master converges to the same namespace (the digest of its applied state);
 *   - no server process died but those the nemesis killed;
 *   - the UFS holds exactly the persisted files (no orphan, no temp file left);
 *   - no stack trace in any CLI output;
 *   - the shared-namespace history is linearizable (test/sim/checker.ts with nsModel).
 * Everything random follows from the seed; a failure prints the command that replays it.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { TestCluster, waitFor, getJson, ROOT } from '../harness/cluster.js';
import { sleep as pause } from '../harness/wait.js';
import { lcg } from '../journal/raft/harness.js';
import { checkLinearizable, type CheckResult } from '../sim/checker.js';
import { nsModel, describeNsOp, type NsInput, type NsOutput, type NsOp } from '../sim/nsModel.js';
import { loadConfig } from '../../src/conf/index.js';
import { FileSystem, WRITE_TYPES, type WriteType } from '../../src/client/fileSystem.js';
import { AlluxioError } from '../../src/errors.js';
import { protos } from '../../src/rpc.js';
import * as grpc from '@grpc/grpc-js';

export const FAULTS = ['kill-master', 'kill-worker', 'pause-master', 'pause-worker', 'garbage', 'fill-worker', 'wipe-follower', 'journal-disk-full'] as const;
/** Faults that need root (tmpfs mounts). */
export const ROOT_FAULTS: readonly Fault[] = ['journal-disk-full'];
export type Fault = typeof FAULTS[number];

export interface ChaosOptions {
  seed: number;
  /** How long the clients run while the nemesis injects faults. */
  durationMs: number;
  clients: number;
  /** Mean pause between two faults (each waits for the previous one to be healed). */
  faultEveryMs: number;
  faults: readonly Fault[];
  log?: (line: string) => void;
}

export interface FaultRecord { kind: Fault; target: string; startMs: number; endMs: number; note: string }

export interface ChaosReport {
  options: Omit<ChaosOptions, 'log'>;
  operations: number;
  failedOperations: number;
  acknowledgedWrites: number;
  /** Acknowledged files still present at the end, each read back and compared. */
  liveFilesChecked: number;
  /** Problems found by the final checks; empty when the run passed. */
  violations: string[];
  faults: FaultRecord[];
  /** Per fault kind: injections and the longest gap between two successful operations of any client during one. */
  byFault: Record<string, { injected: number; longestUnavailableMs: number }>;
  crashes: string[];
  linearizability: CheckResult['result'];
  replay: string;
}

const MB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Deterministic content of write `n` of client `k`. */
function content(seed: number, k: number, n: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  let x = (seed * 7919 + k * 104729 + n * 1299709) >>> 0;
  for (let off = 0; off + 4 <= size; off += 4) { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; b.writeUInt32LE(x, off); }
  return b;
}

/** A stack frame as Node prints it ("    at fn (file.js:1:2)"). */
const STACK = /\n\s+at .+:\d+:\d+\)?/;

interface Acked { sha: string; size: number; writeType: WriteType }

/** One client: its own directory /c<k> for data, shared /k<g> groups for the namespace history. */
class ChaosClient {
  readonly files = new Map<string, Acked>();
  /** Paths whose last mutation's outcome is unknown: allowed present or absent; if present, these bytes. */
  readonly uncertain = new Map<string, string>();
  private n = 0;
  ops = 0;
  failed = 0;
  /** Writes the client was told succeeded (whether renamed or deleted since). */
  ackedWrites = 0;
  /** Writes sent and not answered yet (the nemesis kills while one is in flight). */
  writesInFlight = 0;
  readonly successes: number[] = [];
  readonly cliOutputs: string[] = [];
  readonly violations: string[] = [];

  constructor(readonly k: number, private readonly seed: number, private readonly afs: FileSystem, private readonly c: TestCluster,
    private readonly rnd: () => number, private readonly history: NsOp[], private readonly clock: () => number) {}

  private pick<T>(xs: readonly T[]): T { return xs[Math.floor(this.rnd() * xs.length)]!; }

  async run(until: number): Promise<void> {
    await this.afs.createDirectory(`/c${this.k}`, { recursive: true, allowExists: true }).catch(() => {});
    for (let i = 0; Date.now() < until && i < 100_000; i++) {
      const r = this.rnd();
      this.ops++;
      try {
        if (r < 0.3) await this.write();
        else if (r < 0.5) await this.read();
        else if (r < 0.58) await this.rename();
        else if (r < 0.66) await this.remove();
        else if (r < 0.95) await this.shared();
        else await this.cliList();
        this.successes.push(Date.now());
      } catch {
        this.failed++;
        await pause(50); // back off after a failed operation
      }
    }
  }

  private async write(): Promise<void> {
    if (this.files.size >= 6) { await this.remove(); return; }
    const n = this.n++;
    const p = `/c${this.k}/f${n}`;
    const size = this.rnd() < 0.1 ? 0 : Math.floor(this.rnd() * 1.5 * MB);
    const writeType = this.pick(WRITE_TYPES);
    const data = content(this.seed, this.k, n, size);
    this.writesInFlight++;
    try {
      const out = await this.afs.createFile(p, { writeType, recursive: true });
      await out.write(data);
      await out.close();
    } catch (e) {
      this.uncertain.set(p, sha(data));
      throw e;
    } finally {
      this.writesInFlight--;
    }
    this.files.set(p, { sha: sha(data), size, writeType });
    this.ackedWrites++;
  }

  private async read(): Promise<void> {
    if (!this.files.size) return;
    const p = this.pick([...this.files.keys()]);
    const f = this.files.get(p)!;
    const got = await this.afs.readAll(p);
    if (sha(got) !== f.sha) this.violations.push(`read of ${p} (${f.writeType}, ${f.size} bytes) returned ${got.length} bytes with the wrong content`);
  }

  private async rename(): Promise<void> {
    if (!this.files.size) return;
    const src = this.pick([...this.files.keys()]);
    const dst = `/c${this.k}/r${this.n++}`;
    const f = this.files.get(src)!;
    this.files.delete(src);
    try {
      await this.afs.rename(src, dst);
    } catch (e) {
      this.uncertain.set(src, f.sha);
      this.uncertain.set(dst, f.sha);
      throw e;
    }
    this.files.set(dst, f);
  }

  private async remove(): Promise<void> {
    if (!this.files.size) return;
    const p = this.pick([...this.files.keys()]);
    const f = this.files.get(p)!;
    this.files.delete(p);
    try {
      await this.afs.delete(p);
    } catch (e) {
      this.uncertain.set(p, f.sha);
      throw e;
    }
  }

  /** A namespace operation on a small shared tree, recorded for the linearizability checker. */
  private async shared(): Promise<void> {
    const g = `/k${Math.floor(this.rnd() * 3)}`;
    const name = () => `${g}/${this.pick(['a', 'b', 'c'])}`;
    const r = this.rnd();
    let input: NsInput;
    if (r < 0.2) input = { op: 'mkdir', path: this.rnd() < 0.3 ? g : name(), recursive: this.rnd() < 0.5 };
    else if (r < 0.45) input = { op: 'createFile', path: name(), recursive: this.rnd() < 0.5 };
    else if (r < 0.6) input = { op: 'delete', path: this.rnd() < 0.2 ? g : name(), recursive: this.rnd() < 0.5 };
    else if (r < 0.75) input = { op: 'rename', src: name(), dst: name() };
    else if (r < 0.88) input = { op: 'exists', path: name() };
    else input = { op: 'getStatus', path: name() };
    const op: NsOp = { client: this.k, input, call: this.clock() };
    this.history.push(op);
    const m = this.afs.master;
    const opId = `chaos-${this.seed}-${this.k}-${this.history.length}-${this.n++}`;
    let output: NsOutput;
    try {
      switch (input.op) {
        case 'mkdir': await m.call('file', 'CreateDirectory', { path: input.path, recursive: input.recursive, allowExists: false, writeType: 'MUST_CACHE', opId }); output = { ok: true }; break;
        case 'createFile': await m.call('file', 'CreateFile', { path: input.path, recursive: input.recursive, blockSizeBytes: MB, writeType: 'MUST_CACHE', opId }); output = { ok: true }; break;
        case 'delete': await m.call('file', 'Remove', { path: input.path, recursive: input.recursive, opId }); output = { ok: true }; break;
        case 'rename': await m.call('file', 'Rename', { src: input.src, dst: input.dst, opId }); output = { ok: true }; break;
        case 'exists': output = { ok: true, value: (await m.call('file', 'Exists', { path: input.path })).exists }; break;
        case 'getStatus': output = { ok: true, value: (await m.call('file', 'GetStatus', { path: input.path })).folder ? 'dir' : 'file' }; break;
      }
    } catch (e) {
      // A namespace rejection is a definite answer; anything else (unavailable, timeout) is unknown.
      const code = e instanceof AlluxioError ? e.code : '';
      if (['FILE_ALREADY_EXISTS', 'FILE_DOES_NOT_EXIST', 'DIRECTORY_NOT_EMPTY', 'INVALID_PATH'].includes(code)) {
        op.ret = this.clock();
        op.output = { ok: false, error: code };
        return;
      }
      throw e;
    }
    op.ret = this.clock();
    op.output = output;
  }

  /** Some operations go through the real CLI: its output must never carry a stack trace. */
  private async cliList(): Promise<void> {
    const r = await this.c.cli(['fs', 'ls', '-R', `/c${this.k}`], 30_000);
    this.cliOutputs.push(r.stdout + r.stderr);
    if (r.code !== 0) throw new Error(`fs ls exited ${r.code}`);
  }
}

/** Random bytes, truncated HTTP and HTTP/2 prefaces to a port; never waits long for an answer. */
async function garbageTo(port: number, rnd: () => number): Promise<void> {
  const payloads = [
    Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 4096) }, () => Math.floor(rnd() * 256))),
    Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04\x00\x00\x00\x00\x00'),
    Buffer.from(`GET /${'%'.repeat(Math.floor(rnd() * 50))}\xff HTTP/1.1\r\nHost: x\r\n${'X: y\r\n'.repeat(50)}\r\n`, 'latin1'),
  ];
  for (const data of payloads) {
    await new Promise<void>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      const done = () => { s.destroy(); resolve(); };
      s.setTimeout(500, done);
      s.on('error', done);
      s.on('connect', () => { s.write(data); setTimeout(done, 50); });
    });
  }
}

/** A random string: printable, unicode, control characters, or empty. */
function junk(rnd: () => number): string {
  const n = Math.floor(rnd() * 64);
  return Array.from({ length: n }, () => String.fromCharCode(rnd() < 0.8 ? 32 + Math.floor(rnd() * 95) : Math.floor(rnd() * 0x3000))).join('');
}

/** Well-framed gRPC calls with hostile content: Raft batches, multiplexed master calls, worker writes. */
async function framedGarbage(c: TestCluster, rnd: () => number): Promise<void> {
  const p = protos();
  const calls: Promise<void>[] = [];
  const settle = (fn: (done: () => void) => void) => calls.push(new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 2000);
    fn(() => { clearTimeout(t); resolve(); });
  }));
  for (const ports of c.masterPorts) {
    const raft = new p.raft.RaftJournalService(`127.0.0.1:${ports.journal}`, grpc.credentials.createInsecure()) as grpc.Client;
    settle((done) => {
      const st = (raft as any).Stream(() => { raft.close(); done(); });
      st.on('error', () => {});
      st.write({ from: junk(rnd), clusterId: rnd() < 0.5 ? '' : junk(rnd), messages: [junk(rnd), '{"type":', JSON.stringify({ type: 'app', to: junk(rnd), term: -1 })] });
      st.end();
    });
    const mux = new p.mux.MuxService(`127.0.0.1:${ports.rpc}`, grpc.credentials.createInsecure()) as grpc.Client;
    settle((done) => {
      const st = (mux as any).Calls();
      st.on('error', () => { mux.close(); done(); });
      st.on('end', () => { mux.close(); done(); });
      st.on('data', () => {});
      for (const path of ['/alluxio.grpc.file.FileSystemMasterClientService/Remove', '/alluxio.grpc.file.FileSystemMasterClientService/Rename', '/alluxio.grpc.block.BlockMasterWorkerService/BlockHeartbeat', junk(rnd)]) {
        st.write({ id: Math.floor(rnd() * 2 ** 31), path, payload: Buffer.from(junk(rnd), 'latin1') });
      }
      st.end();
    });
  }
  for (const ports of c.workerPorts) {
    const w = new p.worker.BlockWorker(`127.0.0.1:${ports.rpc}`, grpc.credentials.createInsecure()) as grpc.Client;
    settle((done) => {
      const st = (w as any).WriteUfsFile(() => { w.close(); done(); });
      st.on('error', () => {});
      st.write({ header: { blockId: -Math.floor(rnd() * 1e6), spaceToReserve: -1, tierAlias: junk(rnd), fileId: -1 } });
      st.write({ chunk: Buffer.from(junk(rnd)) });
      st.end();
    });
  }
  await Promise.all(calls);
}

/** The process a kill-/pause- fault targets: master `m` or worker `w`. */
function target(fault: Fault, m: number, w: number): ['master' | 'worker', number] {
  return fault.endsWith('master') ? ['master', m] : ['worker', w];
}

/** Run one seeded chaos test; never throws for a violation (they are in the report). */
export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const log = opts.log ?? (() => {});
  const rnd = lcg(opts.seed * 7907 + 13);
  const c = new TestCluster({ masters: 3, workers: 2, ramdiskSize: '32MB', blockSize: '1MB',
    ...(opts.faults.includes('journal-disk-full') ? { journalTmpfs: '64m' } : {}), props: {
    'alluxio.master.persistence.initial.interval': '200ms',
    'alluxio.master.persistence.max.interval': '1s',
    'alluxio.underfs.cleanup.interval': '1s',
    'alluxio.user.rpc.retry.max.duration': '15s',
  } });
  const violations: string[] = [];
  const faults: FaultRecord[] = [];
  const history: NsOp[] = [];
  let tick = 0;
  const clock = () => ++tick; // call/return order is all the checker compares
  const clients: ChaosClient[] = [];
  const afs: FileSystem[] = [];
  const replay = `CHAOS_SEED=${opts.seed} CHAOS_DURATION=${opts.durationMs} CHAOS_CLIENTS=${opts.clients} CHAOS_FAULTS=${opts.faults.join(',')} npm run chaos`;
  try {
    await c.setup();
    await c.start();
    const conf = loadConfig({ env: c.env, home: ROOT });
    for (let k = 0; k < opts.clients; k++) {
      const f = new FileSystem(conf);
      afs.push(f);
      clients.push(new ChaosClient(k, opts.seed, f, c, lcg(opts.seed * 31 + k), history, clock));
    }
    const until = Date.now() + opts.durationMs;
    const work = Promise.all(clients.map((cl) => cl.run(until)));

    // ---- the nemesis: one fault at a time, healed before the next
    const extra = new FileSystem(conf);
    afs.push(extra);
    for (let i = 0; Date.now() < until - 1000 && i < 10_000; i++) {
      await pause(opts.faultEveryMs * (0.5 + rnd()));
      if (Date.now() >= until - 1000) break;
      const kind = opts.faults[Math.floor(rnd() * opts.faults.length)]!;
      const rec: FaultRecord = { kind, target: '', startMs: Date.now(), endMs: 0, note: '' };
      const m = Math.floor(rnd() * 3), w = Math.floor(rnd() * 2);
      switch (kind) {
        case 'kill-master':
        case 'kill-worker': {
          // kill -9 while a client write is in flight, then restart after a while (waiting until it serves again).
          const [proc, i] = target(kind, m, w);
          rec.target = `${proc} ${i}`;
          await waitFor('a client write in flight', () => clients.some((cl) => cl.writesInFlight > 0), 10_000, 5)
            .catch(() => { rec.note = 'no client write in flight within 10 s'; });
          await c.kill(proc, i);
          await pause(300 + rnd() * 1200);
          await (proc === 'master' ? c.startMaster(i) : c.startWorker(i));
          break;
        }
        case 'pause-master':
        case 'pause-worker': {
          // Frozen (SIGSTOP), as a long GC pause or a hung disk would, then resumed.
          const [proc, i] = target(kind, m, w);
          rec.target = `${proc} ${i}`;
          await c.kill(proc, i, 'SIGSTOP');
          await pause(500 + rnd() * 2000);
          await c.kill(proc, i, 'SIGCONT');
          break;
        }
        case 'garbage': {
          const ports = [...c.masterPorts.flatMap((p) => [p.rpc, p.web, p.journal]), ...c.workerPorts.flatMap((p) => [p.rpc, p.web])];
          rec.target = `${ports.length} ports`;
          for (const port of ports) await garbageTo(port, rnd);
          await framedGarbage(c, rnd);
          break;
        }
        case 'wipe-follower': {
          // A follower loses its Raft storage (the format marker stays) and comes back empty.
          const leader = await c.leaderIndex();
          const f = [0, 1, 2].filter((x) => x !== leader)[Math.floor(rnd() * 2)]!;
          rec.target = `master ${f}`;
          await c.kill('master', f);
          fs.rmSync(path.join(c.journalDirOf(f), 'raft'), { recursive: true, force: true });
          await c.startMaster(f);
          break;
        }
        case 'journal-disk-full': {
          // One master's journal disk, or every master's at once, fills up; freed 1-3 s later.
          const targets = rnd() < 0.5 ? [m] : [0, 1, 2];
          rec.target = targets.map((x) => `master ${x}`).join(', ');
          const fillers = targets.map((x) => path.join(c.journalDisks[x]!.dir, 'chaos-filler'));
          targets.forEach((x, j) => c.journalDisks[x]!.fill(fillers[j]));
          await pause(1000 + rnd() * 2000);
          for (const f of fillers) fs.rmSync(f, { force: true });
          break;
        }
        case 'fill-worker': {
          // Unpersisted data until the workers are full: the write that does not fit fails cleanly.
          rec.target = 'all workers';
          const made: string[] = [];
          for (let j = 0; j < 40; j++) {
            const p = `/fill${i}-${j}`;
            try {
              const out = await extra.createFile(p, { writeType: 'MUST_CACHE' });
              await out.write(Buffer.alloc(4 * MB, j));
              await out.close();
              made.push(p);
            } catch (e) {
              rec.note = e instanceof AlluxioError ? e.code : `untyped error ${(e as Error).message}`;
              if (!(e instanceof AlluxioError)) violations.push(`fill-worker: a full worker gave an untyped error: ${(e as Error).message}`);
              break;
            }
          }
          for (const p of made) await extra.delete(p).catch(() => {});
          break;
        }
      }
      rec.endMs = Date.now();
      faults.push(rec);
      log(`fault ${faults.length}: ${kind} ${rec.target} (${rec.endMs - rec.startMs} ms)${rec.note ? ` ${rec.note}` : ''}`);
    }
    await work;

    // ---- heal everything, then check
    for (let i = 0; i < 3; i++) if (!c.running('master', i)) await c.startMaster(i); else await c.kill('master', i, 'SIGCONT');
    await c.waitLeader(30_000);
    for (let i = 0; i < 2; i++) if (!c.running('worker', i)) await c.startWorker(i); else await c.kill('worker', i, 'SIGCONT');
    const checker = afs[0]!;
    await waitFor('2 live workers', async () => (await checker.workerInfoList()).length === 2, 30_000);

    // Every acknowledged write, with the right bytes.
    let acked = 0;
    for (const cl of clients) {
      violations.push(...cl.violations);
      for (const [p, f] of cl.files) {
        acked++;
        let lastErr = '';
        const got = await waitFor(`${p} readable`, () => checker.readAll(p), { timeoutMs: 60_000, everyMs: 250, maxTries: 40 })
          .catch((e: Error) => { lastErr = e.message; return undefined; });
        if (!got) violations.push(`acknowledged ${f.writeType} write ${p} (${f.size} bytes) is not readable: ${lastErr}`);
        else if (sha(got) !== f.sha) violations.push(`acknowledged ${f.writeType} write ${p} reads back wrong bytes (${got.length} of ${f.size})`);
      }
      // Nothing else in the client's directory but paths with an unknown outcome, and those with their bytes.
      const listed = (await checker.listStatus(`/c${cl.k}`)).filter((i) => !i.folder);
      for (const i of listed) {
        if (cl.files.has(i.path)) continue;
        const want = cl.uncertain.get(i.path);
        if (want === undefined) { violations.push(`${i.path} exists but no acknowledged operation left it there`); continue; }
        if (!i.completed) continue; // a write interrupted before its completion: never visible as a file's bytes
        const got = await checker.readAll(i.path).catch(() => undefined);
        if (got && sha(got) !== want) violations.push(`${i.path} (an operation with an unknown outcome) holds wrong bytes`);
      }
    }

    // Same namespace on every master.
    const digests = async () => Promise.all(c.masterPorts.map((p) => getJson(`http://127.0.0.1:${p.web}/api/v1/master/namespace/digest`).then((d) => d.digest as string, () => 'down')));
    let last: string[] = [];
    const same = await waitFor('every master to apply the same namespace', async () => { last = await digests(); return new Set(last).size === 1 && last[0] !== 'down'; }, 30_000).catch(() => false);
    if (!same) violations.push(`masters did not converge to one namespace: digests ${last.join(', ')}`);

    // The UFS: no temp file once nothing waits for persistence; exactly the persisted files.
    await waitFor('no file waiting for persistence', async () => !(await checker.listStatus('/', true)).some((i) => i.persistenceState === 'TO_BE_PERSISTED'), 60_000)
      .catch(() => violations.push('files still TO_BE_PERSISTED 60 s after the faults ended'));
    const tempDir = path.join(c.ufsDir, '.alluxio_ufs_persistence');
    await waitFor('an empty UFS temp folder', async () => !fs.existsSync(tempDir) || fs.readdirSync(tempDir).length === 0, 20_000)
      .catch(() => violations.push(`temp files left in the UFS: ${fs.readdirSync(tempDir).join(', ')}`));
    const files = (await checker.listStatus('/', true)).filter((i) => !i.folder);
    const persisted = new Map(files.filter((i) => i.persisted).map((i) => [i.path, i.length]));
    // A THROUGH write whose completion had an unknown outcome may have its data placed at the
    // path of a file that stays incomplete: that data belongs to the file (deleted with it).
    const incomplete = new Set(files.filter((i) => !i.completed).map((i) => i.path));
    const ufsFiles: string[] = [];
    const walk = (d: string, rel: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (rel === '' && e.name === '.alluxio_ufs_persistence') continue;
        if (e.isDirectory()) walk(path.join(d, e.name), `${rel}/${e.name}`);
        else ufsFiles.push(`${rel}/${e.name}`);
      }
    };
    if (fs.existsSync(c.ufsDir)) walk(c.ufsDir, '');
    for (const f of ufsFiles) if (!persisted.has(f) && !incomplete.has(f)) violations.push(`orphan in the UFS: ${f}`);
    for (const [p, len] of persisted) {
      const st = fs.statSync(path.join(c.ufsDir, p), { throwIfNoEntry: false });
      if (!st || st.size !== len) violations.push(`persisted file ${p} is ${st ? `${st.size} bytes` : 'missing'} in the UFS, expected ${len}`);
    }

    // No stack trace in any CLI output; no server died on its own.
    for (const cl of clients) for (const out of cl.cliOutputs) if (STACK.test(out)) violations.push(`a CLI output carries a stack trace:\n${out.slice(0, 2000)}`);
    const crashes = [...c.unexpectedExits];
    for (const x of crashes) violations.push(`server process died without the nemesis: ${x}`);
    if (/unhandled|uncaught/i.test(c.logs())) violations.push('a server logged an unhandled rejection or uncaught exception');

    // The shared namespace history is linearizable.
    const check = checkLinearizable(nsModel, history, { timeoutMs: 30_000 });
    if (check.result !== 'ok') violations.push(`shared namespace history: ${check.result}${check.explanation ? `\n${check.explanation}` : ''}`);
    if (check.result === 'illegal') for (const op of check.failedPartition as NsOp[]) log(`  ${describeNsOp(op)}`);

    // Availability: the longest stretch without any client succeeding, per fault.
    const successes = clients.flatMap((cl) => cl.successes).sort((a, b) => a - b);
    const byFault: ChaosReport['byFault'] = {};
    for (const f of faults) {
      const e = (byFault[f.kind] ??= { injected: 0, longestUnavailableMs: 0 });
      e.injected++;
      let prev = f.startMs;
      for (const t of successes) {
        if (t <= f.startMs) continue;
        e.longestUnavailableMs = Math.max(e.longestUnavailableMs, t - prev);
        prev = t;
        if (t >= f.endMs) break;
      }
    }
    if (violations.length) log(c.logs().slice(-20_000));
    return {
      options: { seed: opts.seed, durationMs: opts.durationMs, clients: opts.clients, faultEveryMs: opts.faultEveryMs, faults: opts.faults },
      operations: clients.reduce((s, cl) => s + cl.ops, 0), failedOperations: clients.reduce((s, cl) => s + cl.failed, 0),
      acknowledgedWrites: clients.reduce((s, cl) => s + cl.ackedWrites, 0), liveFilesChecked: acked, violations, faults, byFault, crashes, linearizability: check.result, replay,
    };
  } finally {
    for (const f of afs) f.close();
    await c.stop();
  }
}
