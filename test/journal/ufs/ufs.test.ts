/**
 * The shared (UFS) journal over real files, with an in-process election (fakeElection.ts):
 * tailing standbys, failover replaying only the tail, fencing of a leader that keeps believing it
 * leads, records past a seal, checkpoint + compaction under a tailing standby, a torn last record.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { InternalError, NotLeaderError } from '../../../src/errors.js';
import { formatJournal, writeSameStorageProbe, checkSameStorage, removeSameStorageProbe } from '../../../src/journal/format.js';
import { UfsJournal, type UfsJournalOptions } from '../../../src/journal/ufs/journal.js';
import { createUfsJournal } from '../../../src/journal/ufs/index.js';
import { createJournal } from '../../../src/journal/index.js';
import { LocalJournal } from '../../../src/journal/local/journal.js';
import { loadConfig } from '../../../src/conf/index.js';
import { epochLogDir, historyChain } from '../../../src/journal/ufs/layout.js';
import { RECORD_HEADER_BYTES, Wal, segmentFileName } from '../../../src/journal/local/wal.js';
import type { AnyEntry, StateMachine } from '../../../src/journal/types.js';
import { dataLength, writeAt } from '../../harness/journalFiles.js';
import { waitFor } from '../../harness/wait.js';
import { FakeElectionService, type FakeElection } from './fakeElection.js';

/** A KV state machine: {type:'put',k,v}; apply returns the index. */
class KV implements StateMachine {
  map = new Map<string, unknown>();
  decode(v: unknown): AnyEntry {
    if (typeof v !== 'object' || v === null || typeof (v as AnyEntry).type !== 'string') throw new InternalError(`not a KV entry: ${JSON.stringify(v)}`);
    return v as AnyEntry;
  }
  apply(e: AnyEntry, index: number): unknown {
    if (e.type !== 'put') throw new Error(`unknown entry type ${e.type}`);
    this.map.set(e.k as string, e.v);
    return index;
  }
  snapshot(): Buffer { return Buffer.from(JSON.stringify([...this.map])); }
  restore(data: Buffer): void { this.map = new Map(JSON.parse(data.toString('utf8')) as [string, unknown][]); }
  dump(): string { return JSON.stringify([...this.map].sort(([a], [b]) => (a < b ? -1 : 1))); }
}

