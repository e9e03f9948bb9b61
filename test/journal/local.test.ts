import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { crc32 } from 'node:zlib';
import { ConfigError, InternalError, JournalCorruptError, ResourceExhaustedError } from '../../src/errors.js';
import { formatJournal } from '../../src/journal/format.js';
import { LocalJournal, type LocalJournalOptions } from '../../src/journal/local/journal.js';
import { RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES, segmentFileName } from '../../src/journal/local/wal.js';
import type { AnyEntry, Journal, StateMachine } from '../../src/journal/types.js';
import { dataLength, writeAt } from '../harness/journalFiles.js';
import { Tmpfs } from '../harness/tmpfs.js';
import { needsRoot } from '../harness/root.js';

/** A tiny KV state machine: {type:'put',k,v} / {type:'del',k}; apply returns the index. */
class KV implements StateMachine {
  map = new Map<string, unknown>();
  /** key -> index of the put that wrote it. */
  at = new Map<string, number>();
  appliedIndexes: number[] = [];
  decode(v: unknown): AnyEntry {
    if (typeof v !== 'object' || v === null || typeof (v as AnyEntry).type !== 'string') throw new InternalError(`not a KV entry: ${JSON.stringify(v)}`);
    return v as AnyEntry;
  }
  apply(e: AnyEntry, index: number): unknown {
    this.appliedIndexes.push(index);
    const k = e.k as string;
    if (e.type === 'put') {
      this.map.set(k, e.v);
      this.at.set(k, index);
      return index;
    }
    if (e.type === 'del') {
      if (!this.map.has(k)) throw new Error(`no such key ${k}`);
      this.map.delete(k);
      this.at.delete(k);
      return index;
    }
    throw new Error(`unknown entry type ${e.type}`);
  }
  snapshot(): Buffer {
    return Buffer.from(JSON.stringify({ map: [...this.map], at: [...this.at] }));
  }
  restore(data: Buffer): void {
    const s = JSON.parse(data.toString('utf8')) as { map: [string, unknown][]; at: [string, number][] };
    this.map = new Map(s.map);
    this.at = new Map(s.at);
  }
}

const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function tmpRoot(prefix: string): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  roots.push(root);
  return root;
}

function tmpJournal(): string {
  const root = tmpRoot('jl-test-');
  const folder = path.join(root, 'journal');
  formatJournal(folder, { clusterId: 'test' });
  return folder;
}

async function open(folder: string, extra: Partial<LocalJournalOptions> = {}): Promise<{ j: LocalJournal; kv: KV; warnings: string[] }> {
  const warnings: string[] = [];
  const j = new LocalJournal({ folder, log: (m) => warnings.push(m), ...extra });
  const kv = new KV();
  await j.start(kv);
  return { j, kv, warnings };
}

/** Propose `n` puts k<from>..k<from+n-1>, `chunk` at a time (each chunk awaited: separate batches). */
async function putMany(j: LocalJournal, from: number, n: number, chunk = n): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let i = from; i < from + n; i += chunk) {
    const ps: Promise<unknown>[] = [];
    for (let x = i; x < Math.min(i + chunk, from + n); x++) ps.push(j.propose({ type: 'put', k: `k${x}`, v: x }));
    out.push(...(await Promise.all(ps)));
  }
  return out;
}

function logFile(folder: string, first = 1): string {
  return path.join(folder, 'log', segmentFileName(first));
}

/** Byte offset of record number `n` (1-based) in a segment holding the given payload lengths. */
function recordOffset(payloadLens: number[], n: number): number {
  let off = SEGMENT_HEADER_BYTES;
  for (let i = 0; i < n - 1; i++) off += RECORD_HEADER_BYTES + payloadLens[i]!;
  return off;
}

function putLen(x: number): number {
  return Buffer.byteLength(JSON.stringify({ type: 'put', k: `k${x}`, v: x }));
}

