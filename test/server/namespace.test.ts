import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  Namespace, BLOCK_SEQ, ROOT_ID, fileIdOf, containerOf, type Inode, type DeleteResult,
} from '../../src/server/master/namespace.js';
import { InvalidEntryError, MASTER_ENTRY_TYPES } from '../../src/server/master/entries.js';
import {
  AlluxioError, FileAlreadyExistsError, FileDoesNotExistError, DirectoryNotEmptyError, InvalidPathError,
  FailedPreconditionError,
} from '../../src/errors.js';

type Entry = { type: string; [k: string]: unknown };
type ErrCtor = new (...args: any[]) => AlluxioError;

/** As the journal does: decode (check against the entry union), then apply. */
function apply(ns: Namespace, e: Entry, index = 0): unknown {
  return ns.apply(ns.decode(e), index);
}

function applyAll(ns: Namespace, entries: Entry[]): unknown[] {
  return entries.map((e, i) => apply(ns, e, i + 1));
}

/** Assert `fn` throws exactly class `C` (not a subclass/superclass stand-in) with exactly `message`. */
function throwsExact(fn: () => unknown, C: ErrCtor, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof C, `expected ${C.name}, got ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
    assert.equal((err as Error).constructor, C);
    assert.equal((err as Error).name, C.name);
    assert.equal((err as Error).message, message);
    return true;
  });
}

const blk = (container: number, index: number): number => container * BLOCK_SEQ + index;

// ------------------------------------------------------------------------------------------- ids
describe('namespace ids', () => {
  test('constants', () => {
    assert.equal(BLOCK_SEQ, 16_777_216);
    assert.equal(ROOT_ID, 16_777_215);
    assert.equal(fileIdOf(0), ROOT_ID);
  });
  const cases: [number, number][] = [[0, 16_777_215], [1, 33_554_431], [2, 50_331_647], [1000, 1000 * 16_777_216 + 16_777_215]];
  for (const [c, id] of cases) {
    test(`fileIdOf(${c}) = ${id}, containerOf inverts it`, () => {
      assert.equal(fileIdOf(c), id);
      assert.equal(containerOf(id), c);
    });
  }
  const blocks: [number, number][] = [[blk(1, 0), 1], [blk(1, 5), 1], [blk(7, BLOCK_SEQ - 2), 7], [BLOCK_SEQ - 1, 0], [0, 0]];
  for (const [b, c] of blocks) test(`containerOf(${b}) = ${c}`, () => assert.equal(containerOf(b), c));
});

// ------------------------------------------------------------------------------------------- root / queries
describe('namespace fresh state and queries', () => {
  test('fresh namespace has only the root', () => {
    const ns = new Namespace();
    assert.equal(ns.inodeCount, 1);
    assert.equal(ns.clusterId, '');
    const root = ns.lookup('/')!;
    assert.deepEqual(root, {
      id: ROOT_ID, name: '', parentId: -1, dir: true, ctime: 0, mtime: 0, length: 0, blockSize: 0, blocks: [],
      completed: true, persistence: 'PERSISTED', children: new Map(), owner: '', group: '', mode: 0o755,
    });
    assert.equal(ns.resolve('/'), root);
    assert.equal(ns.byId(ROOT_ID), root);
    assert.equal(ns.pathOf(root), '/');
    assert.deepEqual(ns.children(root), []);
    assert.equal(ns.blockLengths.size, 0);
    assert.equal(ns.toPersist.size, 0);
    assert.equal(ns.snapshot().toString(), JSON.stringify({
      v: 1, clusterId: '', nextContainer: 1,
      inodes: [[ROOT_ID, '', -1, 1, 0, 0, 0, 0, [], 1, 'PERSISTED', null, ['', '', 0o755]]], blocks: [], ops: [], masters: [],
      ufsOps: [], nextUfsOp: 1,
    }));
  });

  test('lookup/resolve/byId/pathOf/children', () => {
    const ns = new Namespace();
    applyAll(ns, [
      { type: 'mkdir', path: '/d', ts: 1 },
      { type: 'createFile', path: '/d/b', blockSize: 10, ts: 2 },
      { type: 'createFile', path: '/d/a', blockSize: 10, ts: 3 },
      { type: 'mkdir', path: '/d/C', ts: 4 },
      { type: 'mkdir', path: '/d/C/x', ts: 5 },
    ]);
    const d = ns.resolve('/d');
    assert.deepEqual(ns.children(d).map((n) => n.name), ['C', 'a', 'b']);
    assert.deepEqual(ns.children(ns.resolve('/d/a')), []);
    const x = ns.resolve('/d/C/x');
    assert.equal(x.id, fileIdOf(5));
    assert.equal(ns.pathOf(x), '/d/C/x');
    assert.equal(ns.byId(fileIdOf(5)), x);
    assert.equal(ns.byId(blk(5, 0)), undefined, 'a block id of the container is not the inode');
    assert.equal(ns.byId(fileIdOf(99)), undefined);
    assert.equal(ns.lookup('/d/a/z'), undefined, 'below a file');
    assert.equal(ns.lookup('/nope'), undefined);
    throwsExact(() => ns.resolve('/d/nope'), FileDoesNotExistError, 'Path "/d/nope" does not exist.');
    assert.equal((() => { try { ns.resolve('/d/nope'); } catch (e) { return (e as FileDoesNotExistError).path; } })(), '/d/nope');
  });
});

// ------------------------------------------------------------------------------------------- success per type
describe('namespace apply: success results and state', () => {
  test('init sets the cluster id once and returns the current one', () => {
    const ns = new Namespace();
    assert.equal(apply(ns, { type: 'init', clusterId: 'c-1' }), 'c-1');
    assert.equal(ns.clusterId, 'c-1');
    assert.equal(apply(ns, { type: 'init', clusterId: 'c-2' }), 'c-1');
    assert.equal(ns.clusterId, 'c-1');
  });

  test('mkdir: ids, timestamps, parent mtime, persistence', () => {
    const ns = new Namespace();
    assert.equal(apply(ns, { type: 'mkdir', path: '/a', ts: 100 }), fileIdOf(1));
    assert.deepEqual(ns.resolve('/a'), {
      id: fileIdOf(1), name: 'a', parentId: ROOT_ID, dir: true, ctime: 100, mtime: 100, length: 0, blockSize: 0,
      blocks: [], completed: true, persistence: 'NOT_PERSISTED', children: new Map(), owner: '', group: '', mode: 0o755,
    });
    assert.equal(ns.resolve('/').mtime, 100);
    assert.equal(ns.resolve('/').ctime, 0);
    assert.equal(apply(ns, { type: 'mkdir', path: '/a/p', ts: 150, persisted: true }), fileIdOf(2));
    assert.equal(ns.resolve('/a/p').persistence, 'PERSISTED');
    assert.equal(ns.resolve('/a').mtime, 150);
    assert.equal(ns.resolve('/').mtime, 100, 'only the direct parent mtime changes');
    // recursive creates every missing ancestor, with the entry ts, in order
    assert.equal(apply(ns, { type: 'mkdir', path: '/a/x/y/z', recursive: true, ts: 200, persisted: true }), fileIdOf(5));
    assert.equal(ns.resolve('/a/x').id, fileIdOf(3));
    assert.equal(ns.resolve('/a/x/y').id, fileIdOf(4));
    for (const p of ['/a/x', '/a/x/y', '/a/x/y/z']) {
      const n = ns.resolve(p);
      assert.equal(n.ctime, 200, p);
      assert.equal(n.mtime, 200, p);
      assert.equal(n.persistence, 'PERSISTED', p);
    }
    assert.equal(ns.resolve('/a').mtime, 200);
    assert.equal(ns.resolve('/a').persistence, 'NOT_PERSISTED', 'existing ancestors keep their persistence');
    // recursive, not persisted
    apply(ns, { type: 'mkdir', path: '/q/r', recursive: true, ts: 300 });
    assert.equal(ns.resolve('/q').persistence, 'NOT_PERSISTED');
    assert.equal(ns.resolve('/q/r').persistence, 'NOT_PERSISTED');
    // allowExists on an existing directory returns it unchanged
    const before = ns.snapshot();
    assert.equal(apply(ns, { type: 'mkdir', path: '/a/x', allowExists: true, ts: 999 }), fileIdOf(3));
    assert.equal(apply(ns, { type: 'mkdir', path: '/a/x', allowExists: true, recursive: true, ts: 999 }), fileIdOf(3));
    assert.equal(apply(ns, { type: 'mkdir', path: '/', allowExists: true, ts: 999 }), ROOT_ID);
    assert.deepEqual(ns.snapshot(), before);
    assert.equal(ns.inodeCount, 8);
  });

  test('missing ts means 0', () => {
    const ns = new Namespace();
    apply(ns, { type: 'mkdir', path: '/a', ts: 5 });
    apply(ns, { type: 'mkdir', path: '/a/b' });
    assert.equal(ns.resolve('/a/b').ctime, 0);
    assert.equal(ns.resolve('/a').mtime, 0);
  });

  test('createFile: fields, recursive parents, parent mtime', () => {
    const ns = new Namespace();
    assert.equal(apply(ns, { type: 'createFile', path: '/f', blockSize: 64, ts: 7 }), fileIdOf(1));
    assert.deepEqual(ns.resolve('/f'), {
      id: fileIdOf(1), name: 'f', parentId: ROOT_ID, dir: false, ctime: 7, mtime: 7, length: 0, blockSize: 64,
      blocks: [], completed: false, persistence: 'NOT_PERSISTED', owner: '', group: '', mode: 0o644,
    });
    assert.equal(ns.resolve('/').mtime, 7);
    assert.equal(apply(ns, { type: 'createFile', path: '/d/e/g', recursive: true, blockSize: 8, ts: 9 }), fileIdOf(4));
    assert.equal(ns.resolve('/d').id, fileIdOf(2));
    assert.equal(ns.resolve('/d/e').id, fileIdOf(3));
    assert.equal(ns.resolve('/d').dir, true);
    assert.equal(ns.resolve('/d/e').ctime, 9);
    assert.equal(ns.resolve('/d/e').persistence, 'NOT_PERSISTED');
    assert.equal(ns.resolve('/d/e').mtime, 9);
    // recursive where the parent already exists
    assert.equal(apply(ns, { type: 'createFile', path: '/d/e/h', recursive: true, blockSize: 8, ts: 11 }), fileIdOf(5));
    assert.equal(ns.resolve('/d/e').mtime, 11);
    assert.equal(ns.resolve('/d').mtime, 9);
  });

  test('newBlock allocates container*2^24 + index without changing times', () => {
    const ns = new Namespace();
    apply(ns, { type: 'mkdir', path: '/d', ts: 1 });
    apply(ns, { type: 'createFile', path: '/d/f', blockSize: 10, ts: 2 });
    const c = containerOf(ns.resolve('/d/f').id);
    assert.equal(c, 2);
    const ids = [0, 1, 2].map(() => apply(ns, { type: 'newBlock', path: '/d/f', ts: 50 }));
    assert.deepEqual(ids, [blk(2, 0), blk(2, 1), blk(2, 2)]);
    assert.deepEqual(ids, [33_554_432, 33_554_433, 33_554_434]);
    const f = ns.resolve('/d/f');
    assert.deepEqual(f.blocks, ids);
    assert.equal(f.mtime, 2);
    assert.equal(ns.resolve('/d').mtime, 2);
    assert.equal(ns.blockLengths.size, 0, 'not committed yet');
  });

  test('commitBlock records the length (re-commit overwrites) and returns null', () => {
    const ns = new Namespace();
    apply(ns, { type: 'createFile', path: '/f', blockSize: 10, ts: 2 });
    const b0 = apply(ns, { type: 'newBlock', path: '/f' }) as number;
    const b1 = apply(ns, { type: 'newBlock', path: '/f' }) as number;
    assert.equal(apply(ns, { type: 'commitBlock', blockId: b1, length: 4 }), null);
    assert.deepEqual([...ns.blockLengths], [[b1, 4]]);
    assert.equal(apply(ns, { type: 'commitBlock', blockId: b0, length: 10 }), null);
    assert.equal(apply(ns, { type: 'commitBlock', blockId: b1, length: 3 }), null);
    assert.deepEqual([...ns.blockLengths], [[b1, 3], [b0, 10]]);
    assert.equal(ns.resolve('/f').mtime, 2);
  });

  test('completeFile with committed blocks', () => {
    const ns = new Namespace();
    apply(ns, { type: 'mkdir', path: '/d', ts: 1 });
    apply(ns, { type: 'createFile', path: '/d/f', blockSize: 10, ts: 2 });
    const b0 = apply(ns, { type: 'newBlock', path: '/d/f' }) as number;
    const b1 = apply(ns, { type: 'newBlock', path: '/d/f' }) as number;
    apply(ns, { type: 'commitBlock', blockId: b0, length: 10 });
    apply(ns, { type: 'commitBlock', blockId: b1, length: 5 });
    assert.equal(apply(ns, { type: 'completeFile', path: '/d/f', length: 15, persistence: 'NOT_PERSISTED', ts: 30 }), fileIdOf(2));
    const f = ns.resolve('/d/f');
    assert.equal(f.completed, true);
    assert.equal(f.length, 15);
    assert.equal(f.ctime, 2);
    assert.equal(f.mtime, 30);
    assert.equal(f.persistence, 'NOT_PERSISTED');
    assert.deepEqual(f.blocks, [b0, b1]);
    assert.equal(ns.resolve('/d').mtime, 2, 'completing does not touch the parent');
    assert.equal(ns.toPersist.size, 0);
  });

  test('completeFile with zero-length committed blocks and length 0', () => {
    const ns = new Namespace();
    apply(ns, { type: 'createFile', path: '/f', blockSize: 10, ts: 2 });
    const b0 = apply(ns, { type: 'newBlock', path: '/f' }) as number;
    apply(ns, { type: 'commitBlock', blockId: b0, length: 0 });
    apply(ns, { type: 'completeFile', path: '/f', length: 0, persistence: 'NOT_PERSISTED', ts: 3 });
    assert.deepEqual(ns.resolve('/f').blocks, [b0]);
    assert.equal(ns.resolve('/f').length, 0);
  });

  // THROUGH: no blocks, the length defines ceil(length/blockSize) uncached blocks.
  const through: { blockSize: number; length: number; lengths: number[] }[] = [
    { blockSize: 100, length: 0, lengths: [] },
    { blockSize: 100, length: 1, lengths: [1] },
    { blockSize: 100, length: 99, lengths: [99] },
    { blockSize: 100, length: 100, lengths: [100] },
    { blockSize: 100, length: 101, lengths: [100, 1] },
    { blockSize: 100, length: 250, lengths: [100, 100, 50] },
    { blockSize: 100, length: 300, lengths: [100, 100, 100] },
    { blockSize: 1, length: 5, lengths: [1, 1, 1, 1, 1] },
    { blockSize: 7, length: 20, lengths: [7, 7, 6] },
    { blockSize: 1000, length: 3000, lengths: [1000, 1000, 1000] },
  ];
  for (const t of through) {
    test(`THROUGH completeFile blockSize=${t.blockSize} length=${t.length} -> ${JSON.stringify(t.lengths)}`, () => {
      const ns = new Namespace();
      apply(ns, { type: 'mkdir', path: '/d', ts: 1 });
      apply(ns, { type: 'createFile', path: '/d/f', blockSize: t.blockSize, ts: 2 });
      assert.equal(apply(ns, { type: 'completeFile', path: '/d/f', length: t.length, persistence: 'PERSISTED', ts: 3 }), fileIdOf(2));
      const f = ns.resolve('/d/f');
      const ids = t.lengths.map((_, i) => blk(2, i));
      assert.deepEqual(f.blocks, ids);
      assert.deepEqual(ids.map((b) => ns.blockLengths.get(b)), t.lengths);
      assert.equal(ns.blockLengths.size, t.lengths.length);
      assert.equal(f.length, t.length);
      assert.equal(f.completed, true);
      assert.equal(f.persistence, 'PERSISTED');
      assert.equal(f.mtime, 3);
      assert.equal(t.lengths.length, Math.ceil(t.length / t.blockSize));
    });
  }

  const persistenceCases: { persistence: string; toPersist: boolean }[] = [
    { persistence: 'NOT_PERSISTED', toPersist: false },
    { persistence: 'PERSISTED', toPersist: false },
    { persistence: 'TO_BE_PERSISTED', toPersist: true },
  ];
  for (const p of persistenceCases) {
    test(`completeFile persistence ${p.persistence}`, () => {
      const ns = new Namespace();
      apply(ns, { type: 'createFile', path: '/f', blockSize: 10, ts: 1 });
      apply(ns, { type: 'completeFile', path: '/f', length: 25, persistence: p.persistence, ts: 2 });
      assert.equal(ns.resolve('/f').persistence, p.persistence);
      assert.deepEqual([...ns.toPersist], p.toPersist ? [fileIdOf(1)] : []);
    });
  }

  test('toPersist: setPersisted removes; delete removes; restore derives it', () => {
    const ns = new Namespace();
    applyAll(ns, [
      { type: 'mkdir', path: '/d', ts: 1 },
      { type: 'createFile', path: '/d/a', blockSize: 10, ts: 1 },
      { type: 'createFile', path: '/d/b', blockSize: 10, ts: 1 },
      { type: 'createFile', path: '/c', blockSize: 10, ts: 1 },
      { type: 'completeFile', path: '/d/a', length: 5, persistence: 'TO_BE_PERSISTED', ts: 2 },
      { type: 'completeFile', path: '/d/b', length: 5, persistence: 'TO_BE_PERSISTED', ts: 2 },
      { type: 'completeFile', path: '/c', length: 5, persistence: 'TO_BE_PERSISTED', ts: 2 },
    ]);
    const a = fileIdOf(2), b = fileIdOf(3), c = fileIdOf(4);
    assert.deepEqual([...ns.toPersist].sort(), [a, b, c].sort());
    const copy = new Namespace();
    copy.restore(ns.snapshot());
    assert.deepEqual([...copy.toPersist].sort(), [a, b, c].sort());

    assert.equal(apply(ns, { type: 'setPersisted', fileId: c }), null);
    assert.equal(ns.resolve('/c').persistence, 'PERSISTED');
    assert.deepEqual([...ns.toPersist].sort(), [a, b].sort());
    // setPersisted on a directory / unknown id / a block id: no-op
    const before = ns.snapshot();
    assert.equal(apply(ns, { type: 'setPersisted', fileId: fileIdOf(1) }), null);
    assert.equal(apply(ns, { type: 'setPersisted', fileId: fileIdOf(77) }), null);
    assert.equal(apply(ns, { type: 'setPersisted', fileId: blk(2, 0) }), null);
    assert.equal(apply(ns, { type: 'setPersisted', fileId: ROOT_ID }), null);
    assert.deepEqual(ns.snapshot(), before);
    assert.equal(ns.resolve('/d').persistence, 'NOT_PERSISTED');

    const res = apply(ns, { type: 'delete', path: '/d', recursive: true, ts: 3 }) as DeleteResult;
    assert.equal(res.deletedFiles, 2);
    assert.deepEqual([...ns.toPersist], []);
    const copy2 = new Namespace();
    copy2.restore(ns.snapshot());
    assert.deepEqual([...copy2.toPersist], []);
  });

  test('persistFailed: only a file waiting for persistence gives up, with its error; snapshot keeps it; setPersisted clears it', () => {
    const ns = new Namespace();
    applyAll(ns, [
      { type: 'createFile', path: '/a', blockSize: 10, ts: 1 },
      { type: 'completeFile', path: '/a', length: 0, persistence: 'TO_BE_PERSISTED', ts: 2 },
      { type: 'createFile', path: '/m', blockSize: 10, ts: 1 },
      { type: 'completeFile', path: '/m', length: 0, persistence: 'NOT_PERSISTED', ts: 2 },
    ]);
    const a = fileIdOf(1), m = fileIdOf(2);
    const before = ns.snapshot();
    // Not waiting (MUST_CACHE), a directory, unknown ids: no change.
    for (const fileId of [m, ROOT_ID, fileIdOf(9)]) assert.equal(apply(ns, { type: 'persistFailed', fileId, error: 'x' }), null);
    assert.deepEqual(ns.snapshot(), before);
    assert.equal(apply(ns, { type: 'persistFailed', fileId: a, error: 'ENOTDIR: /ufs/a' }), null);
    const f = ns.resolve('/a');
    assert.equal(f.persistence, 'NOT_PERSISTED');
    assert.equal(f.persistError, 'ENOTDIR: /ufs/a');
    assert.deepEqual([...ns.toPersist], []);
    assert.deepEqual([...ns.persistFailures], [a]);
    const copy = new Namespace();
    copy.restore(ns.snapshot());
    assert.deepEqual([...copy.persistFailures], [a]);
    assert.equal(copy.resolve('/a').persistError, 'ENOTDIR: /ufs/a');
    assert.equal(copy.resolve('/m').persistError, undefined);
    assert.deepEqual(copy.snapshot(), ns.snapshot());
    apply(ns, { type: 'setPersisted', fileId: a });
    assert.equal(ns.resolve('/a').persistence, 'PERSISTED');
    assert.equal(ns.resolve('/a').persistError, undefined);
    assert.deepEqual([...ns.persistFailures], []);
    apply(copy, { type: 'delete', path: '/a' });
    assert.deepEqual([...copy.persistFailures], [], 'a deleted file no longer counts');
  });

  test('setPersisted on an incomplete file marks it PERSISTED (no completed check)', () => {
    const ns = new Namespace();
    apply(ns, { type: 'createFile', path: '/f', blockSize: 10, ts: 1 });
    apply(ns, { type: 'setPersisted', fileId: fileIdOf(1) });
    assert.equal(ns.resolve('/f').persistence, 'PERSISTED');
  });

  test('delete: block ids of the subtree, counts, persistedPaths, blockLengths, parent mtime', () => {
    const ns = new Namespace();
    applyAll(ns, [
      { type: 'mkdir', path: '/keep', ts: 1 },
      { type: 'createFile', path: '/keep/k', blockSize: 10, ts: 1 },
      { type: 'completeFile', path: '/keep/k', length: 15, persistence: 'PERSISTED', ts: 1 }, // blocks c2: 0,1
      { type: 'mkdir', path: '/p/q/r', recursive: true, persisted: true, ts: 2 }, // c3 p, c4 q, c5 r
      { type: 'createFile', path: '/p/f1', blockSize: 10, ts: 3 }, // c6
      { type: 'completeFile', path: '/p/f1', length: 30, persistence: 'PERSISTED', ts: 3 }, // 3 blocks
      { type: 'createFile', path: '/p/q/r/f2', blockSize: 10, ts: 4 }, // c7
      { type: 'newBlock', path: '/p/q/r/f2' }, // committed
      { type: 'newBlock', path: '/p/q/r/f2' }, // never committed
      { type: 'commitBlock', blockId: blk(7, 0), length: 10 },
      { type: 'createFile', path: '/p/q/empty', blockSize: 10, ts: 5 }, // c8, no blocks
      { type: 'mkdir', path: '/p/q/emptydir', ts: 6 }, // c9
    ]);
    assert.equal(ns.inodeCount, 10);
    assert.equal(ns.blockLengths.size, 2 + 3 + 1);
    const res = apply(ns, { type: 'delete', path: '/p', recursive: true, ts: 77 }) as DeleteResult;
    assert.deepEqual(Object.keys(res).sort(), ['blockIds', 'deletedFiles', 'persistedPaths']);
    assert.deepEqual([...res.blockIds].sort((x, y) => x - y), [blk(6, 0), blk(6, 1), blk(6, 2), blk(7, 0), blk(7, 1)]);
    assert.equal(res.deletedFiles, 3);
    assert.deepEqual(res.persistedPaths, ['/p']);
    assert.equal(ns.inodeCount, 3);
    assert.deepEqual([...ns.blockLengths], [[blk(2, 0), 10], [blk(2, 1), 5]]);
    assert.equal(ns.lookup('/p'), undefined);
    for (const c of [3, 4, 5, 6, 7, 8, 9]) assert.equal(ns.byId(fileIdOf(c)), undefined);
    assert.equal(ns.resolve('/').mtime, 77);
    assert.equal(ns.resolve('/keep').mtime, 1);
  });

  const deleteCases: { name: string; setup: Entry[]; del: Entry; result: DeleteResult; left: string[] }[] = [
    {
      name: 'a file (non-recursive), not persisted',
      setup: [{ type: 'createFile', path: '/f', blockSize: 4, ts: 1 }, { type: 'completeFile', path: '/f', length: 9, persistence: 'NOT_PERSISTED' }],
      del: { type: 'delete', path: '/f' },
      result: { blockIds: [blk(1, 0), blk(1, 1), blk(1, 2)], deletedFiles: 1, persistedPaths: [] },
      left: ['/'],
    },
    {
      name: 'a persisted file',
      setup: [{ type: 'createFile', path: '/f', blockSize: 4, ts: 1 }, { type: 'completeFile', path: '/f', length: 3, persistence: 'PERSISTED' }],
      del: { type: 'delete', path: '/f', recursive: true },
      result: { blockIds: [blk(1, 0)], deletedFiles: 1, persistedPaths: ['/f'] },
      left: ['/'],
    },
    {
      name: 'an empty directory (non-recursive)',
      setup: [{ type: 'mkdir', path: '/a/b', recursive: true }],
      del: { type: 'delete', path: '/a/b' },
      result: { blockIds: [], deletedFiles: 0, persistedPaths: [] },
      left: ['/', '/a'],
    },
    {
      name: 'a persisted empty directory',
      setup: [{ type: 'mkdir', path: '/a', persisted: true }],
      del: { type: 'delete', path: '/a' },
      result: { blockIds: [], deletedFiles: 0, persistedPaths: ['/a'] },
      left: ['/'],
    },
    {
      name: 'an incomplete file with allocated blocks',
      setup: [{ type: 'createFile', path: '/f', blockSize: 4 }, { type: 'newBlock', path: '/f' }],
      del: { type: 'delete', path: '/f' },
      result: { blockIds: [blk(1, 0)], deletedFiles: 1, persistedPaths: [] },
      left: ['/'],
    },
    {
      name: 'a non-normalized path',
      setup: [{ type: 'mkdir', path: '/a/b', recursive: true }],
      del: { type: 'delete', path: '//a///b/' },
      result: { blockIds: [], deletedFiles: 0, persistedPaths: [] },
      left: ['/', '/a'],
    },
  ];
  for (const c of deleteCases) {
    test(`delete ${c.name}`, () => {
      const ns = new Namespace();
      applyAll(ns, c.setup);
      const res = apply(ns, c.del) as DeleteResult;
      assert.deepEqual({ ...res, blockIds: [...res.blockIds].sort((x, y) => x - y) }, c.result);
      const all: string[] = [];
      const walk = (n: Inode) => { all.push(ns.pathOf(n)); for (const k of ns.children(n)) walk(k); };
      walk(ns.resolve('/'));
      assert.deepEqual(all, c.left);
      assert.equal(ns.inodeCount, c.left.length);
      assert.equal(ns.blockLengths.size, 0);
    });
  }

  test('rename a file to another directory: id, blocks, times', () => {
    const ns = new Namespace();
    applyAll(ns, [
      { type: 'mkdir', path: '/src', ts: 1 },
      { type: 'mkdir', path: '/dst', ts: 2 },
      { type: 'createFile', path: '/src/f', blockSize: 10, ts: 3 },
      { type: 'completeFile', path: '/src/f', length: 15, persistence: 'PERSISTED', ts: 4 },
    ]);
    const id = ns.resolve('/src/f').id;
    assert.equal(apply(ns, { type: 'rename', src: '/src/f', dst: '/dst/g', ts: 50 }), null);
    assert.equal(ns.lookup('/src/f'), undefined);
    const g = ns.resolve('/dst/g');
    assert.equal(g.id, id);
    assert.equal(g.name, 'g');
    assert.equal(g.parentId, ns.resolve('/dst').id);
    assert.deepEqual(g.blocks, [blk(3, 0), blk(3, 1)]);
    assert.equal(g.ctime, 3);
    assert.equal(g.mtime, 50);
    assert.equal(ns.resolve('/src').mtime, 50);
    assert.equal(ns.resolve('/dst').mtime, 50);
    assert.equal(ns.resolve('/').mtime, 2);
    assert.equal(ns.pathOf(g), '/dst/g');
    assert.deepEqual(ns.children(ns.resolve('/src')), []);
    assert.equal(ns.inodeCount, 4);
  });

  test('rename a directory subtree within the same parent', () => {
    const ns = new Namespace();
    applyAll(ns, [
      { type: 'mkdir', path: '/a/b/c', recursive: true, ts: 1 },
      { type: 'createFile', path: '/a/b/c/f', blockSize: 1, ts: 1 },
    ]);
    apply(ns, { type: 'rename', src: '/a/b', dst: '/a/z', ts: 9 });
    assert.equal(ns.pathOf(ns.byId(fileIdOf(4))!), '/a/z/c/f');
    assert.equal(ns.resolve('/a/z/c/f').id, fileIdOf(4));
    assert.equal(ns.lookup('/a/b'), undefined);
    assert.deepEqual(ns.children(ns.resolve('/a')).map((n) => n.name), ['z']);
    assert.equal(ns.resolve('/a').mtime, 9);
    assert.equal(ns.resolve('/a/z').mtime, 9);
    assert.equal(ns.resolve('/a/z/c').mtime, 1);
  });

  test('rename to a sibling whose name has the source as a prefix is allowed', () => {
    const ns = new Namespace();
    apply(ns, { type: 'mkdir', path: '/a' });
    apply(ns, { type: 'rename', src: '/a', dst: '/ab', ts: 1 });
    assert.equal(ns.resolve('/ab').id, fileIdOf(1));
  });

  test('blockStatus: committed / pending / orphan', () => {
    const ns = new Namespace();
    applyAll(ns, [
      { type: 'createFile', path: '/f', blockSize: 4 }, // c1: block 0 committed, block 1 allocated only
      { type: 'newBlock', path: '/f' },
      { type: 'newBlock', path: '/f' },
      { type: 'commitBlock', blockId: blk(1, 0), length: 4 },
      { type: 'createFile', path: '/g', blockSize: 4 }, // c2: THROUGH, 3 blocks
      { type: 'completeFile', path: '/g', length: 10, persistence: 'PERSISTED' },
      { type: 'mkdir', path: '/d' }, // c3
    ]);
    const rows: [number, string][] = [
      [blk(1, 0), 'committed'],
      [blk(1, 1), 'pending'],
      [blk(1, 2), 'orphan'], // not allocated
      [fileIdOf(1), 'orphan'],
      [blk(2, 0), 'committed'],
      [blk(2, 2), 'committed'],
      [blk(2, 3), 'orphan'],
      [blk(3, 0), 'orphan'], // a directory's container
      [blk(0, 0), 'orphan'], // the root's container
      [blk(99, 0), 'orphan'],
    ];
    for (const [b, want] of rows) assert.equal(ns.blockStatus(b), want, `block ${b}`);
    apply(ns, { type: 'delete', path: '/f' });
    assert.equal(ns.blockStatus(blk(1, 0)), 'orphan');
    assert.equal(ns.blockStatus(blk(1, 1)), 'orphan');
  });

  test('path normalization: "//a///b/" is "/a/b"', () => {
    const ns = new Namespace();
    assert.equal(apply(ns, { type: 'mkdir', path: '//a///b/', recursive: true, ts: 1 }), fileIdOf(2));
    assert.equal(ns.resolve('/a/b').id, fileIdOf(2));
    assert.equal(ns.resolve('/a/b').name, 'b');
    assert.equal(apply(ns, { type: 'mkdir', path: '/a/b', allowExists: true }), fileIdOf(2));
    assert.equal(apply(ns, { type: 'createFile', path: '/./a/./b//f/', blockSize: 3, ts: 2 }), fileIdOf(3));
    assert.equal(ns.pathOf(ns.byId(fileIdOf(3))!), '/a/b/f');
    assert.equal(apply(ns, { type: 'newBlock', path: '/a//b/f' }), blk(3, 0));
    apply(ns, { type: 'commitBlock', blockId: blk(3, 0), length: 2 });
    assert.equal(apply(ns, { type: 'completeFile', path: '/a/b/f/', length: 2, persistence: 'NOT_PERSISTED' }), fileIdOf(3));
    apply(ns, { type: 'rename', src: '/a/b/f/', dst: '//a//g', ts: 3 });
    assert.equal(ns.resolve('/a/g').id, fileIdOf(3));
    // dot-prefixed names are ordinary components
    assert.equal(apply(ns, { type: 'mkdir', path: '/a/.hidden/', ts: 4 }), fileIdOf(4));
    assert.equal(ns.resolve('/a/.hidden').name, '.hidden');
  });
});

// ------------------------------------------------------------------------------------------- rejections
describe('namespace apply: rejections (exact class and message; state unchanged)', () => {
  /** The fixture every rejection case starts from. */
  const base: Entry[] = [
    { type: 'init', clusterId: 'cid' },
    { type: 'mkdir', path: '/a', ts: 10 }, // c1
    { type: 'mkdir', path: '/a/b', ts: 11 }, // c2
    { type: 'createFile', path: '/a/f', blockSize: 100, ts: 12 }, // c3, completed, 1 block of 50
    { type: 'newBlock', path: '/a/f' },
    { type: 'commitBlock', blockId: blk(3, 0), length: 50 },
    { type: 'completeFile', path: '/a/f', length: 50, persistence: 'NOT_PERSISTED', ts: 13 },
    { type: 'createFile', path: '/a/open', blockSize: 100, ts: 14 }, // c4, block 0 uncommitted
    { type: 'newBlock', path: '/a/open' },
    { type: 'createFile', path: '/a/g', blockSize: 100, ts: 15 }, // c5, block 0 committed 100
    { type: 'newBlock', path: '/a/g' },
    { type: 'commitBlock', blockId: blk(5, 0), length: 100 },
  ];
  const rows: { name: string; e: Entry; C: ErrCtor; msg: string }[] = [
    // init never fails; unknown types and missing fields are refused by decode
    { name: 'unknown type', e: { type: 'bogus' }, C: InvalidEntryError, msg: `unknown journal entry type "bogus" (this master knows ${MASTER_ENTRY_TYPES.join(', ')})` },
    // mkdir
    { name: 'mkdir existing dir', e: { type: 'mkdir', path: '/a' }, C: FileAlreadyExistsError, msg: 'Path "/a" already exists.' },
    { name: 'mkdir existing dir, recursive', e: { type: 'mkdir', path: '/a/b', recursive: true }, C: FileAlreadyExistsError, msg: 'Path "/a/b" already exists.' },
    { name: 'mkdir existing file even with allowExists', e: { type: 'mkdir', path: '/a/f', allowExists: true }, C: FileAlreadyExistsError, msg: 'Path "/a/f" already exists.' },
    { name: 'mkdir root', e: { type: 'mkdir', path: '/' }, C: FileAlreadyExistsError, msg: 'Path "/" already exists.' },
    { name: 'mkdir missing parent names the first missing ancestor (top)', e: { type: 'mkdir', path: '/x/y/z' }, C: FileDoesNotExistError, msg: 'Path "/x" does not exist.' },
    { name: 'mkdir missing parent names the first missing ancestor (nested)', e: { type: 'mkdir', path: '/a/b/x/y/z' }, C: FileDoesNotExistError, msg: 'Path "/a/b/x" does not exist.' },
    { name: 'mkdir missing direct parent', e: { type: 'mkdir', path: '/a/x/y' }, C: FileDoesNotExistError, msg: 'Path "/a/x" does not exist.' },
    { name: 'mkdir under a file', e: { type: 'mkdir', path: '/a/f/x' }, C: InvalidPathError, msg: 'Path "/a/f/x" is invalid: "/a/f" is a file, not a directory' },
    { name: 'mkdir under a file, recursive', e: { type: 'mkdir', path: '/a/f/x/y', recursive: true }, C: InvalidPathError, msg: 'Path "/a/f/x/y" is invalid: "/a/f" is a file, not a directory' },
    { name: 'mkdir relative', e: { type: 'mkdir', path: 'a/b' }, C: InvalidPathError, msg: 'Path "a/b" is invalid: it must be absolute (start with /)' },
    { name: 'mkdir empty path', e: { type: 'mkdir', path: '' }, C: InvalidPathError, msg: 'Path "" is invalid: it must be absolute (start with /)' },
    { name: 'mkdir no path', e: { type: 'mkdir' }, C: InvalidEntryError, msg: 'journal entry of type "mkdir": field "path" is missing (a string)' },
    { name: 'mkdir with ..', e: { type: 'mkdir', path: '/a/../c', recursive: true }, C: InvalidPathError, msg: 'Path "/a/../c" is invalid: ".." is not allowed' },
    { name: 'mkdir with trailing ..', e: { type: 'mkdir', path: '/a/b/..' }, C: InvalidPathError, msg: 'Path "/a/b/.." is invalid: ".." is not allowed' },
    // createFile
    { name: 'createFile existing file', e: { type: 'createFile', path: '/a/f', blockSize: 1 }, C: FileAlreadyExistsError, msg: 'Path "/a/f" already exists.' },
    { name: 'createFile existing file, recursive', e: { type: 'createFile', path: '/a/f', blockSize: 1, recursive: true }, C: FileAlreadyExistsError, msg: 'Path "/a/f" already exists.' },
    { name: 'createFile on a directory', e: { type: 'createFile', path: '/a/b', blockSize: 1 }, C: FileAlreadyExistsError, msg: 'Path "/a/b" already exists.' },
    { name: 'createFile root', e: { type: 'createFile', path: '/', blockSize: 1 }, C: FileAlreadyExistsError, msg: 'Path "/" already exists.' },
    { name: 'createFile missing parent names the first missing ancestor', e: { type: 'createFile', path: '/a/x/y/f', blockSize: 1 }, C: FileDoesNotExistError, msg: 'Path "/a/x" does not exist.' },
    { name: 'createFile missing top-level parent', e: { type: 'createFile', path: '/m/f', blockSize: 1 }, C: FileDoesNotExistError, msg: 'Path "/m" does not exist.' },
    { name: 'createFile under a file', e: { type: 'createFile', path: '/a/f/g', blockSize: 1 }, C: InvalidPathError, msg: 'Path "/a/f/g" is invalid: "/a/f" is a file, not a directory' },
    { name: 'createFile deep under a file, recursive', e: { type: 'createFile', path: '/a/f/g/h', blockSize: 1, recursive: true }, C: InvalidPathError, msg: 'Path "/a/f/g/h" is invalid: "/a/f" is a file, not a directory' },
    { name: 'createFile block size 0', e: { type: 'createFile', path: '/a/new', blockSize: 0 }, C: InvalidPathError, msg: 'block size must be positive, got 0' },
    { name: 'createFile block size negative', e: { type: 'createFile', path: '/a/new', blockSize: -5 }, C: InvalidPathError, msg: 'block size must be positive, got -5' },
    { name: 'createFile block size missing', e: { type: 'createFile', path: '/a/new' }, C: InvalidEntryError, msg: 'journal entry of type "createFile": field "blockSize" is missing (an integer)' },
    { name: 'createFile relative', e: { type: 'createFile', path: 'f', blockSize: 1 }, C: InvalidPathError, msg: 'Path "f" is invalid: it must be absolute (start with /)' },
    { name: 'createFile with ..', e: { type: 'createFile', path: '/a/../f', blockSize: 1 }, C: InvalidPathError, msg: 'Path "/a/../f" is invalid: ".." is not allowed' },
    // newBlock
    { name: 'newBlock missing file', e: { type: 'newBlock', path: '/a/nope' }, C: FileDoesNotExistError, msg: 'Path "/a/nope" does not exist.' },
    { name: 'newBlock on a directory', e: { type: 'newBlock', path: '/a' }, C: InvalidPathError, msg: 'Path "/a" is a directory, not a file' },
    { name: 'newBlock on root', e: { type: 'newBlock', path: '/' }, C: InvalidPathError, msg: 'Path "/" is a directory, not a file' },
    { name: 'newBlock on a completed file', e: { type: 'newBlock', path: '/a/f' }, C: FailedPreconditionError, msg: 'File "/a/f" is already completed' },
    { name: 'newBlock relative', e: { type: 'newBlock', path: 'a/f' }, C: InvalidPathError, msg: 'Path "a/f" is invalid: it must be absolute (start with /)' },
    // commitBlock
    { name: 'commitBlock of an unknown container', e: { type: 'commitBlock', blockId: blk(99, 0), length: 1 }, C: FailedPreconditionError, msg: `block ${blk(99, 0)} does not belong to any file` },
    { name: 'commitBlock of a not yet allocated index', e: { type: 'commitBlock', blockId: blk(4, 1), length: 1 }, C: FailedPreconditionError, msg: `block ${blk(4, 1)} does not belong to any file` },
    { name: 'commitBlock of a file id', e: { type: 'commitBlock', blockId: fileIdOf(4), length: 1 }, C: FailedPreconditionError, msg: `block ${fileIdOf(4)} does not belong to any file` },
    { name: 'commitBlock in a directory container', e: { type: 'commitBlock', blockId: blk(1, 0), length: 1 }, C: FailedPreconditionError, msg: `block ${blk(1, 0)} does not belong to any file` },
    { name: 'commitBlock in the root container', e: { type: 'commitBlock', blockId: 0, length: 1 }, C: FailedPreconditionError, msg: 'block 0 does not belong to any file' },
    { name: 'commitBlock without id', e: { type: 'commitBlock', length: 1 }, C: InvalidEntryError, msg: 'journal entry of type "commitBlock": field "blockId" is missing (an integer)' },
    // completeFile
    { name: 'completeFile twice', e: { type: 'completeFile', path: '/a/f', length: 50, persistence: 'NOT_PERSISTED' }, C: FailedPreconditionError, msg: 'File "/a/f" is already completed' },
    { name: 'completeFile with an uncommitted block', e: { type: 'completeFile', path: '/a/open', length: 0, persistence: 'NOT_PERSISTED' }, C: FailedPreconditionError, msg: `File "/a/open" cannot be completed: block ${blk(4, 0)} was never committed` },
    { name: 'completeFile length too small', e: { type: 'completeFile', path: '/a/g', length: 99, persistence: 'NOT_PERSISTED' }, C: FailedPreconditionError, msg: 'File "/a/g" cannot be completed: blocks hold 100 bytes, client wrote 99' },
    { name: 'completeFile length too large', e: { type: 'completeFile', path: '/a/g', length: 101, persistence: 'NOT_PERSISTED' }, C: FailedPreconditionError, msg: 'File "/a/g" cannot be completed: blocks hold 100 bytes, client wrote 101' },
    { name: 'completeFile on a directory', e: { type: 'completeFile', path: '/a/b', length: 0, persistence: 'NOT_PERSISTED' }, C: InvalidPathError, msg: 'Path "/a/b" is a directory, not a file' },
    { name: 'completeFile missing', e: { type: 'completeFile', path: '/a/zz', length: 0, persistence: 'NOT_PERSISTED' }, C: FileDoesNotExistError, msg: 'Path "/a/zz" does not exist.' },
    // delete
    { name: 'delete root', e: { type: 'delete', path: '/', recursive: true }, C: InvalidPathError, msg: 'Cannot delete the root directory "/"' },
    { name: 'delete root (non-normalized)', e: { type: 'delete', path: '///', recursive: true }, C: InvalidPathError, msg: 'Cannot delete the root directory "/"' },
    { name: 'delete missing', e: { type: 'delete', path: '/a/zz' }, C: FileDoesNotExistError, msg: 'Path "/a/zz" does not exist.' },
    { name: 'delete below a file', e: { type: 'delete', path: '/a/f/x' }, C: FileDoesNotExistError, msg: 'Path "/a/f/x" does not exist.' },
    { name: 'delete non-empty directory without recursive', e: { type: 'delete', path: '/a' }, C: DirectoryNotEmptyError, msg: 'Directory "/a" is not empty.' },
    { name: 'delete relative', e: { type: 'delete', path: 'a', recursive: true }, C: InvalidPathError, msg: 'Path "a" is invalid: it must be absolute (start with /)' },
    // rename
    { name: 'rename root', e: { type: 'rename', src: '/', dst: '/x' }, C: InvalidPathError, msg: 'Cannot rename the root directory "/"' },
    { name: 'rename onto root', e: { type: 'rename', src: '/a', dst: '/' }, C: InvalidPathError, msg: 'Cannot rename the root directory "/"' },
    { name: 'rename missing source', e: { type: 'rename', src: '/nope', dst: '/x' }, C: FileDoesNotExistError, msg: 'Path "/nope" does not exist.' },
    { name: 'rename into itself', e: { type: 'rename', src: '/a', dst: '/a/b/c' }, C: InvalidPathError, msg: 'Cannot rename "/a" to "/a/b/c": the destination is inside the source' },
    { name: 'rename into its direct child path', e: { type: 'rename', src: '/a', dst: '/a/new' }, C: InvalidPathError, msg: 'Cannot rename "/a" to "/a/new": the destination is inside the source' },
    { name: 'rename onto itself', e: { type: 'rename', src: '/a/f', dst: '/a/f' }, C: InvalidPathError, msg: 'Cannot rename "/a/f" to "/a/f": the destination is inside the source' },
    { name: 'rename onto an existing file', e: { type: 'rename', src: '/a/g', dst: '/a/f' }, C: FileAlreadyExistsError, msg: 'Path "/a/f" already exists.' },
    { name: 'rename onto an existing directory', e: { type: 'rename', src: '/a/f', dst: '/a/b' }, C: FileAlreadyExistsError, msg: 'Path "/a/b" already exists.' },
    { name: 'rename to a missing parent names the destination parent', e: { type: 'rename', src: '/a/f', dst: '/x/y/z' }, C: FileDoesNotExistError, msg: 'Path "/x/y" does not exist.' },
    { name: 'rename under a file', e: { type: 'rename', src: '/a/g', dst: '/a/f/g' }, C: InvalidPathError, msg: 'Cannot rename to "/a/f/g": "/a/f" is a file' },
    { name: 'rename with .. in dst', e: { type: 'rename', src: '/a/g', dst: '/a/../g' }, C: InvalidPathError, msg: 'Path "/a/../g" is invalid: ".." is not allowed' },
    { name: 'rename relative src', e: { type: 'rename', src: 'a/g', dst: '/g' }, C: InvalidPathError, msg: 'Path "a/g" is invalid: it must be absolute (start with /)' },
  ];
  for (const r of rows) {
    test(r.name, () => {
      const ns = new Namespace();
      applyAll(ns, base);
      const before = ns.snapshot();
      const toPersistBefore = [...ns.toPersist];
      throwsExact(() => apply(ns, { ...r.e, ts: 12345 }), r.C, r.msg);
      assert.deepEqual(ns.snapshot(), before, 'a rejected entry must not change the state');
      assert.deepEqual([...ns.toPersist], toPersistBefore);
    });
  }

  test('error path fields', () => {
    const ns = new Namespace();
    applyAll(ns, base);
    const err = (e: Entry) => { try { apply(ns, e); } catch (x) { return x as { path?: string }; } assert.fail('no throw'); };
    assert.equal(err({ type: 'mkdir', path: '/x/y/z' }).path, '/x');
    assert.equal(err({ type: 'mkdir', path: '/a' }).path, '/a');
    assert.equal(err({ type: 'delete', path: '/a' }).path, '/a');
    assert.equal(err({ type: 'rename', src: '/a/f', dst: '/x/y/z' }).path, '/x/y');
  });

  test('a failed completeFile can be retried after the missing commit', () => {
    const ns = new Namespace();
    applyAll(ns, base);
    throwsExact(() => apply(ns, { type: 'completeFile', path: '/a/open', length: 7, persistence: 'NOT_PERSISTED' }), FailedPreconditionError,
      `File "/a/open" cannot be completed: block ${blk(4, 0)} was never committed`);
    apply(ns, { type: 'commitBlock', blockId: blk(4, 0), length: 7 });
    assert.equal(apply(ns, { type: 'completeFile', path: '/a/open', length: 7, persistence: 'NOT_PERSISTED' }), fileIdOf(4));
  });
});

// ------------------------------------------------------------------------------------------- opId
describe('namespace opId idempotency', () => {
  test('same opId applies once and returns the first result', () => {
    const ns = new Namespace();
    const e = { type: 'mkdir', path: '/a', opId: 'op-1', ts: 1 };
    assert.equal(apply(ns, e), fileIdOf(1));
    assert.equal(ns.hasOp('op-1'), true);
    const snap = ns.snapshot();
    assert.equal(apply(ns, e), fileIdOf(1));
    assert.equal(apply(ns, { ...e, ts: 99 }), fileIdOf(1));
    assert.equal(apply(ns, { type: 'mkdir', path: '/other', opId: 'op-1' }), fileIdOf(1), 'the opId alone decides');
    assert.deepEqual(ns.snapshot(), snap);
    assert.equal(ns.lookup('/other'), undefined);
    // without opId it re-executes
    throwsExact(() => apply(ns, { type: 'mkdir', path: '/a' }), FileAlreadyExistsError, 'Path "/a" already exists.');
  });

  test('delete with opId returns the same result object twice', () => {
    const ns = new Namespace();
    apply(ns, { type: 'createFile', path: '/f', blockSize: 2 });
    apply(ns, { type: 'completeFile', path: '/f', length: 3, persistence: 'PERSISTED' });
    const r1 = apply(ns, { type: 'delete', path: '/f', opId: 'd' });
    const r2 = apply(ns, { type: 'delete', path: '/f', opId: 'd' });
    const d1 = r1 as DeleteResult;
    assert.deepEqual({ ...d1, blockIds: [...d1.blockIds].sort((x, y) => x - y) }, { blockIds: [blk(1, 0), blk(1, 1)], deletedFiles: 1, persistedPaths: ['/f'] });
    assert.equal(r2, r1);
  });

  test('empty opIds are ignored; non-string ones are refused by decode', () => {
    const ns = new Namespace();
    apply(ns, { type: 'mkdir', path: '/a', opId: '' });
    throwsExact(() => apply(ns, { type: 'mkdir', path: '/a', opId: '' }), FileAlreadyExistsError, 'Path "/a" already exists.');
    throwsExact(() => apply(ns, { type: 'mkdir', path: '/b', opId: 5 }), InvalidEntryError, 'journal entry of type "mkdir": field "opId" must be a string, not 5');
    assert.equal(ns.lookup('/b'), undefined);
    assert.equal(ns.hasOp(''), false);
    assert.equal(ns.hasOp(undefined), false);
    assert.deepEqual(JSON.parse(ns.snapshot().toString()).ops, []);
  });

  test('a failed operation is remembered: a retry fails the same way even after the state changed', () => {
    const ns = new Namespace();
    const e = { type: 'mkdir', path: '/x/y', opId: 'r' };
    throwsExact(() => apply(ns, e), FileDoesNotExistError, 'Path "/x" does not exist.');
    assert.equal(ns.hasOp('r'), true);
    apply(ns, { type: 'mkdir', path: '/x' });
    throwsExact(() => apply(ns, e), FileDoesNotExistError, 'Path "/x" does not exist.');
    assert.equal(ns.lookup('/x/y'), undefined);
    // ... across a snapshot too.
    const copy = new Namespace();
    copy.restore(ns.snapshot());
    throwsExact(() => apply(copy, e), FileDoesNotExistError, 'Path "/x" does not exist.');
  });

  test('null results are remembered too', () => {
    const ns = new Namespace();
    apply(ns, { type: 'mkdir', path: '/a' });
    assert.equal(apply(ns, { type: 'rename', src: '/a', dst: '/b', opId: 'mv' }), null);
    assert.equal(ns.hasOp('mv'), true);
    assert.equal(apply(ns, { type: 'rename', src: '/a', dst: '/b', opId: 'mv' }), null, 'no FileDoesNotExistError on retry');
  });

  test('the last 10,000 opIds are remembered: forgotten exactly after 10,000 further distinct ones', () => {
    const ns = new Namespace();
    const first = { type: 'mkdir', path: '/a', opId: 'first', ts: 1 };
    assert.equal(apply(ns, first), fileIdOf(1));
    for (let i = 0; i < 9_999; i++) apply(ns, { type: 'init', clusterId: 'c', opId: `o${i}` });
    assert.equal(ns.hasOp('first'), true);
    assert.equal(apply(ns, first), fileIdOf(1), 'still remembered after 9,999 further opIds');
    assert.equal(JSON.parse(ns.snapshot().toString()).ops.length, 10_000);
    apply(ns, { type: 'init', clusterId: 'c', opId: 'o9999' });
    assert.equal(ns.hasOp('first'), false);
    assert.equal(ns.hasOp('o0'), true);
    assert.equal(ns.hasOp('o9999'), true);
    throwsExact(() => apply(ns, first), FileAlreadyExistsError, 'Path "/a" already exists.');
  });

  test('after 10,001 further distinct opIds the first is forgotten and re-executes', () => {
    const ns = new Namespace();
    const first = { type: 'mkdir', path: '/a', opId: 'first' };
    apply(ns, first);
    for (let i = 0; i < 10_001; i++) apply(ns, { type: 'setPersisted', fileId: 1, opId: `p${i}` });
    assert.equal(ns.hasOp('first'), false);
    assert.equal(ns.hasOp('p0'), false);
    assert.equal(ns.hasOp('p1'), true);
    throwsExact(() => apply(ns, first), FileAlreadyExistsError, 'Path "/a" already exists.');
  });

  test('restore keeps the remembered opIds and their eviction order', () => {
    const ns = new Namespace();
    for (let i = 0; i < 10_005; i++) apply(ns, { type: 'init', clusterId: 'c', opId: `o${i}` }); // o0..o4 evicted
    const copy = new Namespace();
    copy.restore(ns.snapshot());
    assert.deepEqual(copy.snapshot(), ns.snapshot());
    assert.equal(copy.hasOp('o4'), false);
    assert.equal(copy.hasOp('o5'), true);
    for (const x of [ns, copy]) apply(x, { type: 'init', clusterId: 'c', opId: 'new1' });
    assert.equal(copy.hasOp('o5'), false, 'the oldest is evicted first after restore as well');
    assert.equal(copy.hasOp('o6'), true);
    assert.deepEqual(copy.snapshot(), ns.snapshot());
  });
});

// ------------------------------------------------------------------------------------------- snapshot / replay
/** mulberry32: a small deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Outcome { ok: boolean; value: unknown }

function run(ns: Namespace, e: Entry, index: number): Outcome {
  try { return { ok: true, value: apply(ns, e, index) }; } catch (err) {
    assert.ok(err instanceof AlluxioError, `unexpected non-Alluxio error ${(err as Error)?.stack}`);
    return { ok: false, value: `${(err as Error).name}: ${(err as Error).message}` };
  }
}

/**
 * 2,000 entries of every type, including failing ones. Generated against a driver namespace so
 * that block ids and lengths are often valid (and so often succeed).
 */
function randomEntries(seed: number, count: number): Entry[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const names = ['a', 'b', 'c', 'd'];
  const randPath = (): string => {
    const depth = 1 + Math.floor(rnd() * 3);
    const parts: string[] = [];
    for (let i = 0; i < depth; i++) parts.push(pick(names));
    const p = '/' + parts.join('/');
    const r = rnd();
    if (r < 0.02) return parts.join('/'); // relative
    if (r < 0.04) return p + '/../x';
    if (r < 0.08) return '/' + parts.join('//') + '/'; // non-normalized
    if (r < 0.09) return '/';
    return p;
  };
  const driver = new Namespace();
  /** Normalized paths of the driver's inodes (root excluded) matching `want`. */
  const existing = (want: (n: Inode) => boolean): string[] => {
    const out: string[] = [];
    const walk = (dir: Inode, prefix: string) => {
      for (const c of driver.children(dir)) {
        const cp = `${prefix}/${c.name}`;
        if (want(c)) out.push(cp);
        if (c.dir) walk(c, cp);
      }
    };
    walk(driver.resolve('/'), '');
    return out;
  };
  /** Usually an existing path of the wanted kind, else a random (possibly invalid) one. */
  const somePath = (want: (n: Inode) => boolean, pExisting: number): string => {
    const xs = rnd() < pExisting ? existing(want) : [];
    return xs.length ? pick(xs) : randPath();
  };
  const entries: Entry[] = [];
  const usedOps: string[] = [];
  let ts = 1000;
  for (let i = 0; i < count; i++) {
    ts += Math.floor(rnd() * 3);
    const r = rnd();
    let e: Entry;
    const isOpenFile = (n: Inode) => !n.dir && !n.completed;
    if (r < 0.01) e = { type: 'init', clusterId: `cluster-${Math.floor(rnd() * 5)}` };
    else if (r < 0.13) e = { type: 'mkdir', path: somePath((n) => n.dir, 0.2), recursive: rnd() < 0.6, allowExists: rnd() < 0.3, persisted: rnd() < 0.5 };
    else if (r < 0.30) e = { type: 'createFile', path: somePath(() => true, 0.2), recursive: rnd() < 0.6, blockSize: pick([1, 5, 16, 64, 0]) };
    else if (r < 0.42) e = { type: 'newBlock', path: somePath(isOpenFile, 0.8) };
    else if (r < 0.56) {
      const files = rnd() < 0.85 ? existing((n) => !n.dir && n.blocks.length > 0) : [];
      const f = files.length ? driver.resolve(pick(files)) : undefined;
      const blockId = f ? pick(f.blocks) : blk(Math.floor(rnd() * 60), Math.floor(rnd() * 3));
      e = { type: 'commitBlock', blockId, length: Math.floor(rnd() * 70) };
    } else if (r < 0.68) {
      const p = somePath(isOpenFile, 0.8);
      const node = p.startsWith('/') && !p.includes('..') ? driver.lookup(p) : undefined;
      let length = Math.floor(rnd() * 200);
      if (node && !node.dir && node.blocks.length && rnd() < 0.8) length = node.blocks.reduce((s, b) => s + (driver.blockLengths.get(b) ?? 0), 0);
      e = { type: 'completeFile', path: p, length, persistence: pick(['NOT_PERSISTED', 'PERSISTED', 'TO_BE_PERSISTED']) };
    } else if (r < 0.78) e = { type: 'delete', path: somePath((n) => n.dir, 0.5), recursive: rnd() < 0.7 };
    else if (r < 0.92) {
      const src = somePath(() => true, 0.8);
      const dst = rnd() < 0.5 && src.startsWith('/') && !src.includes('..') && src !== '/' ? `${src.slice(0, src.lastIndexOf('/'))}/${pick(names)}${pick(names)}` : randPath();
      e = { type: 'rename', src, dst };
    } else if (r < 0.99) {
      const files = rnd() < 0.9 ? existing((n) => !n.dir) : [];
      e = { type: 'setPersisted', fileId: files.length ? driver.resolve(pick(files)).id : fileIdOf(Math.floor(rnd() * 60)) };
    } else e = { type: 'bogus' };
    e.ts = ts;
    const o = rnd();
    if (o < 0.1 && usedOps.length) e.opId = pick(usedOps); // a retry (or a collision) of an earlier op
    else if (o < 0.6) { e.opId = `op-${seed}-${i}`; usedOps.push(e.opId as string); }
    entries.push(e);
    run(driver, e, i + 1);
  }
  return entries;
}

/** Snapshot JSON with delete results' block ids sorted (their order is not part of the contract we assert here). */
function canonical(buf: Buffer): string {
  const s = JSON.parse(buf.toString('utf8'));
  for (const [, v] of s.ops) if (v && typeof v === 'object' && Array.isArray(v.blockIds)) v.blockIds.sort((x: number, y: number) => x - y);
  return JSON.stringify(s);
}

function canonicalOutcome(o: Outcome): Outcome {
  const v = o.value as DeleteResult | null;
  if (o.ok && v && typeof v === 'object' && Array.isArray(v.blockIds)) return { ok: true, value: { ...v, blockIds: [...v.blockIds].sort((x, y) => x - y) } };
  return o;
}

describe('namespace replay determinism', () => {
  const SEEDS = [1, 42, 20240601];
  const N = 2000;

  for (const seed of SEEDS) {
    test(`seed ${seed}: two fresh namespaces reach byte-identical snapshots with identical results`, () => {
      const entries = randomEntries(seed, N);
      const types = new Set(entries.map((e) => e.type));
      for (const t of ['init', 'mkdir', 'createFile', 'newBlock', 'commitBlock', 'completeFile', 'delete', 'rename', 'setPersisted', 'bogus']) assert.ok(types.has(t), t);
      const a = new Namespace(), b = new Namespace();
      const ra = entries.map((e, i) => run(a, e, i + 1));
      const rb = entries.map((e, i) => run(b, e, i + 1));
      assert.deepEqual(rb, ra);
      assert.ok(a.snapshot().equals(b.snapshot()));
      // the sequence exercises both outcomes of every operation type
      for (const t of ['mkdir', 'createFile', 'newBlock', 'commitBlock', 'completeFile', 'delete', 'rename']) {
        assert.ok(entries.some((e, i) => e.type === t && ra[i]!.ok), `${t} succeeded at least once`);
        assert.ok(entries.some((e, i) => e.type === t && !ra[i]!.ok), `${t} failed at least once`);
      }
      assert.ok(a.inodeCount > 1);
    });

    test(`seed ${seed}: snapshot -> restore -> snapshot is byte-identical at every 100th step`, () => {
      const entries = randomEntries(seed, N);
      const a = new Namespace();
      entries.forEach((e, i) => {
        run(a, e, i + 1);
        if ((i + 1) % 100 === 0) {
          const s = a.snapshot();
          const c = new Namespace();
          c.restore(s);
          assert.ok(c.snapshot().equals(s), `step ${i + 1}`);
          assert.deepEqual([...c.toPersist].sort(), [...a.toPersist].sort());
          assert.equal(c.inodeCount, a.inodeCount);
        }
      });
    });

    /** Run once, snapshotting every `every` steps; then restore each snapshot into a fresh namespace and continue. */
    const restoreAndContinue = (every: number, check: (cut: number, ra: Outcome[], rc: Outcome[], a: Namespace, c: Namespace) => void) => {
      const entries = randomEntries(seed, N);
      const a = new Namespace();
      const snaps = new Map<number, Buffer>([[0, a.snapshot()]]);
      const ra = entries.map((e, i) => {
        const o = run(a, e, i + 1);
        if ((i + 1) % every === 0 || i + 1 === 1) snaps.set(i + 1, a.snapshot());
        return o;
      });
      for (const [cut, snap] of snaps) {
        const c = new Namespace();
        c.restore(snap);
        const rc = entries.slice(cut).map((e, i) => run(c, e, cut + i + 1));
        check(cut, ra.slice(cut), rc, a, c);
      }
    };

    test(`seed ${seed}: restore then continuing equals never snapshotting (delete block order aside)`, () => {
      restoreAndContinue(50, (cut, ra, rc, a, c) => {
        assert.deepEqual(rc.map(canonicalOutcome), ra.map(canonicalOutcome), `cut ${cut}`);
        assert.equal(canonical(c.snapshot()), canonical(a.snapshot()), `cut ${cut}`);
        assert.deepEqual([...c.toPersist].sort(), [...a.toPersist].sort(), `cut ${cut}`);
      });
    });

    test(`seed ${seed}: restore then continuing gives byte-identical snapshots and identical results`, () => {
      restoreAndContinue(50, (cut, ra, rc, a, c) => {
        assert.deepEqual(rc, ra, `cut ${cut}`);
        assert.ok(c.snapshot().equals(a.snapshot()), `cut ${cut}`);
      });
    });
  }

  test('minimal repro: delete after rename returns the same blockIds with or without a restore in between', () => {
    const entries: Entry[] = [
      { type: 'mkdir', path: '/d', ts: 1 }, // c1
      { type: 'createFile', path: '/d/a', blockSize: 10, ts: 1 }, // c2
      { type: 'completeFile', path: '/d/a', length: 1, persistence: 'NOT_PERSISTED', ts: 1 },
      { type: 'createFile', path: '/d/b', blockSize: 10, ts: 1 }, // c3
      { type: 'completeFile', path: '/d/b', length: 1, persistence: 'NOT_PERSISTED', ts: 1 },
      { type: 'rename', src: '/d/a', dst: '/d/c', ts: 2 }, // children order now b, c
    ];
    const del = { type: 'delete', path: '/d', recursive: true, opId: 'del', ts: 3 };
    const a = new Namespace();
    applyAll(a, entries);
    const c = new Namespace();
    c.restore(a.snapshot());
    const ra = apply(a, del);
    const rc = apply(c, del);
    assert.deepEqual(rc, ra);
    assert.ok(c.snapshot().equals(a.snapshot()));
  });
});

describe('limits and completed files', () => {
  test('a THROUGH completion needing 2^24-1 or more blocks is refused and changes nothing', () => {
    const ns = new Namespace();
    apply(ns, { type: 'createFile', path: '/huge', blockSize: 1, ts: 1 });
    const before = ns.snapshot();
    throwsExact(() => apply(ns, { type: 'completeFile', path: '/huge', length: BLOCK_SEQ - 1, persistence: 'PERSISTED', ts: 2 }),
      FailedPreconditionError, `File "/huge" cannot be completed: ${BLOCK_SEQ - 1} bytes need more than ${BLOCK_SEQ - 2} blocks of 1 bytes`);
    assert.ok(ns.snapshot().equals(before));
  });

  test('a block of a completed file cannot change length; the same length is accepted', () => {
    const ns = new Namespace();
    apply(ns, { type: 'createFile', path: '/f', blockSize: 10, ts: 1 });
    const b = apply(ns, { type: 'newBlock', path: '/f', ts: 1 }) as number;
    apply(ns, { type: 'commitBlock', blockId: b, length: 4, ts: 1 });
    apply(ns, { type: 'completeFile', path: '/f', length: 4, persistence: 'NOT_PERSISTED', ts: 1 });
    apply(ns, { type: 'commitBlock', blockId: b, length: 4, ts: 2 });
    throwsExact(() => apply(ns, { type: 'commitBlock', blockId: b, length: 5, ts: 2 }),
      FailedPreconditionError, `block ${b} of completed file "/f" cannot change length (4 -> 5)`);
    assert.equal(ns.blockLengths.get(b), 4);
  });
});

test('leaderInfo records each master announcement and survives snapshot/restore', () => {
  const ns = new Namespace();
  apply(ns, { type: 'leaderInfo', id: 'm1:19200', rpc: 'm1:19998', web: 'm1:19999', ts: 1 });
  apply(ns, { type: 'leaderInfo', id: 'm2:19200', rpc: 'm2:19998', web: 'm2:19999', ts: 2 });
  apply(ns, { type: 'leaderInfo', id: 'm1:19200', rpc: 'm1:29998', web: 'm1:29999', ts: 3 });
  assert.deepEqual([...ns.masters], [['m1:19200', { rpc: 'm1:29998', web: 'm1:29999' }], ['m2:19200', { rpc: 'm2:19998', web: 'm2:19999' }]]);
  const copy = new Namespace();
  copy.restore(ns.snapshot());
  assert.deepEqual([...copy.masters], [...ns.masters]);
  assert.ok(copy.snapshot().equals(ns.snapshot()));
});

test('newBlock retried with the same opId returns the same block and allocates once', () => {
  const ns = new Namespace();
  apply(ns, { type: 'createFile', path: '/f', blockSize: 10, ts: 1 });
  const a = apply(ns, { type: 'newBlock', path: '/f', opId: 'nb-1', ts: 1 });
  const b = apply(ns, { type: 'newBlock', path: '/f', opId: 'nb-1', ts: 2 });
  assert.equal(a, b);
  assert.deepEqual(ns.lookup('/f')!.blocks, [a]);
});

test('digest: the same state gives the same digest however it was reached; any change alters it', () => {
  const entries: Entry[] = [
    { type: 'init', clusterId: 'c1' },
    { type: 'mkdir', path: '/d', ts: 1 },
    { type: 'createFile', path: '/d/a', blockSize: 10, ts: 2 },
    { type: 'createFile', path: '/b', blockSize: 10, ts: 3 },
    { type: 'rename', src: '/b', dst: '/d/b', ts: 4 },
    { type: 'newBlock', path: '/d/a', ts: 5 },
  ];
  const a = new Namespace();
  applyAll(a, entries);
  const b = new Namespace();
  b.restore(a.snapshot()); // children maps rebuilt in another order
  assert.equal(b.digest(), a.digest());
  const before = a.digest();
  apply(a, { type: 'commitBlock', blockId: blk(2, 0), length: 7 });
  assert.notEqual(a.digest(), before);
  apply(b, { type: 'commitBlock', blockId: blk(2, 0), length: 7 });
  assert.equal(b.digest(), a.digest());
  apply(b, { type: 'completeFile', path: '/d/a', length: 7, persistence: 'TO_BE_PERSISTED', ts: 6 });
  assert.notEqual(b.digest(), a.digest());
});

// ------------------------------------------------------------------------------------------- owners, groups, modes
describe('namespace owner, group and mode (issue #10, defect 4)', () => {
  const perms = (ns: Namespace, p: string) => { const n = ns.resolve(p); return [n.owner, n.group, n.mode.toString(8)]; };

  test('mkdir and createFile take owner, group and mode from the entry; created ancestors get dirMode', () => {
    const ns = new Namespace();
    apply(ns, { type: 'mkdir', path: '/a/b', recursive: true, owner: 'alice', group: 'staff', mode: 0o750, ts: 1 });
    assert.deepEqual(perms(ns, '/a'), ['alice', 'staff', '750']);
    assert.deepEqual(perms(ns, '/a/b'), ['alice', 'staff', '750']);
    apply(ns, { type: 'createFile', path: '/x/y/f', recursive: true, blockSize: 4, owner: 'bob', group: 'users', mode: 0o640, dirMode: 0o750, ts: 2 });
    assert.deepEqual(perms(ns, '/x'), ['bob', 'users', '750']);
    assert.deepEqual(perms(ns, '/x/y'), ['bob', 'users', '750']);
    assert.deepEqual(perms(ns, '/x/y/f'), ['bob', 'users', '640']);
    // Bits beyond rwx and sticky are dropped.
    apply(ns, { type: 'mkdir', path: '/s', owner: 'c', group: 'g', mode: 0o7777, ts: 3 });
    assert.deepEqual(perms(ns, '/s'), ['c', 'g', '1777']);
  });

  test('entries without owner fields (NOSASL, older journals) give an unknown owner and the default modes', () => {
    const ns = new Namespace();
    apply(ns, { type: 'createFile', path: '/d/f', recursive: true, blockSize: 4, ts: 1 });
    assert.deepEqual(perms(ns, '/d'), ['', '', '755']);
    assert.deepEqual(perms(ns, '/d/f'), ['', '', '644']);
    assert.deepEqual(perms(ns, '/'), ['', '', '755']);
  });

  test('setAttribute: owner, group, octal and symbolic modes; recursive or not', () => {
    const ns = new Namespace();
    applyAll(ns, [
      { type: 'mkdir', path: '/t/d', recursive: true, owner: 'u', group: 'g', mode: 0o755 },
      { type: 'createFile', path: '/t/d/f', blockSize: 4, owner: 'u', group: 'g', mode: 0o644 },
      { type: 'createFile', path: '/t/x', blockSize: 4, owner: 'u', group: 'g', mode: 0o744 },
    ]);
    assert.equal(apply(ns, { type: 'setAttribute', path: '/t', owner: 'v' }), null);
    assert.deepEqual(perms(ns, '/t'), ['v', 'g', '755']);
    assert.deepEqual(perms(ns, '/t/d'), ['u', 'g', '755'], 'not recursive: children keep theirs');
    apply(ns, { type: 'setAttribute', path: '/t', group: 'h', mode: 'go-rx,+t', recursive: true });
    assert.deepEqual(perms(ns, '/t'), ['v', 'h', '1700']);
    assert.deepEqual(perms(ns, '/t/d'), ['u', 'h', '1700']);
    assert.deepEqual(perms(ns, '/t/d/f'), ['u', 'h', '1600']);
    apply(ns, { type: 'setAttribute', path: '/t', mode: 'a=rX', recursive: true });
    assert.deepEqual(perms(ns, '/t/d'), ['u', 'h', '555'], 'X: execute on directories');
    assert.deepEqual(perms(ns, '/t/d/f'), ['u', 'h', '444'], 'X: not on a file without execute');
    assert.deepEqual(perms(ns, '/t/x'), ['u', 'h', '555'], 'X: on a file with some execute bit');
    apply(ns, { type: 'setAttribute', path: '/t/d/f', mode: '0640' });
    assert.deepEqual(perms(ns, '/t/d/f'), ['u', 'h', '640']);
    throwsExact(() => apply(ns, { type: 'setAttribute', path: '/nope', mode: '700' }), FileDoesNotExistError, 'Path "/nope" does not exist.');
  });

  test('snapshot/restore keeps owner, group and mode; snapshots from before them restore with defaults', () => {
    const ns = new Namespace();
    applyAll(ns, [
      { type: 'mkdir', path: '/a', owner: 'alice', group: 'staff', mode: 0o1777 },
      { type: 'createFile', path: '/a/f', blockSize: 4, owner: 'bob', group: '', mode: 0o600 },
    ]);
    const copy = new Namespace();
    copy.restore(ns.snapshot());
    assert.deepEqual(perms(copy, '/a'), ['alice', 'staff', '1777']);
    assert.deepEqual(perms(copy, '/a/f'), ['bob', '', '600']);
    assert.ok(copy.snapshot().equals(ns.snapshot()));
    // The format before permissions: rows of 11 fields, or 12 with a persist error.
    const old = new Namespace();
    old.restore(Buffer.from(JSON.stringify({
      v: 1, clusterId: 'c', nextContainer: 3, blocks: [], ops: [], masters: [],
      inodes: [
        [ROOT_ID, '', -1, 1, 0, 0, 0, 0, [], 1, 'PERSISTED'],
        [fileIdOf(1), 'd', ROOT_ID, 1, 1, 1, 0, 0, [], 1, 'NOT_PERSISTED'],
        [fileIdOf(2), 'f', fileIdOf(1), 0, 1, 1, 0, 4, [], 1, 'NOT_PERSISTED', 'disk full'],
      ],
    })));
    assert.deepEqual(perms(old, '/'), ['', '', '755']);
    assert.deepEqual(perms(old, '/d'), ['', '', '755']);
    assert.deepEqual(perms(old, '/d/f'), ['', '', '644']);
    assert.equal(old.resolve('/d/f').persistError, 'disk full');
  });

  test('chain: the existing inodes along a path', () => {
    const ns = new Namespace();
    applyAll(ns, [{ type: 'mkdir', path: '/a/b', recursive: true }, { type: 'createFile', path: '/a/f', blockSize: 4 }]);
    const names = (p: string) => { const c = ns.chain(p); return [c.chain.map((n) => n.name), c.complete]; };
    assert.deepEqual(names('/'), [[''], true]);
    assert.deepEqual(names('/a/b'), [['', 'a', 'b'], true]);
    assert.deepEqual(names('/a/b/c/d'), [['', 'a', 'b'], false]);
    assert.deepEqual(names('/a/f/g'), [['', 'a', 'f'], false]);
  });
});

test('renames and deletes leave UFS changes to follow until ufsDone; they survive snapshot/restore; rejections leave none', () => {
  const ns = new Namespace();
  applyAll(ns, [
    { type: 'mkdir', path: '/d', ts: 1 },
    { type: 'createFile', path: '/d/a', blockSize: 10, ts: 1 },
    { type: 'createFile', path: '/b', blockSize: 10, ts: 1 },
    { type: 'rename', src: '/d/a', dst: '/d/c', ts: 2 },
    { type: 'delete', path: '/b', ts: 3 },
  ]);
  assert.deepEqual([...ns.ufsOps], [[1, { op: 'rename', src: '/d/a', dst: '/d/c' }], [2, { op: 'delete', path: '/b' }]]);
  assert.throws(() => apply(ns, { type: 'rename', src: '/nope', dst: '/x' }), FileDoesNotExistError);
  assert.throws(() => apply(ns, { type: 'delete', path: '/d' }), DirectoryNotEmptyError);
  assert.equal(ns.ufsOps.size, 2, 'a rejected rename or delete changes nothing in the UFS');
  const copy = new Namespace();
  copy.restore(ns.snapshot());
  assert.deepEqual([...copy.ufsOps], [...ns.ufsOps]);
  assert.equal(copy.digest(), ns.digest());
  assert.equal(apply(ns, { type: 'ufsDone', seq: 1 }), null);
  assert.deepEqual([...ns.ufsOps.keys()], [2]);
  assert.notEqual(ns.digest(), copy.digest());
  apply(ns, { type: 'ufsDone', seq: 7 }); // unknown: no-op
  apply(ns, { type: 'delete', path: '/d', recursive: true, ts: 4 });
  assert.deepEqual([...ns.ufsOps], [[2, { op: 'delete', path: '/b' }], [3, { op: 'delete', path: '/d' }]], 'sequence numbers keep growing');
});