const roots: string[] = [];
const open: UfsJournal[] = [];
after(async () => {
  for (const j of open) await j.close().catch(() => undefined);
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function sharedFolder(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ufsj-test-'));
  roots.push(root);
  const folder = path.join(root, 'journal');
  formatJournal(folder, { clusterId: 'test' });
  return folder;
}

interface Master { j: UfsJournal; kv: KV; el: FakeElection; logs: string[] }

async function master(folder: string, svc: FakeElectionService, name: string, extra: Partial<UfsJournalOptions> = {}): Promise<Master> {
  const el = svc.member(name);
  const logs: string[] = [];
  const j = new UfsJournal({ folder, election: el, who: name, pollMs: 20, log: (m) => logs.push(m), ...extra });
  open.push(j);
  const kv = new KV();
  await j.start(kv);
  return { j, kv, el, logs };
}

/** A formatted shared folder, an election, and one started master per `extra` (named a:1, b:1, ...). */
async function cluster(...extra: Partial<UfsJournalOptions>[]): Promise<{ folder: string; svc: FakeElectionService; ms: Master[] }> {
  const folder = sharedFolder();
  const svc = new FakeElectionService();
  const ms: Master[] = [];
  for (const [i, x] of extra.entries()) ms.push(await master(folder, svc, `${String.fromCharCode(97 + i)}:1`, x));
  return { folder, svc, ms };
}

async function lead(svc: FakeElectionService, m: Master): Promise<number> {
  const epoch = svc.elect(m.el);
  await waitFor(`${m.el.address} to lead epoch ${epoch}`, (o) => { o({ stats: m.j.stats(), logs: m.logs }); return m.j.isLeader() && m.j.stats().epoch === epoch; }, 10_000, 5);
  return epoch;
}

async function puts(j: UfsJournal, prefix: string, n: number): Promise<void> {
  await Promise.all(Array.from({ length: n }, (_, i) => j.propose({ type: 'put', k: `${prefix}${i}`, v: i })));
}

async function converged(leader: Master, ...others: Master[]): Promise<void> {
  const want = leader.j.stats().appliedIndex;
  await waitFor(`standbys to apply up to ${want}`, (o) => {
    o(others.map((m) => ({ who: m.el.address, applied: m.j.stats().appliedIndex, logs: m.logs.slice(-3) })));
    return others.every((m) => m.j.stats().appliedIndex === want);
  }, 10_000, 10);
  for (const m of others) assert.equal(m.kv.dump(), leader.kv.dump(), `${m.el.address} has the leader's state`);
}

/** A fresh master reading the folder from scratch (never elected): the state every master replays. */
async function replayFresh(folder: string): Promise<Master> {
  const m = await master(folder, new FakeElectionService(), 'fresh', { pollMs: 3_600_000 });
  return m;
}

/** Records (valid, CRC-checked) physically in epoch `epoch`'s log, counted over its segments. */
function recordsIn(folder: string, epoch: number): number {
  let n = 0;
  const dir = epochLogDir(folder, epoch);
  for (const first of Wal.listSegments(dir)) {
    const b = fs.readFileSync(path.join(dir, segmentFileName(first)));
    let off = 16;
    while (off + RECORD_HEADER_BYTES <= b.length && b.readUInt32LE(off) > 0) { off += RECORD_HEADER_BYTES + b.readUInt32LE(off); n++; }
  }
  return n;
}

function record(payload: Buffer): Buffer {
  const r = Buffer.alloc(RECORD_HEADER_BYTES + payload.length);
  r.writeUInt32LE(payload.length, 0);
  r.writeUInt32LE(crc32(payload), 4);
  r.writeUInt32LE(crc32(r.subarray(0, 8)), 8);
  payload.copy(r, RECORD_HEADER_BYTES);
  return r;
}

/** The last segment file of `epoch`. */
function lastSegment(folder: string, epoch: number): string {
  const dir = epochLogDir(folder, epoch);
  return path.join(dir, segmentFileName(Wal.listSegments(dir).at(-1)!));
}

test('a leader writes; two standbys tail and converge to the same state', async () => {
  const folder = sharedFolder();
  const svc = new FakeElectionService();
  // Small segments: the standbys tail across segment rolls.
  const [a, b, c] = [await master(folder, svc, 'a:1', { segmentBytes: 8192 }), await master(folder, svc, 'b:1'), await master(folder, svc, 'c:1')];
  assert.equal(b.j.isLeader(), false);
  await assert.rejects(b.j.propose({ type: 'put', k: 'x', v: 1 }), NotLeaderError);
  await assert.rejects(b.j.readBarrier(), NotLeaderError);
  await lead(svc, a);
  await a.j.readBarrier();
  const t0 = Date.now();
  const lags: number[] = [];
  for (let r = 0; r < 5; r++) {
    await puts(a.j, `r${r}-`, 100);
    const acked = Date.now();
    await converged(a, b, c);
    lags.push(Date.now() - acked);
  }
  const writeMs = Date.now() - t0;
  assert.ok(Wal.listSegments(epochLogDir(folder, 1)).length > 2, 'the leader rolled segments');
  const s = a.j.stats();
  assert.equal(s.lastIndex, 500);
  assert.equal(s.type, 'UFS');
  assert.ok(s.fsyncs < 500, `group commit: ${s.fsyncs} durable writes for 500 entries`);
  console.log(`500 puts (5 rounds) in ${writeMs} ms with ${s.fsyncs} durable writes; standby lag after each round (poll 20 ms): ${lags.join(', ')} ms; tailed ${b.j.stats().tailedEntries} and ${c.j.stats().tailedEntries}`);
  // Only the leader checkpoints.
  await assert.rejects(b.j.checkpoint(), NotLeaderError);
});

test('proposals made one after the other, each from the previous one\'s continuation, are all written', async () => {
  // Regression: the flusher cleared its flag a turn after it found the queue empty, so a proposal
  // made in between waited forever.
  const { svc, ms: [a] } = await cluster({});
  await lead(svc, a!);
  let done = 0;
  void (async () => { for (let i = 0; i < 200; i++) { await a!.j.propose({ type: 'put', k: `s${i}`, v: i }); done++; } })();
  await waitFor('200 sequential proposals', (o) => { o(done); return done === 200; }, 10_000, 10);
  assert.equal(a!.j.stats().lastIndex, 200);
});

test('failover: the new leader replays only the tail; the old leader tails the new one', async () => {
  const folder = sharedFolder();
  const svc = new FakeElectionService();
  const roles: string[] = [];
  const a = await master(folder, svc, 'a:1', { onRoleChange: (role, leader, term) => roles.push(`${role} ${leader} ${term}`) });
  await lead(svc, a);
  await puts(a.j, 'k', 200);
  // b starts now (replays the 200) and then does not poll by itself: what a takes further is its tail.
  const b = await master(folder, svc, 'b:1', { pollMs: 3_600_000 });
  assert.equal(b.j.stats().replayedEntries, 200);
  await puts(a.j, 'tail', 10);
  await lead(svc, b);
  assert.equal(b.j.stats().takeoverReplayed, 10, 'the takeover read only the 10 entries b had not tailed');
  assert.equal(b.kv.dump(), a.kv.dump());
  await waitFor('a to stand down', () => !a.j.isLeader(), 5_000, 5);
  assert.deepEqual(roles.slice(0, 2), ['leader a:1 1', 'follower  1']);
  await waitFor('a to learn the new leader from the folder', (o) => { o(roles); return roles.includes('follower b:1 2'); }, 5_000, 5);
  await assert.rejects(a.j.propose({ type: 'put', k: 'late', v: 0 }), NotLeaderError);
  await puts(b.j, 'b', 50);
  await converged(b, a);
  const chain = historyChain(folder);
  assert.deepEqual(chain.map((l) => [l.epoch, l.base]), [[1, 0], [2, 210]]);
  // Back to a: it replays only what it had not tailed (nothing).
  await lead(svc, a);
  assert.equal(a.j.stats().takeoverReplayed, 0);
  await puts(a.j, 'again', 5);
  const fresh = await replayFresh(folder);
  assert.equal(fresh.kv.dump(), a.kv.dump());
  assert.equal(fresh.j.stats().appliedIndex, 265);
});

test('fencing: a paused leader that still believes it leads appends nothing and acknowledges nothing', async () => {
  const { folder, svc, ms: [a, b] } = await cluster({}, {});
  await lead(svc, a);
  await puts(a.j, 'a', 30);
  await converged(a, b);
  // a freezes: it gets no event and keeps believing it leads epoch 1.
  a.el.deaf = true;
  await lead(svc, b);
  assert.equal(a.j.isLeader(), true, 'a still believes it leads');
  await puts(b.j, 'b', 20);
  const before = recordsIn(folder, 1);
  // a wakes up and writes: refused before anything is appended.
  const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => a.j.propose({ type: 'put', k: `zombie${i}`, v: i })));
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    assert.ok((r as PromiseRejectedResult).reason instanceof NotLeaderError, String((r as PromiseRejectedResult).reason));
  }
  assert.equal(recordsIn(folder, 1), before, 'the old leader appended no record');
  await waitFor('a to stand down after the fence', () => !a.j.isLeader(), 5_000, 5);
  await assert.rejects(a.j.readBarrier(), NotLeaderError);
  a.el.deaf = false;
  await converged(b, a);
  for (let i = 0; i < 5; i++) assert.equal(a.kv.map.has(`zombie${i}`), false);
  const fresh = await replayFresh(folder);
  assert.equal(fresh.kv.dump(), b.kv.dump());
});