test('replay after close and reopen gives the same state, and indexes continue', async () => {
  const folder = tmpJournal();
  const { j, kv } = await open(folder);
  assert.deepEqual(await putMany(j, 0, 100, 7), Array.from({ length: 100 }, (_, i) => i + 1));
  assert.equal(await j.propose({ type: 'del', k: 'k3' }), 101);
  assert.equal(await j.propose({ type: 'put', k: 'k5', v: 'five' }), 102);
  assert.equal(j.stats().lastIndex, 102);
  await j.close();

  const r = await open(folder);
  assert.deepEqual([...r.kv.map].sort(), [...kv.map].sort());
  assert.equal(r.kv.map.get('k5'), 'five');
  assert.equal(r.kv.map.has('k3'), false);
  assert.deepEqual(r.kv.appliedIndexes, Array.from({ length: 102 }, (_, i) => i + 1));
  const s = r.j.stats();
  assert.equal(s.type, 'LOCAL');
  assert.equal(s.lastIndex, 102);
  assert.equal(s.replayedEntries, 102);
  assert.equal(s.checkpointIndex, 0);
  assert.equal(r.j.isLeader(), true);
  assert.deepEqual(r.warnings, []);
  assert.equal(await r.j.propose({ type: 'put', k: 'z', v: 1 }), 103);
  await r.j.close();
  assert.equal(r.j.isLeader(), false);
});

test('2000 concurrent proposals resolve in index order with far fewer fsyncs', async (t) => {
  const folder = tmpJournal();
  const { j } = await open(folder);
  const resolvedOrder: number[] = [];
  const ps: Promise<unknown>[] = [];
  for (let i = 0; i < 2000; i++) {
    // Proposals arrive over many event-loop turns, like RPCs would.
    if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    ps.push(j.propose({ type: 'put', k: `k${i}`, v: i }).then((idx) => {
      resolvedOrder.push(idx as number);
      return idx;
    }));
  }
  const results = await Promise.all(ps);
  const expected = Array.from({ length: 2000 }, (_, i) => i + 1);
  assert.deepEqual(results, expected, 'each proposal gets the next index, in proposal order');
  assert.deepEqual(resolvedOrder, expected, 'promises resolve in index order');
  const s = j.stats();
  assert.equal(s.lastIndex, 2000);
  t.diagnostic(`2000 entries in ${s.fsyncs} fsyncs`);
  assert.ok(s.fsyncs >= 1 && s.fsyncs <= 100, `expected group commit, got ${s.fsyncs} fsyncs for 2000 entries`);
  assert.equal(s.fsyncs, s.batches);
  await j.close();
});

test('apply errors reject the proposal with the same error; replay ignores them', async () => {
  const folder = tmpJournal();
  const { j } = await open(folder);
  await j.propose({ type: 'put', k: 'a', v: 1 });
  await assert.rejects(j.propose({ type: 'del', k: 'missing' }), (e: unknown) => e instanceof Error && e.message === 'no such key missing');
  assert.equal(await j.propose({ type: 'del', k: 'a' }), 3);
  await j.close();

  const r = await open(folder);
  assert.equal(r.kv.map.size, 0);
  assert.equal(r.j.stats().replayedEntries, 3);
  assert.equal(r.j.stats().lastIndex, 3);
  await r.j.close();
});

test('unformatted folder is refused with a ConfigError and a hint', async () => {
  const folder = tmpRoot('jl-unformatted-');
  const j = new LocalJournal({ folder });
  await assert.rejects(j.start(new KV()), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.message, `journal folder ${folder} is not formatted`);
    assert.equal(e.hint, "run 'alluxio format' (or 'alluxio formatJournal')");
    return true;
  });
  assert.deepEqual(fs.readdirSync(folder), [], 'nothing is created in an unformatted folder');
});

test('proposals and read barriers before start and after close are rejected; the only writer needs no election and has no quorum', async () => {
  const folder = tmpJournal();
  const j = new LocalJournal({ folder });
  await assert.rejects(j.propose({ type: 'put', k: 'a', v: 1 }), InternalError);
  await assert.rejects(j.readBarrier(), InternalError);
  assert.equal(j.isLeader(), false);
  assert.equal(j.elected, false);
  assert.equal((j as Journal).quorum, undefined);
  await j.start(new KV());
  await j.readBarrier();
  const pending = j.propose({ type: 'put', k: 'a', v: 1 });
  const closing = j.close();
  await assert.rejects(j.propose({ type: 'put', k: 'b', v: 1 }), /closed/);
  await assert.rejects(j.readBarrier(), /not running/);
  assert.equal(await pending, 1, 'close flushes what was queued before it');
  await closing;
  await j.close(); // idempotent
});

