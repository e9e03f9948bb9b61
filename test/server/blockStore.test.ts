import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlockStore, type TempBlock, type BlockMeta } from '../../src/server/worker/blockStore.js';
import { AlluxioError, FailedPreconditionError, ResourceExhaustedError, BlockDoesNotExistError } from '../../src/errors.js';

const created: string[] = [];
process.on('exit', () => { for (const d of created) fs.rmSync(d, { recursive: true, force: true }); });

function tmp(): string {
  const d = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-bstore-')));
  created.push(d);
  return d;
}

const FOLDER = 'alluxioworker';

interface Layout { root: string; specs: { alias: string; dirs: { path: string; quota: number }[] }[] }

/** Tiers as [alias, quota per dir...]; every dir gets its own directory under one temp root. */
function layout(...tiers: [string, ...number[]][]): Layout {
  const root = tmp();
  const specs = tiers.map(([alias, ...quotas]) => ({
    alias,
    dirs: quotas.map((quota, i) => ({ path: path.join(root, `${alias.toLowerCase()}${i}`), quota })),
  }));
  return { root, specs };
}

async function open(l: Layout): Promise<BlockStore> {
  const s = new BlockStore(l.specs, FOLDER);
  await s.open();
  return s;
}

const dataDir = (l: Layout, tier: number, dir = 0): string => path.join(l.specs[tier]!.dirs[dir]!.path, FOLDER);

/** What the worker does for each chunk: reserve, append, count. */
async function write(store: BlockStore, tb: TempBlock, n: number): Promise<void> {
  await store.reserve(tb, n);
  fs.appendFileSync(tb.file, Buffer.alloc(n, 0x61));
  tb.written += n;
}

async function put(store: BlockStore, id: number, n: number, alias = '', reserve = 0): Promise<BlockMeta> {
  const tb = await store.createTemp(id, reserve, alias);
  await write(store, tb, n);
  return store.commit(tb);
}

const used = (s: BlockStore): number[] => s.usage().map((u) => u.usedBytes);
const ids = (ms: BlockMeta[]): number[] => ms.map((m) => m.id).sort((a, b) => a - b);
const where = (s: BlockStore, id: number): string | undefined => s.get(id)?.dir.tier.alias;
const drain = (s: BlockStore) => { const d = s.drainChanges(); return { added: ids(d.added), removed: [...d.removed].sort((a, b) => a - b) }; };
const touch = (s: BlockStore, id: number): void => s.lockForRead(id).release();