test('fencing: a leader whose write is in flight during the takeover never acknowledges it', async () => {
  const { folder, svc, ms: [a, b, c] } = await cluster({}, {}, {});
  await lead(svc, a);
  await puts(a.j, 'a', 10);
  a.el.deaf = true;
  a.el.holdConfirms();
  const confirmsBefore = svc.confirms;
  // The write reaches the folder, then waits for its confirm (the pause hits here).
  const inFlight = a.j.propose({ type: 'put', k: 'inflight', v: 1 });
  await waitFor('a to ask for its confirm', () => svc.confirms > confirmsBefore, 5_000, 5);
  await lead(svc, b);
  await puts(b.j, 'b', 10);
  a.el.releaseConfirms();
  await assert.rejects(inFlight, NotLeaderError);
  a.el.deaf = false;
  await waitFor('a to stand down', () => !a.j.isLeader(), 5_000, 5);
  await converged(b, a, c);
  // The record reached the folder before b's claim, so b's catch-up read it: in the history, never acknowledged.
  assert.equal(b.kv.map.get('inflight'), 1);
  const fresh = await replayFresh(folder);
  assert.equal(fresh.kv.dump(), b.kv.dump());
});

test('a failed confirm with no newer epoch: the batch is not acknowledged but stays history; the leader goes on', async () => {
  const { folder, svc, ms: [a, b] } = await cluster({}, {});
  await lead(svc, a!);
  await puts(a!.j, 'a', 10);
  a!.el.failConfirms = 1;
  await assert.rejects(a!.j.propose({ type: 'put', k: 'unconfirmed', v: 1 }), (e: unknown) => e instanceof NotLeaderError && /could not be confirmed .*it is in the journal/.test(e.message));
  assert.equal(a!.j.isLeader(), true, 'the election still says a leads epoch 1');
  await puts(a!.j, 'after', 5);
  await converged(a!, b!);
  assert.equal(a!.kv.map.get('unconfirmed'), 1);
  const fresh = await replayFresh(folder);
  assert.equal(fresh.kv.dump(), a!.kv.dump());
  // The same with an election that no longer says a leads: a steps down, b takes over with it in history.
  a!.el.failConfirms = 1;
  a!.el.forget();
  await assert.rejects(a!.j.propose({ type: 'put', k: 'unconfirmed2', v: 2 }), NotLeaderError);
  await waitFor('a to stand down', () => !a!.j.isLeader(), 5_000, 5);
  await lead(svc, b!);
  assert.equal(b!.kv.map.get('unconfirmed2'), 2);
  assert.equal(b!.kv.dump(), a!.kv.dump());
});