test('torn tail (the last record cut short) is cut off with a warning; the journal accepts new writes', async () => {
  for (const how of ['never written (zeros)', 'file truncated'] as const) {
    const folder = tmpJournal();
    const { j } = await open(folder);
    await putMany(j, 0, 10, 3);
    await j.close();
    const file = logFile(folder);
    const size = dataLength(file);
    const lastOff = recordOffset(Array.from({ length: 10 }, (_, i) => putLen(i)), 10);
    assert.equal(size, lastOff + RECORD_HEADER_BYTES + putLen(9));
    if (how === 'file truncated') fs.truncateSync(file, size - 5);
    else writeAt(file, size - 5, Buffer.alloc(5));

    const r = await open(folder);
    assert.equal(r.warnings.length, 1, how);
    assert.match(r.warnings[0]!, new RegExp(`truncated torn tail of ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at byte offset ${lastOff}: dropped ${size - 5 - lastOff} bytes`));
    assert.equal(dataLength(file), lastOff);
    assert.equal(r.kv.map.size, 9);
    assert.equal(r.kv.map.has('k9'), false);
    assert.equal(r.j.stats().lastIndex, 9);
    assert.equal(await r.j.propose({ type: 'put', k: 'new', v: 1 }), 10);
    await r.j.close();

    const again = await open(folder);
    assert.deepEqual(again.warnings, []);
    assert.equal(again.kv.map.get('new'), 1);
    assert.equal(again.j.stats().lastIndex, 10);
    await again.j.close();
  }
});

test('torn tail: garbage half-records appended after the last record are dropped', async () => {
  for (const garbage of [
    Buffer.from([1, 2, 3, 4, 5, 6, 7]), // incomplete record header
    (() => {
      // a complete, valid-looking header announcing 100 bytes, followed by only 20 of them
      const b = Buffer.alloc(RECORD_HEADER_BYTES + 20, 0x41);
      b.writeUInt32LE(100, 0);
      b.writeUInt32LE(12345, 4);
      b.writeUInt32LE(crc32(b.subarray(0, 8)), 8);
      return b;
    })(),
  ]) {
    const folder = tmpJournal();
    const { j } = await open(folder);
    await putMany(j, 0, 5);
    await j.close();
    const file = logFile(folder);
    const size = dataLength(file);
    writeAt(file, size, garbage);

    const r = await open(folder);
    assert.equal(r.warnings.length, 1, `warning for ${garbage.length} garbage bytes`);
    assert.match(r.warnings[0]!, new RegExp(`at byte offset ${size}: dropped ${garbage.length} bytes`));
    assert.equal(dataLength(file), size);
    assert.equal(r.kv.map.size, 5);
    assert.equal(await r.j.propose({ type: 'put', k: 'after', v: 1 }), 6);
    await r.j.close();
    const again = await open(folder);
    assert.equal(again.kv.map.size, 6);
    assert.deepEqual(again.warnings, []);
    await again.j.close();
  }
});

test('a new segment is preallocated; the zeros after the last record are unused space, not damage', async () => {
  const folder = tmpJournal();
  const { j } = await open(folder, { segmentBytes: 64 * 1024 });
  await putMany(j, 0, 5);
  await j.close();
  const file = logFile(folder);
  assert.equal(fs.statSync(file).size, 64 * 1024, 'preallocated to the segment size');
  const size = dataLength(file);
  assert.equal(size, recordOffset(Array.from({ length: 6 }, (_, i) => putLen(i)), 6));

  const r = await open(folder, { segmentBytes: 64 * 1024 });
  assert.deepEqual(r.warnings, []);
  assert.equal(await r.j.propose({ type: 'put', k: 'k5', v: 5 }), 6);
  await r.j.close();
  assert.equal(dataLength(file), recordOffset(Array.from({ length: 7 }, (_, i) => putLen(i)), 7), 'the new record follows the old ones');
  assert.equal(fs.statSync(file).size, 64 * 1024);

  // A stray record after a stretch of zeros is not a clean end: damage in the middle.
  const stray = fs.readFileSync(file).subarray(SEGMENT_HEADER_BYTES, SEGMENT_HEADER_BYTES + RECORD_HEADER_BYTES + putLen(0));
  writeAt(file, dataLength(file) + 100, stray);
  await assert.rejects(new LocalJournal({ folder, log: () => {} }).start(new KV()), (e: unknown) => {
    assert.ok(e instanceof JournalCorruptError, String(e));
    assert.match(e.message, /a valid record follows at byte offset/);
    return true;
  });
});

