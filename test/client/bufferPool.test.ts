/** BufferPool (src/bufferPool.ts): buffers lent and given back, counted per ArrayBuffer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool } from '../../src/bufferPool.js';

test('take/give: a buffer given back is the next one taken; sizes up to the pool\'s', () => {
  const p = new BufferPool(1024, 2);
  const a = p.take(10);
  assert.equal(a.length, 10);
  p.give(a);
  assert.equal(p.held, 1);
  const b = p.take();
  assert.equal(b.length, 1024);
  assert.equal(b.buffer, a.buffer, 'the same memory again');
  assert.equal(p.held, 0);
  assert.throws(() => p.take(1025), /1025 bytes asked from a pool of 1024-byte buffers/);
  assert.throws(() => new BufferPool(0), /positive integer/);
});

test('give: twice, a foreign buffer or a view never lent are ignored; at most `keep` free buffers', () => {
  const p = new BufferPool(64, 2);
  const a = p.take(), b = p.take(), c = p.take();
  p.give(a);
  p.give(a); // twice: must not free it again (two takers would share it)
  assert.equal(p.held, 1);
  const a2 = p.take();
  assert.equal(a2.buffer, a.buffer);
  assert.notEqual(p.take().buffer, a.buffer, 'given back twice, lent once');
  p.give(Buffer.alloc(64)); // not the pool's
  p.give(b.subarray(0, 8)); // a view never lent
  assert.equal(p.held, 0);
  p.give(b); p.give(c); p.give(a2);
  assert.equal(p.held, 2, 'keep: 2');
});

test('holds: memory with lent views returns to its pool only after the owner dropped it and every view was given back (to any pool)', () => {
  const slabs = new BufferPool(256, 4);
  const other = new BufferPool(16);
  const slab = slabs.takeHeld();
  const v1 = BufferPool.lend(slab.subarray(0, 100));
  const v2 = BufferPool.lend(slab.subarray(100, 200));
  BufferPool.drop(slab);
  assert.equal(slabs.held, 0, 'views still out');
  other.give(v1);
  assert.equal(slabs.held, 0);
  assert.equal(other.held, 0, 'a view goes back to its own pool, not to the one give() was called on');
  other.give(v2);
  assert.equal(slabs.held, 1, 'all holds dropped: free again');
  assert.equal(slabs.takeHeld().buffer, slab.buffer);
  const foreign = Buffer.alloc(8);
  assert.equal(BufferPool.lend(foreign), foreign); // memory no pool owns: lent as is, give() ignores it
  BufferPool.drop(foreign);
  slabs.give(foreign);
});