test('a record appended to a sealed segment past its seal is ignored by every reader', async () => {
  const { folder, svc, ms: [a, b, c] } = await cluster({}, {}, {});
  await lead(svc, a);
  await puts(a.j, 'a', 40);
  await converged(a, b, c);
  a.el.deaf = true;
  await lead(svc, b);
  // The race window by hand: a record lands in epoch 1's segment after b sealed it at 40.
  const seg = lastSegment(folder, 1);
  writeAt(seg, dataLength(seg), record(Buffer.from(JSON.stringify({ type: 'put', k: 'stray', v: 1 }))));
  assert.equal(recordsIn(folder, 1), 41);
  await puts(b.j, 'b', 10);
  await converged(b, c);
  const fresh = await replayFresh(folder);
  assert.equal(fresh.kv.map.has('stray'), false);
  assert.equal(fresh.kv.dump(), b.kv.dump());
  assert.equal(fresh.j.stats().appliedIndex, 50);
  // Records lost inside a sealed range (zeroed from the 31st on) are damage, not a tail.
  let off = 16;
  for (let i = 0; i < 30; i++) off += RECORD_HEADER_BYTES + fs.readFileSync(seg).readUInt32LE(off);
  writeAt(seg, off, Buffer.alloc(dataLength(seg) - off));
  await assert.rejects(replayFresh(folder), /epoch 1 is sealed at entry 40 but its log .* ends at entry 30/);
});

test('a standby never applies past a seal; one that applied a record a later seal leaves out reloads', async () => {
  const folder = sharedFolder();
  const svc = new FakeElectionService();
  const a = await master(folder, svc, 'a:1');
  const b = await master(folder, svc, 'b:1', { pollMs: 3_600_000 });
  const c = await master(folder, svc, 'c:1', { pollMs: 3_600_000 });
  await lead(svc, a);
  await puts(a.j, 'a', 20);
  await b.j.poll();
  await c.j.poll();
  // A record appended past what b will seal, read by c before the seal exists.
  a.el.deaf = true;
  await lead(svc, b);
  const seg = lastSegment(folder, 1);
  writeAt(seg, dataLength(seg), record(Buffer.from(JSON.stringify({ type: 'put', k: 'unsealed', v: 1 }))));
  // c reads epoch 1 up to its seal only (the mark exists): it never applies 'unsealed'.
  await c.j.poll();
  assert.equal(c.kv.map.has('unsealed'), false);
  assert.equal(c.j.stats().reloads, 0);
  await puts(b.j, 'b', 5);
  await c.j.poll();
  assert.equal(c.kv.dump(), b.kv.dump());

  // Now the other order: d applies a record of the newest epoch that the next seal leaves out.
  const d = await master(folder, svc, 'd:1', { pollMs: 3_600_000 });
  const seg2 = lastSegment(folder, 2);
  const at = dataLength(seg2);
  writeAt(seg2, at, record(Buffer.from(JSON.stringify({ type: 'put', k: 'ghost', v: 1 }))));
  await d.j.poll();
  assert.equal(d.kv.map.get('ghost'), 1, 'd applied it while epoch 2 was the newest');
  // The record vanishes again (it was never acknowledged: a torn write that a crash cut back), then c takes over.
  writeAt(seg2, at, Buffer.alloc(RECORD_HEADER_BYTES + 40));
  b.el.deaf = true;
  await lead(svc, c);
  await puts(c.j, 'c', 3);
  await d.j.poll();
  assert.equal(d.j.stats().reloads, 1);
  assert.equal(d.kv.map.has('ghost'), false);
  assert.equal(d.kv.dump(), c.kv.dump());
});