test('a corrupted byte in a middle record is a JournalCorruptError naming file, offset and index', async () => {
  const lens = Array.from({ length: 10 }, (_, i) => putLen(i));
  for (const [what, delta] of [['payload', RECORD_HEADER_BYTES + 3], ['length field', 0], ['checksum field', 5]] as const) {
    const folder = tmpJournal();
    const { j } = await open(folder);
    await putMany(j, 0, 10, 4);
    await j.close();
    const file = logFile(folder);
    const off = recordOffset(lens, 5);
    const buf = fs.readFileSync(file);
    buf[off + delta] ^= 0x10;
    fs.writeFileSync(file, buf);

    const warnings: string[] = [];
    const j2 = new LocalJournal({ folder, log: (m) => warnings.push(m) });
    await assert.rejects(j2.start(new KV()), (e: unknown) => {
      assert.ok(e instanceof JournalCorruptError, `${what}: ${String(e)}`);
      assert.ok(e.message.includes(file), e.message);
      assert.ok(e.message.includes(`byte offset ${off}`), e.message);
      assert.ok(e.message.includes('record index 5'), e.message);
      assert.match(e.hint ?? '', /checkpoint\/backup/);
      return true;
    });
    assert.deepEqual(fs.readFileSync(file), buf, `${what}: the damaged file is left untouched`);
    assert.deepEqual(warnings, []);
  }
});

test('damage in a segment that is not the last one is corruption, even at its end', async () => {
  const folder = tmpJournal();
  const { j } = await open(folder, { segmentBytes: 300 });
  await putMany(j, 0, 60, 5);
  const segs = j.segmentFiles();
  await j.close();
  assert.ok(segs.length >= 3, `expected several segments, got ${segs.length}`);
  const victim = segs[0]!;
  fs.truncateSync(victim, fs.statSync(victim).size - 2);
  await assert.rejects(new LocalJournal({ folder, log: () => {} }).start(new KV()), (e: unknown) => {
    assert.ok(e instanceof JournalCorruptError);
    assert.match(e.message, /not the last one/);
    assert.ok(e.message.includes(victim));
    return true;
  });
});

test('a missing middle segment is detected', async () => {
  const folder = tmpJournal();
  const { j } = await open(folder, { segmentBytes: 300 });
  await putMany(j, 0, 60, 5);
  const segs = j.segmentFiles();
  await j.close();
  fs.rmSync(segs[1]!);
  await assert.rejects(new LocalJournal({ folder, log: () => {} }).start(new KV()), (e: unknown) => {
    assert.ok(e instanceof JournalCorruptError);
    assert.match(e.message, /missing entries \d+\.\.\d+/);
    return true;
  });
});

test('checkpoint and compaction: covered segments removed, replay from the checkpoint gives the same state', async () => {
  const folder = tmpJournal();
  const { j, kv } = await open(folder, { segmentBytes: 500, checkpointPeriodEntries: 300 });
  await putMany(j, 0, 1000, 10);
  for (let x = 0; x < 1000; x += 7) await j.propose({ type: 'del', k: `k${x}` });
  await j.close(); // waits for a running automatic checkpoint
  const ckpts = fs.readdirSync(path.join(folder, 'checkpoints')).sort();
  assert.ok(ckpts.length >= 1 && ckpts.length <= 2, `checkpoints: ${ckpts.join(',')}`);
  const newest = Number(ckpts[ckpts.length - 1]!.slice(0, 20));
  assert.ok(newest >= 600, `automatic checkpoints keep up (newest ${newest})`);
  const segs = fs.readdirSync(path.join(folder, 'log')).sort();
  assert.ok(!segs.includes(segmentFileName(1)), 'segments covered by the checkpoint are deleted');
  assert.ok(Number(segs[0]!.slice(0, 20)) <= newest + 1, 'the log still covers every entry after the checkpoint');

  const r = await open(folder, { segmentBytes: 500, checkpointPeriodEntries: 300 });
  const s = r.j.stats();
  assert.equal(s.checkpointIndex, newest);
  assert.equal(s.lastIndex, 1143);
  assert.equal(s.replayedEntries, 1143 - newest);
  assert.deepEqual([...r.kv.map].sort(), [...kv.map].sort());
  assert.deepEqual([...r.kv.at].sort(), [...kv.at].sort());

  // A manual checkpoint covers everything: only the active segment remains.
  await r.j.propose({ type: 'put', k: 'x', v: 'y' });
  await r.j.checkpoint();
  assert.equal(r.j.stats().checkpointIndex, 1144);
  assert.equal(r.j.segmentFiles().length, 1);
  await r.j.close();
  const again = await open(folder);
  assert.equal(again.j.stats().replayedEntries, 0);
  assert.equal(again.kv.map.get('x'), 'y');
  assert.equal(again.kv.map.size, kv.map.size + 1);
  assert.equal(await again.j.propose({ type: 'put', k: 'after', v: 1 }), 1145);
  await again.j.close();
});