async function rejects(p: Promise<unknown>, C: new (...a: any[]) => AlluxioError, message: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof C, `expected ${C.name}, got ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
    assert.equal((err as Error).message, message);
    return true;
  });
}

describe('BlockStore writing', () => {
  test('open creates the data and temp folders; usage starts at zero', async () => {
    const l = layout(['MEM', 1000], ['SSD', 400, 600]);
    const s = await open(l);
    assert.deepEqual(s.usage(), [
      { alias: 'MEM', capacityBytes: 1000, usedBytes: 0 },
      { alias: 'SSD', capacityBytes: 1000, usedBytes: 0 },
    ]);
    for (const [t, d] of [[0, 0], [1, 0], [1, 1]] as const) {
      assert.ok(fs.statSync(path.join(dataDir(l, t, d), '.tmp')).isDirectory());
    }
    assert.deepEqual(s.tiers.map((t) => [t.alias, t.level, t.dirs.map((d) => [d.root, d.dataDir, d.capacity, d.used])]), [
      ['MEM', 0, [[l.specs[0]!.dirs[0]!.path, dataDir(l, 0), 1000, 0]]],
      ['SSD', 1, [[l.specs[1]!.dirs[0]!.path, dataDir(l, 1, 0), 400, 0], [l.specs[1]!.dirs[1]!.path, dataDir(l, 1, 1), 600, 0]]],
    ]);
    assert.deepEqual(s.all(), []);
    assert.deepEqual(drain(s), { added: [], removed: [] });
  });

  test('createTemp / reserve / commit: exact accounting at every step', async () => {
    const l = layout(['MEM', 1000]);
    const s = await open(l);
    const tb = await s.createTemp(1, 100);
    assert.equal(tb.blockId, 1);
    assert.equal(tb.dir, s.tiers[0]!.dirs[0]);
    assert.equal(tb.file, path.join(dataDir(l, 0), '.tmp', '1'));
    assert.equal(tb.reserved, 100);
    assert.equal(tb.written, 0);
    assert.equal(fs.statSync(tb.file).size, 0);
    assert.deepEqual(used(s), [100]);

    await write(s, tb, 60); // fits in the initial reservation
    assert.deepEqual([tb.reserved, tb.written, ...used(s)], [100, 60, 100]);
    await write(s, tb, 60); // grows it by 20
    assert.deepEqual([tb.reserved, tb.written, ...used(s)], [120, 120, 120]);
    await s.reserve(tb, 0);
    assert.deepEqual([tb.reserved, ...used(s)], [120, 120]);
    assert.equal(s.has(1), false, 'invisible before commit');
    assert.deepEqual(drain(s), { added: [], removed: [] });

    const m = await s.commit(tb);
    assert.deepEqual({ id: m.id, length: m.length, readers: m.readers }, { id: 1, length: 120, readers: 0 });
    assert.equal(m.dir, s.tiers[0]!.dirs[0]);
    assert.equal(s.has(1), true);
    assert.equal(s.get(1), m);
    assert.equal(s.blockPath(m), path.join(dataDir(l, 0), '1'));
    assert.equal(fs.statSync(s.blockPath(m)).size, 120);
    assert.equal(fs.existsSync(tb.file), false);
    assert.deepEqual(used(s), [120]);
    const d = s.drainChanges();
    assert.deepEqual(d, { added: [m], removed: [] });
    assert.deepEqual(s.drainChanges(), { added: [], removed: [] }, 'reported once');

    // over-reserved: the unused part is released on commit
    const tb2 = await s.createTemp(2, 500);
    assert.deepEqual(used(s), [620]);
    await write(s, tb2, 100);
    assert.deepEqual(used(s), [620]);
    const m2 = await s.commit(tb2);
    assert.equal(m2.length, 100);
    assert.deepEqual(used(s), [220]);
    // empty block
    const m3 = await put(s, 3, 0);
    assert.equal(m3.length, 0);
    assert.deepEqual(used(s), [220]);
    assert.deepEqual(ids(s.all()), [1, 2, 3]);
    assert.deepEqual(drain(s), { added: [2, 3], removed: [] });
  });

  test('abort releases the reservation and deletes the temp file; idempotent', async () => {
    const l = layout(['MEM', 1000]);
    const s = await open(l);
    await put(s, 1, 100);
    const tb = await s.createTemp(3, 300);
    await write(s, tb, 50);
    await write(s, tb, 400);
    assert.deepEqual(used(s), [550]);
    await s.abort(tb);
    assert.deepEqual(used(s), [100]);
    assert.equal(fs.existsSync(tb.file), false);
    assert.equal(s.has(3), false);
    await s.abort(tb);
    assert.deepEqual(used(s), [100], 'second abort is a no-op');
    assert.deepEqual(drain(s), { added: [1], removed: [] });
    // the id can be used again
    const again = await s.createTemp(3, 10);
    assert.deepEqual(used(s), [110]);
    await s.commit(again);
    assert.deepEqual(used(s), [100]);
    // abort after commit does nothing
    await s.abort(again);
    assert.equal(s.has(3), true);
    assert.deepEqual(used(s), [100]);
  });

  test('createTemp on an existing block id (committed or in progress) fails', async () => {
    const l = layout(['MEM', 1000]);
    const s = await open(l);
    await put(s, 1, 10);
    const tb = await s.createTemp(2, 20);
    await rejects(s.createTemp(1, 5), FailedPreconditionError, 'block 1 already exists on this worker');
    await rejects(s.createTemp(2, 5), FailedPreconditionError, 'block 2 already exists on this worker');
    assert.deepEqual(used(s), [30]);
    assert.equal(s.get(1)!.length, 10);
    await s.commit(tb);
    await rejects(s.createTemp(2, 0), FailedPreconditionError, 'block 2 already exists on this worker');
  });

  const placement: { name: string; tiers: [string, ...number[]][]; reserve: number; alias: string; at: [number, number] }[] = [
    { name: 'default: top tier', tiers: [['MEM', 100], ['SSD', 1000]], reserve: 50, alias: '', at: [0, 0] },
    { name: 'preferred alias', tiers: [['MEM', 100], ['SSD', 1000]], reserve: 50, alias: 'SSD', at: [1, 0] },
    { name: 'unknown alias: top tier', tiers: [['MEM', 100], ['SSD', 1000]], reserve: 50, alias: 'HDD', at: [0, 0] },
    { name: 'larger than every top-tier dir: next tier', tiers: [['MEM', 100], ['SSD', 1000]], reserve: 101, alias: '', at: [1, 0] },
    { name: 'dir with the most free space', tiers: [['MEM', 500, 1000, 800]], reserve: 10, alias: '', at: [0, 1] },
    { name: 'exactly the capacity', tiers: [['MEM', 100], ['SSD', 1000]], reserve: 100, alias: '', at: [0, 0] },
  ];
  for (const p of placement) {
    test(`createTemp placement: ${p.name}`, async () => {
      const l = layout(...p.tiers);
      const s = await open(l);
      const tb = await s.createTemp(7, p.reserve, p.alias);
      assert.equal(tb.dir, s.tiers[p.at[0]]!.dirs[p.at[1]]);
      assert.equal(tb.dir.used, p.reserve);
      assert.equal(tb.file, path.join(dataDir(l, p.at[0], p.at[1]), '.tmp', '7'));
    });
  }

  test('createTemp larger than every dir fails with ResourceExhaustedError', async () => {
    const s = await open(layout(['MEM', 100], ['SSD', 1000]));
    await rejects(s.createTemp(9, 1001), ResourceExhaustedError, 'no space for block 9: 1001 bytes needed, all tiers full of blocks in use');
    assert.deepEqual(used(s), [0, 0]);
  });

  test('multi-dir tier: each createTemp picks the dir with most free space', async () => {
    const s = await open(layout(['MEM', 500, 1000]));
    const [a, b] = s.tiers[0]!.dirs;
    assert.equal((await s.createTemp(1, 100)).dir, b); // 500 vs 900 free
    assert.equal((await s.createTemp(2, 450)).dir, b); // 500 vs 450 free
    assert.equal((await s.createTemp(3, 480)).dir, a); // 20 vs 450
    assert.deepEqual([a!.used, b!.used], [480, 550]);
    assert.deepEqual(s.usage(), [{ alias: 'MEM', capacityBytes: 1500, usedBytes: 1030 }]);
  });
});

describe('BlockStore reading, removing, drainChanges', () => {
  test('lockForRead pins a block; release is idempotent; unknown block throws', async () => {
    const s = await open(layout(['MEM', 1000]));
    await put(s, 1, 10);
    const a = s.lockForRead(1);
    const b = s.lockForRead(1);
    assert.equal(a.meta, s.get(1));
    assert.equal(a.meta.readers, 2);
    a.release();
    a.release();
    assert.equal(s.get(1)!.readers, 1);
    b.release();
    assert.equal(s.get(1)!.readers, 0);
    assert.throws(() => s.lockForRead(2), (e: unknown) => e instanceof BlockDoesNotExistError && e.message === 'block 2 is not on this worker');
  });

  test('remove: returns whether it existed, frees space and the file, reports once', async () => {
    const l = layout(['MEM', 1000]);
    const s = await open(l);
    await put(s, 1, 100);
    await put(s, 2, 200);
    assert.deepEqual(drain(s), { added: [1, 2], removed: [] });
    assert.equal(await s.remove(1), true);
    assert.equal(await s.remove(1), false);
    assert.equal(await s.remove(99), false);
    assert.deepEqual(used(s), [200]);
    assert.equal(fs.existsSync(path.join(dataDir(l, 0), '1')), false);
    assert.equal(s.has(1), false);
    assert.deepEqual(drain(s), { added: [], removed: [1] });
    assert.deepEqual(drain(s), { added: [], removed: [] });
  });

  test('drainChanges: commit then remove before a drain reports only the removal; re-commit reports only the add', async () => {
    const s = await open(layout(['MEM', 1000]));
    await put(s, 1, 10);
    await s.remove(1);
    assert.deepEqual(drain(s), { added: [], removed: [1] });
    await put(s, 2, 10);
    assert.deepEqual(drain(s), { added: [2], removed: [] });
    await s.remove(2);
    await put(s, 2, 20);
    const d = s.drainChanges();
    assert.deepEqual(d.removed, []);
    assert.deepEqual(d.added.map((m) => [m.id, m.length]), [[2, 20]]);
  });
});

describe('BlockStore eviction', () => {
  test('single tier: LRU eviction deletes; a recently read block survives', async () => {
    const l = layout(['MEM', 1000]);
    const s = await open(l);
    for (const id of [1, 2, 3]) await put(s, id, 300);
    assert.deepEqual(used(s), [900]);
    assert.deepEqual(drain(s), { added: [1, 2, 3], removed: [] });
    touch(s, 1); // LRU order is now 2, 3, 1
    const tb = await s.createTemp(4, 300); // needs 200 more than free -> one victim
    assert.deepEqual(ids(s.all()), [1, 3]);
    assert.equal(fs.existsSync(path.join(dataDir(l, 0), '2')), false);
    assert.deepEqual(used(s), [900]);
    await write(s, tb, 300);
    await s.commit(tb);
    assert.deepEqual(used(s), [900]);
    assert.deepEqual(drain(s), { added: [4], removed: [2] });
    // two victims needed: 3 then 4 (1 was read last)
    touch(s, 1); // order: 3, 4, 1
    await s.createTemp(5, 500); // free 100, needs 400 -> 3 and 4
    assert.deepEqual(ids(s.all()), [1]);
    assert.deepEqual(used(s), [800]);
    assert.deepEqual(drain(s), { added: [], removed: [3, 4] });
  });

  test('reserve evicts LRU blocks in its own dir', async () => {
    const s = await open(layout(['MEM', 1000]));
    for (const id of [1, 2, 3]) await put(s, id, 300);
    touch(s, 1);
    touch(s, 2); // order: 3, 1, 2
    drain(s);
    await put(s, 4, 300); // reserve needs 300, 100 free
    assert.deepEqual(ids(s.all()), [1, 2, 4]);
    assert.deepEqual(used(s), [900]);
    assert.deepEqual(drain(s), { added: [4], removed: [3] });
  });

  test('a block locked for reading is never evicted', async () => {
    const s = await open(layout(['MEM', 1000]));
    for (const id of [1, 2, 3]) await put(s, id, 300);
    const lock1 = s.lockForRead(1);
    touch(s, 2);
    touch(s, 3); // 1 is least recently used but locked
    await put(s, 4, 300, '', 300);
    assert.deepEqual(ids(s.all()), [1, 3, 4], '2 (LRU among unlocked) evicted, not the locked 1');
    const lock3 = s.lockForRead(3);
    const lock4 = s.lockForRead(4);
    await rejects(s.createTemp(5, 300), ResourceExhaustedError, 'no space for block 5: 300 bytes needed, all tiers full of blocks in use');
    assert.deepEqual(ids(s.all()), [1, 3, 4]);
    assert.deepEqual(used(s), [900]);
    // partially evictable is not enough either (needs 500 more, only 300 unlocked)
    lock4.release();
    await rejects(s.createTemp(5, 600), ResourceExhaustedError, 'no space for block 5: 600 bytes needed, all tiers full of blocks in use');
    assert.deepEqual(ids(s.all()), [1, 3, 4], 'nothing evicted when the eviction cannot succeed');
    lock1.release();
    await s.createTemp(5, 600); // 1 is LRU (locked since), then 4
    assert.deepEqual(ids(s.all()), [3]);
    assert.deepEqual(used(s), [900]);
    lock3.release();
  });

  test('reserve: ResourceExhaustedError names the dir when nothing can be evicted; the reservation is unchanged', async () => {
    const l = layout(['MEM', 1000]);
    const s = await open(l);
    await put(s, 1, 300);
    const lock = s.lockForRead(1);
    const tb = await s.createTemp(2, 0);
    await write(s, tb, 600);
    assert.deepEqual(used(s), [900]);
    await rejects(s.reserve(tb, 200), ResourceExhaustedError,
      `no space left for block 2 in ${l.specs[0]!.dirs[0]!.path} (MEM): capacity 1000, used 900`);
    assert.deepEqual([tb.reserved, tb.written, ...used(s)], [600, 600, 900]);
    assert.equal(s.has(1), true);
    lock.release();
    await s.abort(tb);
    assert.deepEqual(used(s), [300]);
  });

  test('two tiers: the LRU victim moves to the next tier when it has room', async () => {
    const l = layout(['MEM', 1000], ['SSD', 1000]);
    const s = await open(l);
    for (const id of [1, 2, 3]) await put(s, id, 300);
    drain(s);
    const tb = await s.createTemp(4, 300);
    assert.equal(where(s, 1), 'SSD');
    assert.deepEqual([where(s, 2), where(s, 3)], ['MEM', 'MEM']);
    assert.deepEqual(used(s), [900, 300]);
    assert.equal(fs.existsSync(path.join(dataDir(l, 0), '1')), false);
    assert.equal(fs.statSync(path.join(dataDir(l, 1), '1')).size, 300);
    assert.equal(s.blockPath(s.get(1)!), path.join(dataDir(l, 1), '1'));
    const d = s.drainChanges();
    assert.deepEqual(d.removed, []);
    assert.deepEqual(d.added.map((m) => [m.id, m.dir.tier.alias]), [[1, 'SSD']]);
    await write(s, tb, 300);
    await s.commit(tb);
    // reserve-driven eviction also moves down
    const tb5 = await s.createTemp(5, 0);
    await write(s, tb5, 100);
    await write(s, tb5, 250); // MEM: 900 committed + 100 -> needs 250 more than free -> 2 goes down
    assert.deepEqual([where(s, 2), where(s, 3), where(s, 4)], ['SSD', 'MEM', 'MEM']);
    assert.deepEqual(used(s), [950, 600]);
    assert.deepEqual(drain(s), { added: [2, 4], removed: [] });
  });

  test('two tiers: the victim is deleted when the next tier has no room', async () => {
    const l = layout(['MEM', 1000], ['SSD', 400]);
    const s = await open(l);
    for (const id of [1, 2, 3]) await put(s, id, 300);
    await s.createTemp(4, 300); // 1 -> SSD (100 free there now)
    assert.equal(where(s, 1), 'SSD');
    drain(s);
    await s.createTemp(5, 300); // victim 2 does not fit in SSD -> deleted
    assert.equal(s.has(2), false);
    assert.equal(fs.existsSync(path.join(dataDir(l, 0), '2')), false);
    assert.equal(fs.existsSync(path.join(dataDir(l, 1), '2')), false);
    assert.deepEqual(used(s), [900, 300]);
    assert.deepEqual(drain(s), { added: [], removed: [2] });
  });

  test('last tier: victims are deleted', async () => {
    const s = await open(layout(['MEM', 1000], ['SSD', 600]));
    await put(s, 1, 300, 'SSD');
    await put(s, 2, 300, 'SSD');
    drain(s);
    await s.createTemp(3, 200, 'SSD');
    assert.deepEqual(ids(s.all()), [2]);
    assert.deepEqual(used(s), [0, 500]);
    assert.deepEqual(drain(s), { added: [], removed: [1] });
  });

  test('a full top tier with only locked blocks falls through to the next tier', async () => {
    const s = await open(layout(['MEM', 500], ['SSD', 1000]));
    await put(s, 1, 500);
    const lock = s.lockForRead(1);
    const tb = await s.createTemp(2, 100);
    assert.equal(tb.dir.tier.alias, 'SSD');
    assert.deepEqual(used(s), [500, 100]);
    lock.release();
  });
});

describe('BlockStore pinned (unpersisted) blocks', () => {
  async function putPinned(s: BlockStore, id: number, n: number, alias = ''): Promise<BlockMeta> {
    const tb = await s.createTemp(id, 0, alias, true);
    await write(s, tb, n);
    return s.commit(tb);
  }

  test('never evicted: a write needing their space fails with "full of unpersisted data"; unpinned blocks still go', async () => {
    const l = layout(['MEM', 1000]);
    const s = await open(l);
    await putPinned(s, 1, 300);
    await putPinned(s, 2, 300);
    await put(s, 3, 300);
    assert.deepEqual(s.pinnedIds().sort(), [1, 2]);
    assert.equal(fs.existsSync(path.join(dataDir(l, 0), '.pinned', '1')), true);
    await put(s, 4, 300); // 3 (unpinned) is evicted although 1 and 2 are older
    assert.deepEqual(ids(s.all()), [1, 2, 4]);
    await s.unpin([4]); // not pinned: no-op
    await putPinned(s, 5, 300); // 4 goes
    assert.deepEqual(ids(s.all()), [1, 2, 5]);
    drain(s);
    await assert.rejects(s.createTemp(6, 300), (e: unknown) => e instanceof ResourceExhaustedError
      && e.message === 'worker storage full of unpersisted data: no space for block 6: 300 bytes needed, all tiers full of blocks in use; 900 bytes there are the only copy of files not yet persisted (MUST_CACHE, or ASYNC_THROUGH waiting for persistence), which are never evicted'
      && /delete or persist such files/.test(e.hint ?? ''));
    const tb = await s.createTemp(6, 0);
    await write(s, tb, 100);
    await assert.rejects(write(s, tb, 50), /^ResourceExhaustedError: worker storage full of unpersisted data: no space left for block 6 in /);
    assert.deepEqual(ids(s.all()), [1, 2, 5], 'nothing evicted');
    assert.deepEqual(drain(s), { added: [], removed: [] });
    await s.abort(tb);
    // Persisted now: evictable.
    await s.unpin([1, 99]);
    assert.equal(fs.existsSync(path.join(dataDir(l, 0), '.pinned', '1')), false);
    await put(s, 6, 300);
    assert.deepEqual(ids(s.all()), [2, 5, 6]);
  });

  test('a pinned block moves down a tier (with its pin) but is not deleted from the last one', async () => {
    const l = layout(['MEM', 600], ['SSD', 300]);
    const s = await open(l);
    await putPinned(s, 1, 300);
    await putPinned(s, 2, 300);
    await put(s, 3, 300, '', 300); // 1 moves to SSD (pinned there), 3 in MEM
    assert.equal(where(s, 1), 'SSD');
    assert.equal(fs.existsSync(path.join(dataDir(l, 1), '.pinned', '1')), true);
    assert.equal(fs.existsSync(path.join(dataDir(l, 0), '.pinned', '1')), false);
    await put(s, 4, 300, '', 300); // SSD full of a pinned block: 2 cannot go; 3 is deleted
    assert.deepEqual(ids(s.all()), [1, 2, 4]);
    assert.deepEqual(s.pinnedIds().sort(), [1, 2]);
    await s.remove(1); // its file was deleted
    assert.equal(fs.existsSync(path.join(dataDir(l, 1), '.pinned', '1')), false);
  });

  test('pins survive a restart; a pin without its block is dropped', async () => {
    const l = layout(['MEM', 1000]);
    const a = await open(l);
    await putPinned(a, 1, 100);
    await put(a, 2, 100);
    fs.writeFileSync(path.join(dataDir(l, 0), '.pinned', '7'), '');
    const b = await open(l);
    assert.deepEqual(b.pinnedIds(), [1]);
    assert.deepEqual(fs.readdirSync(path.join(dataDir(l, 0), '.pinned')), ['1']);
    assert.equal(b.get(2)!.pinned, false);
  });
});

describe('BlockStore promote', () => {
  test('moves a block from level 1 to level 0', async () => {
    const l = layout(['MEM', 1000], ['SSD', 1000]);
    const s = await open(l);
    await put(s, 1, 300, 'SSD');
    assert.equal(s.get(1)!.dir.tier.level, 1);
    drain(s);
    await s.promote(1);
    assert.equal(s.get(1)!.dir.tier.level, 0);
    assert.equal(s.get(1)!.dir, s.tiers[0]!.dirs[0]);
    assert.deepEqual(used(s), [300, 0]);
    assert.equal(fs.statSync(path.join(dataDir(l, 0), '1')).size, 300);
    assert.equal(fs.existsSync(path.join(dataDir(l, 1), '1')), false);
    const d = s.drainChanges();
    assert.deepEqual(d.added.map((m) => [m.id, m.dir.tier.alias]), [[1, 'MEM']]);
    assert.deepEqual(d.removed, []);
    await s.promote(1); // already on top
    await s.promote(42); // unknown
    assert.deepEqual(used(s), [300, 0]);
    assert.deepEqual(drain(s), { added: [], removed: [] });
  });

  test('no-op while locked or when it cannot fit the top tier', async () => {
    const s = await open(layout(['MEM', 200], ['SSD', 1000]));
    await put(s, 1, 100, 'SSD');
    await put(s, 2, 300, 'SSD');
    drain(s);
    const lock = s.lockForRead(1);
    await s.promote(1);
    assert.equal(where(s, 1), 'SSD');
    lock.release();
    await s.promote(2); // 300 > MEM capacity
    assert.equal(where(s, 2), 'SSD');
    assert.deepEqual(used(s), [0, 400]);
    assert.deepEqual(drain(s), { added: [], removed: [] });
    await s.promote(1);
    assert.equal(where(s, 1), 'MEM');
  });

  test('makes room on the top tier by moving its LRU block down', async () => {
    const s = await open(layout(['MEM', 600], ['SSD', 1000]));
    await put(s, 1, 300);
    await put(s, 2, 300);
    await put(s, 3, 300, 'SSD');
    touch(s, 1); // MEM LRU: 2
    drain(s);
    await s.promote(3);
    assert.deepEqual([where(s, 1), where(s, 2), where(s, 3)], ['MEM', 'SSD', 'MEM']);
    assert.deepEqual(used(s), [600, 300]);
    assert.deepEqual(drain(s), { added: [2, 3], removed: [] });
  });
});

describe('BlockStore open() of an existing store', () => {
  test('reloads blocks with their sizes and tiers; drops temp leftovers; ignores other files', async () => {
    const l = layout(['MEM', 1000], ['SSD', 1000]);
    const a = await open(l);
    await put(a, 1, 100);
    await put(a, 2, 250, 'SSD');
    await put(a, 33, 5, 'SSD');
    const leftover = await a.createTemp(3, 50);
    await write(a, leftover, 10);
    fs.writeFileSync(path.join(dataDir(l, 0), 'notablock'), 'xxxxxxxx');
    fs.writeFileSync(path.join(dataDir(l, 1), '.tmp', '77'), 'partial');

    const b = await open(l);
    assert.deepEqual(b.all().map((m) => [m.id, m.length, m.dir.tier.alias, m.readers]).sort((x, y) => (x[0] as number) - (y[0] as number)),
      [[1, 100, 'MEM', 0], [2, 250, 'SSD', 0], [33, 5, 'SSD', 0]]);
    assert.deepEqual(b.usage(), [
      { alias: 'MEM', capacityBytes: 1000, usedBytes: 100 },
      { alias: 'SSD', capacityBytes: 1000, usedBytes: 255 },
    ]);
    assert.equal(b.has(3), false);
    assert.deepEqual(fs.readdirSync(path.join(dataDir(l, 0), '.tmp')), []);
    assert.deepEqual(fs.readdirSync(path.join(dataDir(l, 1), '.tmp')), []);
    assert.equal(fs.existsSync(path.join(dataDir(l, 0), 'notablock')), true);
    assert.deepEqual(drain(b), { added: [], removed: [] }, 'loaded blocks are reported by registration, not as changes');
    assert.equal(b.blockPath(b.get(2)!), path.join(dataDir(l, 1), '2'));
    // the leftover id is free again; reloaded blocks are evictable
    const tb = await b.createTemp(3, 900);
    assert.equal(tb.dir.tier.alias, 'MEM');
    assert.deepEqual(used(b), [1000, 255]);
    await b.createTemp(4, 100); // MEM full of temp + block 1 -> 1 moves to SSD
    assert.equal(where(b, 1), 'SSD');
    assert.deepEqual(used(b), [1000, 355]);
  });
});

describe('BlockStore reserve arithmetic', () => {
  test('reserve succeeds when evicting less than the full growth is enough', async () => {
    const s = await open(layout(['MEM', 1000]));
    await put(s, 1, 100); // evictable
    const tb = await s.createTemp(2, 0);
    await write(s, tb, 800); // used 900, 100 free
    await s.reserve(tb, 150); // needs 150: 100 free + 100 from evicting block 1
    assert.equal(s.has(1), false);
    assert.deepEqual([tb.reserved, ...used(s)], [950, 950]);
  });

  test('reserve evicts only what is missing, not the whole growth', async () => {
    const s = await open(layout(['MEM', 1000]));
    for (let id = 1; id <= 8; id++) await put(s, id, 100);
    const tb = await s.createTemp(9, 0);
    await write(s, tb, 100); // used 900
    await s.reserve(tb, 150); // 100 free; 50 missing -> one 100-byte block suffices
    assert.deepEqual(ids(s.all()), [2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(used(s), [950]);
  });
});