test('checkpoint and compaction while a standby tails: the standby reloads from the checkpoint', async () => {
  const folder = sharedFolder();
  const svc = new FakeElectionService();
  const a = await master(folder, svc, 'a:1', { segmentBytes: 4096 });
  const s = await master(folder, svc, 's:1', { pollMs: 3_600_000 });
  await lead(svc, a);
  for (let r = 0; r < 10; r++) await puts(a.j, `r${r}-`, 30);
  await s.j.poll();
  assert.equal(s.j.stats().appliedIndex, 300);
  // Well behind: more entries, then a checkpoint that compacts the segments s would read next.
  for (let r = 10; r < 20; r++) await puts(a.j, `r${r}-`, 30);
  const segsBefore = Wal.listSegments(epochLogDir(folder, 1)).length;
  await a.j.checkpoint();
  const segsAfter = Wal.listSegments(epochLogDir(folder, 1)).length;
  assert.ok(segsAfter < segsBefore, `compaction removed segments (${segsBefore} -> ${segsAfter})`);
  await puts(a.j, 'post', 7);
  await s.j.poll();
  assert.equal(s.j.stats().reloads, 1, s.logs.join('\n'));
  assert.equal(s.j.stats().checkpointIndex, 600);
  assert.equal(s.kv.dump(), a.kv.dump());
  // After a failover the new leader's checkpoint removes the old epoch's directory.
  a.el.deaf = true;
  await lead(svc, s);
  await puts(s.j, 'new', 5);
  await s.j.checkpoint();
  assert.equal(fs.existsSync(epochLogDir(folder, 1)), false, 'epoch 1 log compacted away');
  const fresh = await replayFresh(folder);
  assert.equal(fresh.kv.dump(), s.kv.dump());
  assert.equal(fresh.j.stats().checkpointIndex, 612);
  assert.equal(fresh.j.stats().replayedEntries, 0, 'everything is in the checkpoint');
  assert.equal(historyChain(folder).length, 1);
});

test('standbys tailing continuously while the leader rolls segments and checkpoints automatically converge', async () => {
  const { folder, svc, ms: [a, b, c] } = await cluster({ segmentBytes: 4096, checkpointPeriodEntries: 150 }, { pollMs: 5 }, { pollMs: 5 });
  await lead(svc, a!);
  for (let r = 0; r < 30; r++) await puts(a!.j, `r${r}-`, 50);
  await converged(a!, b!, c!);
  assert.ok(a!.j.stats().checkpointIndex >= 150, `automatic checkpoints (at ${a!.j.stats().checkpointIndex})`);
  console.log(`1500 entries, checkpoint at ${a!.j.stats().checkpointIndex}, ${Wal.listSegments(epochLogDir(folder, 1)).length} segments left; standby reloads: ${b!.j.stats().reloads}, ${c!.j.stats().reloads}`);
  const fresh = await replayFresh(folder);
  assert.equal(fresh.kv.dump(), a!.kv.dump());
});