test('corrupt newest checkpoint: fall back with a warning when the log covers the gap, else fail', async () => {
  // One big segment: the log keeps everything, so the older checkpoint is usable.
  {
    const folder = tmpJournal();
    const { j, kv } = await open(folder);
    await putMany(j, 0, 50, 10);
    await j.checkpoint();
    await putMany(j, 50, 50, 10);
    await j.checkpoint();
    await j.close();
    const newest = path.join(folder, 'checkpoints', '00000000000000000100.ckpt');
    const b = fs.readFileSync(newest);
    b[b.length - 3] ^= 0xff;
    fs.writeFileSync(newest, b);
    const r = await open(folder);
    assert.equal(r.warnings.length, 1);
    assert.ok(r.warnings[0]!.includes(newest), r.warnings[0]);
    assert.match(r.warnings[0]!, /snapshot checksum mismatch.*falling back to checkpoint .*00000000000000000050\.ckpt/);
    assert.equal(r.j.stats().checkpointIndex, 50);
    assert.equal(r.j.stats().replayedEntries, 50);
    assert.deepEqual([...r.kv.map].sort(), [...kv.map].sort());
    await r.j.close();
  }
  // Small segments: the log before the newest checkpoint is gone, so falling back would lose data.
  {
    const folder = tmpJournal();
    const { j } = await open(folder, { segmentBytes: 200 });
    await putMany(j, 0, 50, 5);
    await j.checkpoint();
    await putMany(j, 50, 50, 5);
    await j.checkpoint();
    await j.close();
    const newest = path.join(folder, 'checkpoints', '00000000000000000100.ckpt');
    const b = fs.readFileSync(newest);
    b[40] ^= 0xff;
    fs.writeFileSync(newest, b);
    await assert.rejects(new LocalJournal({ folder, segmentBytes: 200, log: () => {} }).start(new KV()), (e: unknown) => {
      assert.ok(e instanceof JournalCorruptError);
      assert.ok(e.message.includes(newest), e.message);
      assert.match(e.message, /cannot fall back to checkpoint 50/);
      return true;
    });
    assert.ok(fs.existsSync(newest), 'the corrupt checkpoint is not deleted');
  }
});

test('a write failure rejects pending proposals and stops the journal (fail-stop)', async () => {
  const folder = tmpJournal();
  const warnings: string[] = [];
  const j = new LocalJournal({ folder, log: (m) => warnings.push(m) });
  await j.start(new KV());
  assert.equal(await j.propose({ type: 'put', k: 'a', v: 1 }), 1);
  // Point the log at a descriptor that is not open, so the next write fails with EBADF.
  const wal = (j as unknown as { wal: { fd: number } }).wal;
  const realFd = wal.fd;
  wal.fd = 2 ** 30;
  const results = await Promise.allSettled([1, 2, 3].map((v) => j.propose({ type: 'put', k: `b${v}`, v })));
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    assert.ok((r as PromiseRejectedResult).reason instanceof InternalError);
    assert.match(String((r as PromiseRejectedResult).reason.message), /fail-stop/);
  }
  await assert.rejects(j.propose({ type: 'put', k: 'c', v: 1 }), /fail-stop/);
  assert.equal(j.isLeader(), false);
  assert.equal(warnings.length, 1);
  wal.fd = realFd;
  await j.close();
  const r = await open(folder);
  assert.deepEqual([...r.kv.map], [['a', 1]]);
  await r.j.close();
});

