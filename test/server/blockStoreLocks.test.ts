/**
 * Read locks against eviction and removal (short-circuit readers read block files by path): a
 * locked block is never evicted or moved, and a remove while it is locked keeps its file and its
 * space until the last reader releases it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlockStore } from '../../src/server/worker/blockStore.js';

async function store(t: { after(fn: () => void): void }, quota: number): Promise<BlockStore> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-locks-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const s = new BlockStore([{ alias: 'MEM', dirs: [{ path: dir, quota }] }], 'data');
  await s.open();
  return s;
}

async function put(s: BlockStore, id: number, length: number): Promise<void> {
  const tb = await s.createTemp(id, length);
  fs.writeFileSync(tb.file, Buffer.alloc(length, id));
  tb.written = length;
  await s.commit(tb);
}

test('eviction never takes a read-locked block: it evicts others, or fails', async (t) => {
  const s = await store(t, 300);
  await put(s, 1, 100); await put(s, 2, 100); await put(s, 3, 100);
  const lock = s.lockForRead(1); // the least recently used, locked
  s.lockForRead(2).release(); s.lockForRead(3).release(); // 1 is the LRU candidate
  // Room for 100 bytes: evicts 2 (LRU among unlocked), never 1.
  await put(s, 4, 100);
  assert.ok(s.has(1) && fs.existsSync(s.blockPath(s.get(1)!)), 'the locked block stays');
  assert.equal(s.has(2), false);
  // Room for 300 bytes cannot be made without the locked block: refused, nothing evicted.
  await assert.rejects(s.createTemp(5, 300), /no space/);
  assert.ok(s.has(1) && s.has(3) && s.has(4));
  lock.release();
  await put(s, 5, 300); // unlocked now: evictable
  assert.equal(s.has(1), false);
});

test('a remove while a reader holds the block keeps its file and space until released', async (t) => {
  const s = await store(t, 1000);
  await put(s, 7, 100);
  const file = s.blockPath(s.get(7)!);
  const a = s.lockForRead(7), b = s.lockForRead(7);
  assert.equal(await s.remove(7), true);
  assert.equal(s.has(7), false, 'no new reader gets it');
  assert.throws(() => s.lockForRead(7), /not on this worker/);
  assert.deepEqual(s.drainChanges().removed, [7], 'reported removed to the master at once');
  assert.ok(fs.existsSync(file), 'the file stays while read');
  assert.equal(s.usage()[0]!.usedBytes, 100, 'its space is still used');
  assert.equal(s.lockedBlocks(), 1);
  await assert.rejects(s.createTemp(7, 10), /being removed/);
  a.release();
  assert.ok(fs.existsSync(file), 'one reader left');
  b.release();
  b.release(); // twice: no effect
  for (let i = 0; i < 100 && fs.existsSync(file); i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(fs.existsSync(file), false, 'deleted once released');
  assert.equal(s.usage()[0]!.usedBytes, 0);
  assert.equal(s.lockedBlocks(), 0);
});

test('a locked block is not promoted (moved) under its reader', async (t) => {
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-locks-'));
  const low = fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-locks-'));
  t.after(() => { fs.rmSync(top, { recursive: true, force: true }); fs.rmSync(low, { recursive: true, force: true }); });
  const s = new BlockStore([{ alias: 'MEM', dirs: [{ path: top, quota: 100 }] }, { alias: 'SSD', dirs: [{ path: low, quota: 1000 }] }], 'data');
  await s.open();
  await put(s, 1, 100);
  await put(s, 2, 100); // moves 1 down to SSD
  assert.equal(s.get(1)!.dir.tier.alias, 'SSD');
  const lock = await s.lockForReadSettled(1);
  const p = s.blockPath(lock.meta);
  await s.promote(1);
  assert.equal(s.get(1)!.dir.tier.alias, 'SSD');
  assert.ok(fs.existsSync(p));
  lock.release();
  await s.promote(1);
  assert.equal(s.get(1)!.dir.tier.alias, 'MEM');
});