test('a torn last record (crash mid-write) ends the history; damage followed by a valid record refuses the takeover', async () => {
  const { folder, svc, ms: [a, b] } = await cluster({}, {});
  await lead(svc, a);
  await puts(a.j, 'a', 25);
  await converged(a, b);
  // a "crashes" in the middle of writing a record: half of it reached the file.
  a.el.deaf = true;
  const seg = lastSegment(folder, 1);
  const torn = record(Buffer.from(JSON.stringify({ type: 'put', k: 'torn', v: 1 })));
  writeAt(seg, dataLength(seg), torn.subarray(0, 20));
  await lead(svc, b);
  assert.equal(b.j.stats().takeoverReplayed, 0);
  assert.equal(historyChain(folder).at(-1)!.base, 25);
  // c has read epoch 1 but none of epoch 2.
  const c = await master(folder, svc, 'c:1', { pollMs: 3_600_000 });
  await puts(b.j, 'b', 5);
  const fresh = await replayFresh(folder);
  assert.equal(fresh.kv.dump(), b.kv.dump());
  assert.equal(fresh.kv.map.has('torn'), false);

  // Damage in the part c has not read (a flipped byte, valid records after it): c refuses to seal there.
  const seg2 = lastSegment(folder, 2);
  writeAt(seg2, 16 + 4, Buffer.from([0xff, 0xff]));
  b.el.deaf = true;
  svc.elect(c.el);
  await waitFor('c to give up the takeover', (o) => { o(c.logs); return c.logs.some((l) => /could not take over as epoch 3: .*corrupt/.test(l)); }, 5_000, 5);
  assert.equal(c.j.isLeader(), false);
});

test('same-storage probe: visible in the same folder, a clear error in another one', () => {
  const folder = sharedFolder();
  const other = sharedFolder();
  const token = writeSameStorageProbe(folder, 'm1:19998');
  checkSameStorage(folder, token, 'm1:19998');
  assert.throws(() => checkSameStorage(other, token, 'm1:19998', 'm2'), /journal folder .* on m2 is not the storage m1:19998 writes/);
  removeSameStorageProbe(folder, token);
  assert.throws(() => checkSameStorage(folder, token, 'm1:19998'));
});

test('a folder the local journal wrote (one master) becomes epoch 0 of the shared journal', async () => {
  const folder = sharedFolder();
  const local = new LocalJournal({ folder, log: () => undefined });
  const lkv = new KV();
  await local.start(lkv);
  await Promise.all(Array.from({ length: 30 }, (_, i) => local.propose({ type: 'put', k: `l${i}`, v: i })));
  await local.close();
  const svc = new FakeElectionService();
  const a = await master(folder, svc, 'a:1');
  const b = await master(folder, svc, 'b:1');
  assert.equal(a.j.stats().replayedEntries, 30);
  assert.equal(a.kv.dump(), lkv.dump());
  await lead(svc, a);
  assert.deepEqual(historyChain(folder).map((l) => [l.epoch, l.base, l.end]), [[0, 0, 30], [1, 30, Infinity]]);
  await puts(a.j, 'u', 10);
  await converged(a, b);
  await a.j.checkpoint();
  assert.deepEqual(Wal.listSegments(epochLogDir(folder, 0)), [], 'the local segments were compacted');
  const fresh = await replayFresh(folder);
  assert.equal(fresh.kv.dump(), a.kv.dump());
});

test('createJournal: UFS with ZooKeeper asks for the election; without it, a single master refuses a shared folder', async () => {
  const folder = sharedFolder();
  const conf = (extra: Record<string, string>) => loadConfig({ home: path.dirname(folder), env: {}, flags: { 'alluxio.master.journal.type': 'UFS', 'alluxio.master.journal.folder': folder, ...extra } });
  // The election connects when the journal starts, not when it is built.
  const zk = await createJournal(conf({ 'alluxio.zookeeper.enabled': 'true', 'alluxio.zookeeper.address': 'zk1:2181' }), { log: () => undefined });
  assert.equal(zk.elected, true, 'UFS with ZooKeeper: the shared journal, elected');
  await zk.close();
  const single = await createJournal(conf({}), { log: () => undefined });
  assert.equal(single.elected, false, 'UFS without ZooKeeper: the local journal on the folder');
  const svc = new FakeElectionService();
  const a = await master(folder, svc, 'a:1');
  await lead(svc, a);
  await puts(a.j, 'z', 3);
  await assert.rejects(createJournal(conf({}), { log: () => undefined }), /written by masters in ZooKeeper mode/);
  const ufs = createUfsJournal(conf({ 'alluxio.master.journal.tailer.sleep.time': '250ms' }), svc.member('c:1'), { log: () => undefined });
  assert.equal(ufs.elected, true);
});