test('crash (kill -9) mid-stream loses no acknowledged entry', async (t) => {
  const folder = tmpJournal();
  const journalUrl = new URL('../../src/journal/local/journal.js', import.meta.url).href;
  const script = path.join(path.dirname(folder), 'crash-child.mjs');
  fs.writeFileSync(script, `
import { LocalJournal } from ${JSON.stringify(journalUrl)};
const folder = process.argv[2];
// Same snapshot format as the test's KV, so checkpoints written here restore there.
const map = new Map(), at = new Map();
const sm = {
  decode(v) { return v; },
  apply(e, i) { map.set(e.k, e.v); at.set(e.k, i); return i; },
  snapshot() { return Buffer.from(JSON.stringify({ map: [...map], at: [...at] })); },
  restore(d) { const s = JSON.parse(d.toString()); s.map.forEach(([k, v]) => map.set(k, v)); s.at.forEach(([k, v]) => at.set(k, v)); },
};
const j = new LocalJournal({ folder, segmentBytes: 64 * 1024, checkpointPeriodEntries: 1500, log: (m) => process.stderr.write(m + '\\n') });
await j.start(sm);
let n = 0;
async function writer(w) {
  for (;;) {
    const k = 'w' + w + '-' + (n++);
    const idx = await j.propose({ type: 'put', k, v: k.length });
    process.stdout.write(idx + ' ' + k + '\\n'); // synchronous for pipes on Linux
  }
}
for (let w = 0; w < 32; w++) writer(w);
`);
  const child = spawn(process.execPath, [script, folder], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, sig) => res(sig)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child made no progress; stderr: ${err}`)), 60_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.length > 120_000) {
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.on('exit', () => { clearTimeout(timer); resolve(); });
  });
  assert.equal(await exited, 'SIGKILL', `child died on its own; stderr: ${err}`);
  await new Promise((r) => setImmediate(r));

  const lines = out.split('\n');
  lines.pop(); // possibly partial last line
  const acked = lines.map((l) => {
    const [idx, k] = l.split(' ');
    return { idx: Number(idx), k: k! };
  });
  assert.ok(acked.length > 3000, `acknowledged ${acked.length}`);

  const warnings: string[] = [];
  const j = new LocalJournal({ folder, segmentBytes: 64 * 1024, log: (m) => warnings.push(m) });
  const kv = new KV();
  await j.start(kv);
  const last = j.stats().lastIndex;
  for (const a of acked) {
    assert.equal(kv.at.get(a.k), a.idx, `acknowledged entry ${a.idx} (${a.k}) is present`);
    assert.ok(a.idx <= last);
  }
  const ckIndex = j.stats().checkpointIndex;
  t.diagnostic(`acknowledged ${acked.length}, recovered up to ${last}, checkpoint ${ckIndex}, warnings: ${warnings.join(' | ') || 'none'}`);
  assert.deepEqual(kv.appliedIndexes, Array.from({ length: last - ckIndex }, (_, i) => ckIndex + i + 1), 'replay is contiguous');
  assert.equal(await j.propose({ type: 'put', k: 'after-crash', v: 1 }), last + 1);
  await j.close();
});

test('a full journal disk refuses writes with a typed error, keeps every acknowledged entry, and resumes when space returns',
  { skip: needsRoot('mounts a 1 MB tmpfs') }, async () => {
    const disk = Tmpfs.mount('1m');
    try {
      const folder = path.join(disk.dir, 'journal');
      formatJournal(folder, { clusterId: 'test' });
      const { j, kv, warnings } = await open(folder, { segmentBytes: 128 * 1024, who: 'm1:19998' });
      const big = 'x'.repeat(8 * 1024);
      const acked: number[] = [];
      let refused: unknown;
      for (let i = 0; i < 400 && !refused; i++) {
        // Several proposals per batch, so a batch can fail part-way through its write.
        const ps = [0, 1, 2].map((d) => j.propose({ type: 'put', k: `k${i * 3 + d}`, v: big }).then(() => acked.push(i * 3 + d), (e) => { refused ??= e; }));
        await Promise.all(ps);
      }
      assert.ok(refused instanceof ResourceExhaustedError, `expected a ResourceExhaustedError, got ${String(refused)}`);
      assert.match((refused as Error).message, new RegExp(`^master m1:19998 cannot write its journal: ${folder} is full \\(ENOSPC\\)`));
      assert.match((refused as ResourceExhaustedError).hint ?? '', /free space/);
      assert.equal(j.isLeader(), true, 'the journal stays open');
      assert.match(j.stats().writeError ?? '', /is full/);
      disk.resize('8m');
      await j.propose({ type: 'put', k: 'after', v: 1 });
      assert.equal(j.stats().writeError, undefined);
      assert.ok(warnings.some((w) => /resumed after/.test(w)), warnings.join('\n'));
      for (const k of acked) assert.equal(kv.map.get(`k${k}`), big);
      await j.close();
      // Replay: every acknowledged entry, nothing refused, no corruption.
      const again = await open(folder, { segmentBytes: 128 * 1024 });
      assert.deepEqual([...again.kv.map.keys()].sort(), [...acked.map((k) => `k${k}`), 'after'].sort());
      assert.deepEqual(again.warnings.filter((w) => /corrupt/i.test(w)), []);
      await again.j.close();
    } finally {
      disk.unmount();
    }
  });
