import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { BlockRegistry, type NetAddress, type TierUsage, type WorkerRecord } from '../../src/server/master/blockRegistry.js';

const addr = (host: string, rpcPort = 29999, webPort = 30000): NetAddress => ({ host, rpcPort, webPort });
const tiers = (mem: [number, number], ssd?: [number, number]): TierUsage[] => [
  { alias: 'MEM', capacityBytes: mem[0], usedBytes: mem[1] },
  ...(ssd ? [{ alias: 'SSD', capacityBytes: ssd[0], usedBytes: ssd[1] }] : []),
];

function clock(start = 1_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

/** locationsOf as [workerId, alias] pairs, sorted. */
const locs = (r: BlockRegistry, b: number): [number, string][] =>
  r.locationsOf(b).map((l) => [l.worker.id, l.alias] as [number, string]).sort((x, y) => x[0] - y[0]);

describe('BlockRegistry.register', () => {
  test('a fresh worker record', () => {
    const c = clock(5_000);
    const r = new BlockRegistry(c.now);
    const t = tiers([1000, 100]);
    const w = r.register(addr('h1'), 0, t, [{ blockId: 10, alias: 'MEM' }, { blockId: 11, alias: 'SSD' }], 4_000);
    assert.equal(w.id, 1);
    assert.deepEqual(w, {
      id: 1, address: addr('h1'), tiers: t, blocks: new Map([[10, 'MEM'], [11, 'SSD']]),
      lastContactMs: 5_000, startTimeMs: 4_000, registeredMs: 5_000, state: 'LIVE',
      pendingFree: new Set(), persisting: new Set(), pendingUnpin: new Set(),
    } satisfies WorkerRecord);
    assert.equal(r.get(1), w);
    assert.equal(r.get(2), undefined);
    assert.deepEqual(locs(r, 10), [[1, 'MEM']]);
    assert.deepEqual(locs(r, 11), [[1, 'SSD']]);
    assert.deepEqual(r.live(), [w]);
    assert.deepEqual(r.lost(), []);
  });

  // Each row registers workers in order: [host, rpcPort, previousId] -> expected id.
  const idCases: { name: string; regs: [string, number, number][]; ids: number[] }[] = [
    { name: 'sequential ids from 1', regs: [['a', 1, 0], ['b', 1, 0], ['c', 1, 0]], ids: [1, 2, 3] },
    { name: 'a free previousId is kept', regs: [['a', 1, 7]], ids: [7] },
    { name: 'fresh ids continue after a kept previousId', regs: [['a', 1, 7], ['b', 1, 0]], ids: [7, 8] },
    { name: 'a lower free previousId is kept; the counter does not go back', regs: [['a', 1, 0], ['b', 1, 0], ['c', 1, 5], ['d', 1, 3], ['e', 1, 0]], ids: [1, 2, 5, 3, 6] },
    { name: 'a previousId held by another address gets a fresh id', regs: [['a', 1, 0], ['b', 1, 1]], ids: [1, 2] },
    { name: 'the counter moves past a kept previousId (1 stays unused)', regs: [['a', 1, 2], ['b', 1, 0], ['c', 1, 0]], ids: [2, 3, 4] },
    { name: 'fresh ids skip a previousId above the counter', regs: [['a', 1, 1], ['b', 1, 3], ['c', 1, 0]], ids: [1, 3, 4] },
    { name: 'non-positive previousIds are ignored', regs: [['a', 1, -4], ['b', 1, 0]], ids: [1, 2] },
    { name: 'same address re-registering keeps its id', regs: [['a', 1, 0], ['b', 1, 0], ['a', 1, 0]], ids: [1, 2, 1] },
    { name: 'same address keeps its id whatever previousId it sends', regs: [['a', 1, 0], ['a', 1, 9]], ids: [1, 1] },
    { name: 'same address keeps its id even if previousId names another worker', regs: [['a', 1, 0], ['b', 1, 0], ['a', 1, 2]], ids: [1, 2, 1] },
    { name: 'same host, another rpc port is another worker', regs: [['a', 1, 0], ['a', 2, 0]], ids: [1, 2] },
    { name: 'a previousId held by a re-registered address is not taken', regs: [['a', 1, 0], ['b', 1, 0], ['c', 1, 0], ['c', 1, 0], ['z', 1, 3]], ids: [1, 2, 3, 3, 4] },
  ];
  for (const c of idCases) {
    test(`ids: ${c.name}`, () => {
      const r = new BlockRegistry(() => 0);
      const got = c.regs.map(([h, p, prev]) => r.register(addr(h, p), prev, [], [], 0).id);
      assert.deepEqual(got, c.ids);
      assert.equal(r.workers.size, new Set(c.regs.map(([h, p]) => `${h}:${p}`)).size, 'one record per address');
    });
  }

  test('same address re-registering replaces the old record and its locations', () => {
    const c = clock(100);
    const r = new BlockRegistry(c.now);
    const old = r.register(addr('h1', 1, 30000), 0, tiers([1000, 10]), [{ blockId: 1, alias: 'MEM' }, { blockId: 2, alias: 'MEM' }], 50);
    const other = r.register(addr('h2'), 0, tiers([1000, 0]), [{ blockId: 2, alias: 'MEM' }], 60);
    old.pendingFree.add(99);
    old.persisting.add(98);
    old.state = 'LOST';
    c.t = 900;
    const fresh = r.register(addr('h1', 1, 31000), 0, tiers([2000, 5]), [{ blockId: 2, alias: 'SSD' }, { blockId: 3, alias: 'MEM' }], 800);
    assert.equal(fresh.id, old.id);
    assert.notEqual(fresh, old);
    assert.equal(r.get(old.id), fresh);
    assert.equal(r.workers.size, 2);
    assert.deepEqual(fresh.address, addr('h1', 1, 31000));
    assert.deepEqual([fresh.state, fresh.lastContactMs, fresh.registeredMs, fresh.startTimeMs], ['LIVE', 900, 900, 800]);
    assert.deepEqual(fresh.pendingFree, new Set());
    assert.deepEqual(fresh.persisting, new Set());
    assert.deepEqual(fresh.blocks, new Map([[2, 'SSD'], [3, 'MEM']]));
    assert.deepEqual(locs(r, 1), [], 'a block only the old record held has no location');
    assert.deepEqual(locs(r, 2), [[fresh.id, 'SSD'], [other.id, 'MEM']]);
    assert.deepEqual(locs(r, 3), [[fresh.id, 'MEM']]);
  });
});

describe('BlockRegistry locations', () => {
  test('addLocation / removeLocation / locationsOf', () => {
    const r = new BlockRegistry(() => 0);
    const a = r.register(addr('a'), 0, [], [], 0);
    const b = r.register(addr('b'), 0, [], [], 0);
    assert.deepEqual(locs(r, 5), []);
    r.addLocation(a, 5, 'MEM');
    r.addLocation(b, 5, 'HDD');
    r.addLocation(a, 5, 'SSD'); // moved tier: alias updated, still one location
    assert.deepEqual(locs(r, 5), [[a.id, 'SSD'], [b.id, 'HDD']]);
    assert.deepEqual(a.blocks, new Map([[5, 'SSD']]));
    r.removeLocation(a, 5);
    assert.deepEqual(locs(r, 5), [[b.id, 'HDD']]);
    assert.deepEqual(a.blocks, new Map());
    r.removeLocation(a, 5); // already gone
    r.removeLocation(b, 5);
    assert.deepEqual(locs(r, 5), []);
    r.removeLocation(b, 404); // unknown block
    assert.deepEqual(locs(r, 404), []);
  });

  test('locationsOf excludes LOST workers (and includes them again once LIVE)', () => {
    const c = clock(0);
    const r = new BlockRegistry(c.now);
    const a = r.register(addr('a'), 0, [], [{ blockId: 1, alias: 'MEM' }], 0);
    c.t = 50;
    const b = r.register(addr('b'), 0, [], [{ blockId: 1, alias: 'SSD' }], 0);
    assert.deepEqual(locs(r, 1), [[a.id, 'MEM'], [b.id, 'SSD']]);
    c.t = 120;
    assert.deepEqual(r.detectLost(100), [a]);
    assert.deepEqual(locs(r, 1), [[b.id, 'SSD']]);
    a.state = 'LIVE'; // what a heartbeat does
    a.lastContactMs = c.t;
    assert.deepEqual(locs(r, 1), [[a.id, 'MEM'], [b.id, 'SSD']]);
  });
});

describe('BlockRegistry.detectLost', () => {
  test('strictly older than the timeout; each worker reported once', () => {
    const c = clock(1_000);
    const r = new BlockRegistry(c.now);
    const a = r.register(addr('a'), 0, [], [], 0); // contact 1000
    c.t = 1_050;
    const b = r.register(addr('b'), 0, [], [], 0); // contact 1050
    const steps: { t: number; lost: number[]; live: number[] }[] = [
      { t: 1_000, lost: [], live: [a.id, b.id] },
      { t: 1_100, lost: [], live: [a.id, b.id] }, // exactly the timeout: not lost
      { t: 1_101, lost: [a.id], live: [b.id] },
      { t: 1_150, lost: [], live: [b.id] },
      { t: 1_151, lost: [b.id], live: [] },
      { t: 9_999, lost: [], live: [] },
    ];
    for (const s of steps) {
      c.t = s.t;
      assert.deepEqual(r.detectLost(100).map((w) => w.id), s.lost, `t=${s.t}`);
      assert.deepEqual(r.live().map((w) => w.id), s.live, `t=${s.t}`);
    }
    assert.deepEqual(r.lost().map((w) => w.id), [a.id, b.id]);
    assert.equal(r.workers.size, 2, 'lost workers are kept');
    assert.equal(a.state, 'LOST');
    // a heartbeat revives; the clock decides again later
    a.state = 'LIVE';
    a.lastContactMs = c.t;
    assert.deepEqual(r.detectLost(100), []);
    c.t += 101;
    assert.deepEqual(r.detectLost(100), [a]);
  });

  test('re-registering a lost worker makes it LIVE again with a fresh contact time', () => {
    const c = clock(0);
    const r = new BlockRegistry(c.now);
    r.register(addr('a'), 0, [], [], 0);
    c.t = 500;
    assert.equal(r.detectLost(100).length, 1);
    const w = r.register(addr('a'), 1, [], [], 400);
    assert.deepEqual([w.id, w.state, w.lastContactMs], [1, 'LIVE', 500]);
    assert.deepEqual(r.lost(), []);
    assert.deepEqual(r.detectLost(100), []);
  });
});

describe('BlockRegistry.freeBlocks', () => {
  test('moves blocks to the pendingFree of every worker holding them and forgets their locations', () => {
    const c = clock(0);
    const r = new BlockRegistry(c.now);
    const a = r.register(addr('a'), 0, [], [{ blockId: 1, alias: 'MEM' }, { blockId: 2, alias: 'MEM' }, { blockId: 3, alias: 'MEM' }], 0);
    c.t = 1_000;
    const b = r.register(addr('b'), 0, [], [{ blockId: 2, alias: 'SSD' }, { blockId: 4, alias: 'SSD' }], 0);
    r.detectLost(500); // a is LOST: the blocks it is known to hold are still freed on it
    assert.equal(a.state, 'LOST');
    r.freeBlocks(new Set([2, 3]));
    assert.deepEqual(a.pendingFree, new Set([2, 3]));
    assert.deepEqual(b.pendingFree, new Set([2]));
    assert.deepEqual(a.blocks, new Map([[1, 'MEM']]));
    assert.deepEqual(b.blocks, new Map([[4, 'SSD']]));
    a.state = 'LIVE';
    assert.deepEqual(locs(r, 1), [[a.id, 'MEM']]);
    assert.deepEqual(locs(r, 2), []);
    assert.deepEqual(locs(r, 3), []);
    assert.deepEqual(locs(r, 4), [[b.id, 'SSD']]);
    r.freeBlocks([4]); // an array works as well
    assert.deepEqual(a.pendingFree, new Set([2, 3]));
    assert.deepEqual(b.pendingFree, new Set([2, 4]));
    assert.deepEqual(locs(r, 4), []);
    r.freeBlocks([]);
    assert.deepEqual([a.pendingFree, b.pendingFree], [new Set([2, 3]), new Set([2, 4])]);
  });

  test('a block with no known location is sent to every LIVE worker (it may sit uncommitted anywhere)', () => {
    const c = clock(0);
    const r = new BlockRegistry(c.now);
    const a = r.register(addr('a'), 0, [], [{ blockId: 1, alias: 'MEM' }], 0);
    c.t = 1_000;
    const b = r.register(addr('b'), 0, [], [], 0);
    const d = r.register(addr('d'), 0, [], [], 0);
    r.detectLost(500); // a is LOST
    r.freeBlocks([777, 1]);
    assert.deepEqual(a.pendingFree, new Set([1]), 'a LOST worker is asked only for blocks it is known to hold');
    assert.deepEqual(b.pendingFree, new Set([777]));
    assert.deepEqual(d.pendingFree, new Set([777]));
    // freeing again: 1 has no location any more, so the live workers get it too
    r.freeBlocks([1]);
    assert.deepEqual(a.pendingFree, new Set([1]));
    assert.deepEqual(b.pendingFree, new Set([777, 1]));
    assert.deepEqual(d.pendingFree, new Set([777, 1]));
  });

  test('a block with no location and no live worker is dropped', () => {
    const c = clock(0);
    const r = new BlockRegistry(c.now);
    const a = r.register(addr('a'), 0, [], [], 0);
    c.t = 1_000;
    r.detectLost(10);
    r.freeBlocks([5]);
    assert.deepEqual(a.pendingFree, new Set());
    new BlockRegistry(() => 0).freeBlocks([1, 2, 3]); // no workers at all: no throw
  });
});

describe('BlockRegistry.capacity', () => {
  test('empty registry', () => {
    assert.deepEqual(new BlockRegistry(() => 0).capacity(), { capacityBytes: 0, usedBytes: 0, tiers: [] });
  });

  test('sums only LIVE workers, per tier alias in first-seen order', () => {
    const c = clock(0);
    const r = new BlockRegistry(c.now);
    r.register(addr('a'), 0, tiers([1000, 100], [5000, 500]), [], 0);
    c.t = 100;
    r.register(addr('b'), 0, [{ alias: 'SSD', capacityBytes: 3000, usedBytes: 30 }, { alias: 'HDD', capacityBytes: 10_000, usedBytes: 1 }], [], 0);
    r.register(addr('c'), 0, tiers([2000, 200]), [], 0);
    assert.deepEqual(r.capacity(), {
      capacityBytes: 1000 + 5000 + 3000 + 10_000 + 2000,
      usedBytes: 100 + 500 + 30 + 1 + 200,
      tiers: [
        { alias: 'MEM', capacityBytes: 3000, usedBytes: 300 },
        { alias: 'SSD', capacityBytes: 8000, usedBytes: 530 },
        { alias: 'HDD', capacityBytes: 10_000, usedBytes: 1 },
      ],
    });
    c.t = 150;
    assert.deepEqual(r.detectLost(100).map((w) => w.address.host), ['a']);
    assert.deepEqual(r.capacity(), {
      capacityBytes: 3000 + 10_000 + 2000,
      usedBytes: 30 + 1 + 200,
      tiers: [
        { alias: 'SSD', capacityBytes: 3000, usedBytes: 30 },
        { alias: 'HDD', capacityBytes: 10_000, usedBytes: 1 },
        { alias: 'MEM', capacityBytes: 2000, usedBytes: 200 },
      ],
    });
    // the worker's own tier objects are not mutated by the summing
    assert.deepEqual(r.get(2)!.tiers, [{ alias: 'SSD', capacityBytes: 3000, usedBytes: 30 }, { alias: 'HDD', capacityBytes: 10_000, usedBytes: 1 }]);
    c.t = 1_000;
    r.detectLost(100);
    assert.deepEqual(r.capacity(), { capacityBytes: 0, usedBytes: 0, tiers: [] });
  });

  test('heartbeat-updated tiers are what is summed', () => {
    const r = new BlockRegistry(() => 0);
    const w = r.register(addr('a'), 0, tiers([1000, 0]), [], 0);
    w.tiers = tiers([1000, 750]);
    assert.deepEqual(r.capacity(), { capacityBytes: 1000, usedBytes: 750, tiers: [{ alias: 'MEM', capacityBytes: 1000, usedBytes: 750 }] });
  });
});

describe('BlockRegistry.lostLocationsOf', () => {
  test('a LOST worker\'s blocks move from locationsOf to lostLocationsOf and back when it re-registers', () => {
    const c = clock(1_000);
    const r = new BlockRegistry(c.now);
    const a = r.register(addr('h1'), 0, tiers([1000, 0]), [{ blockId: 10, alias: 'MEM' }], 0);
    const b = r.register(addr('h2'), 0, tiers([1000, 0]), [{ blockId: 10, alias: 'MEM' }, { blockId: 11, alias: 'MEM' }], 0);
    const lost = (blockId: number) => r.lostLocationsOf(blockId).map((l) => [l.worker.id, l.alias]);
    assert.deepEqual(lost(10), []);
    c.t += 5_000;
    b.lastContactMs = c.t; // b heartbeats, a does not
    assert.deepEqual(r.detectLost(3_000).map((w) => w.id), [a.id]);
    assert.deepEqual(locs(r, 10), [[b.id, 'MEM']]);
    assert.deepEqual(lost(10), [[a.id, 'MEM']]);
    assert.deepEqual(lost(11), []);
    const again = r.register(addr('h1'), 0, tiers([1000, 0]), [{ blockId: 10, alias: 'MEM' }], 0);
    assert.equal(again.id, a.id, 'same address: same id');
    assert.deepEqual(lost(10), []);
    assert.deepEqual(locs(r, 10), [[a.id, 'MEM'], [b.id, 'MEM']]);
  });
});
