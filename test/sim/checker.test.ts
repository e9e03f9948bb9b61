/**
 * The linearizability checker and the namespace model it uses: hand-made histories it must
 * reject (stale and "future" reads, two successful creates of one path, a read order inversion,
 * a rename seen only across path groups) and tricky ones it must accept (overlapping operations,
 * unknown outcomes that did or did not take effect); its bounds; and the sequential model
 * against the real Namespace on random operations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Namespace } from '../../src/server/master/namespace.js';
import { lcg } from '../journal/raft/harness.js';
import { checkLinearizable } from './checker.js';
import { nsModel, nsStep, type NsInput, type NsOp, type NsOutput, type NsState } from './nsModel.js';

const OK: NsOutput = { ok: true };
const err = (error: string): NsOutput => ({ ok: false, error });
const yes: NsOutput = { ok: true, value: true };
const no: NsOutput = { ok: true, value: false };

/** An operation [call, ret] with output; ret undefined = unknown outcome. */
function op(client: number, input: NsInput, call: number, ret?: number, output?: NsOutput): NsOp {
  return ret === undefined ? { client, input, call } : { client, input, call, ret, output: output! };
}
const create = (path: string): NsInput => ({ op: 'createFile', path, recursive: false });
const mkdir = (path: string): NsInput => ({ op: 'mkdir', path, recursive: false });
const del = (path: string): NsInput => ({ op: 'delete', path, recursive: false });
const exists = (path: string): NsInput => ({ op: 'exists', path });
const rename = (src: string, dst: string): NsInput => ({ op: 'rename', src, dst });

function verdict(history: NsOp[]): string {
  return checkLinearizable(nsModel, history).result;
}

test('rejects a read that returns a value written only after the read completed', () => {
  const h = [
    op(0, exists('/a'), 1, 2, yes),
    op(1, create('/a'), 3, 4, OK),
  ];
  const r = checkLinearizable(nsModel, h);
  assert.equal(r.result, 'illegal');
  assert.match(r.explanation!, /exists \/a -> ok true/);
});

test('rejects two concurrent creates of the same path that both succeed', () => {
  assert.equal(verdict([
    op(0, create('/a'), 1, 4, OK),
    op(1, create('/a'), 2, 3, OK),
  ]), 'illegal');
  // ... also as mkdir + createFile, and with one outcome unknown but the other two known.
  assert.equal(verdict([
    op(0, mkdir('/a'), 1, 4, OK),
    op(1, create('/a'), 2, 5, OK),
    op(2, del('/b'), 3),
  ]), 'illegal');
});

test('rejects a stale read after a completed write, and a read order inversion', () => {
  assert.equal(verdict([
    op(0, create('/a'), 1, 2, OK),
    op(1, exists('/a'), 3, 4, no),
  ]), 'illegal');
  // Once a read saw the create, a later read cannot miss it (nothing deletes it).
  assert.equal(verdict([
    op(0, create('/a'), 1, 10, OK),
    op(1, exists('/a'), 2, 3, yes),
    op(2, exists('/a'), 4, 5, no),
  ]), 'illegal');
});

test('rejects a wrong error code and a delete that "succeeds" on a missing path', () => {
  assert.equal(verdict([op(0, del('/a'), 1, 2, err('DIRECTORY_NOT_EMPTY'))]), 'illegal');
  assert.equal(verdict([op(0, del('/a'), 1, 2, OK)]), 'illegal');
  assert.equal(verdict([op(0, del('/a'), 1, 2, err('FILE_DOES_NOT_EXIST'))]), 'ok');
});

test('rejects a rename seen only through another path group (partitions are merged)', () => {
  const base = [
    op(0, create('/p'), 1, 2, OK),
    op(1, rename('/p', '/q'), 3, 4, OK),
    op(2, exists('/q'), 5, 6, yes),
  ];
  assert.equal(verdict([...base, op(2, exists('/p'), 7, 8, no)]), 'ok');
  // Checked per group alone, /p's history (create; exists -> true) would look fine.
  const r = checkLinearizable(nsModel, [...base, op(2, exists('/p'), 7, 8, yes)]);
  assert.equal(r.result, 'illegal');
  assert.equal(r.partitions, 1);
  assert.equal(checkLinearizable(nsModel, [op(0, exists('/a'), 1, 2, no), op(1, exists('/b'), 1, 2, no)]).partitions, 2);
});

test('accepts overlapping operations in any order consistent with real time', () => {
  assert.equal(verdict([
    op(0, create('/a'), 1, 10, OK),
    op(1, exists('/a'), 2, 3, no),
    op(2, exists('/a'), 4, 5, yes),
    op(1, exists('/a'), 6, 7, yes),
    op(3, create('/a'), 8, 12, err('FILE_ALREADY_EXISTS')),
  ]), 'ok');
  // Two concurrent creates: exactly one wins, either one.
  assert.equal(verdict([
    op(0, create('/a'), 1, 4, err('FILE_ALREADY_EXISTS')),
    op(1, mkdir('/a'), 2, 3, OK),
    op(2, { op: 'getStatus', path: '/a' }, 5, 6, { ok: true, value: 'dir' }),
  ]), 'ok');
});

test('accepts unknown outcomes that took effect, late or never', () => {
  // Took effect before the first read answered.
  assert.equal(verdict([
    op(0, create('/a'), 1),
    op(1, exists('/a'), 2, 3, yes),
    op(2, del('/a'), 4, 5, OK),
    op(1, exists('/a'), 6, 7, no),
  ]), 'ok');
  // Never took effect (or only after everything else, where it fails and changes nothing).
  assert.equal(verdict([
    op(0, mkdir('/b'), 1),
    op(1, exists('/b'), 2, 3, no),
    op(1, exists('/b'), 5, 6, no),
    op(2, create('/b'), 7, 8, OK),
  ]), 'ok');
  // Took effect late: between two reads of the same client, long after its invocation.
  assert.equal(verdict([
    op(0, create('/c'), 1),
    op(1, exists('/c'), 2, 3, no),
    op(1, exists('/c'), 40, 41, no),
    op(1, exists('/c'), 50, 51, yes),
  ]), 'ok');
  // But an unknown outcome cannot take effect before its invocation.
  assert.equal(verdict([
    op(1, exists('/c'), 2, 3, yes),
    op(0, create('/c'), 4),
  ]), 'illegal');
});

test('the search is bounded: past maxSteps the answer is unknown, not ok', () => {
  const h: NsOp[] = [];
  // Many concurrent unknown-outcome operations on one path, then a read no order can explain.
  for (let i = 0; i < 14; i++) h.push(op(i, i % 2 ? create('/a') : del('/a'), i));
  h.push(op(20, { op: 'getStatus', path: '/a' }, 100, 101, { ok: true, value: 'dir' }));
  assert.equal(checkLinearizable(nsModel, h, { maxSteps: 50 }).result, 'unknown');
  assert.equal(checkLinearizable(nsModel, h).result, 'illegal');
});

test('the sequential model agrees with Namespace.apply on 20,000 random operations', () => {
  const rnd = lcg(4242);
  const paths = ['/a', '/b', '/a/x', '/b/x', '/a/x/y', '/b/x/y'];
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const ns = new Namespace();
  let model: NsState = new Map();
  const seen = new Set<string>();
  for (let i = 0; i < 20_000; i++) {
    const path = pick(paths);
    const r = rnd();
    const input: NsInput =
      r < 0.2 ? { op: 'mkdir', path, recursive: rnd() < 0.4 }
        : r < 0.4 ? { op: 'createFile', path, recursive: rnd() < 0.4 }
          : r < 0.55 ? { op: 'delete', path, recursive: rnd() < 0.5 }
            : r < 0.8 ? { op: 'rename', src: path, dst: pick(paths) }
              : r < 0.9 ? { op: 'exists', path }
                : { op: 'getStatus', path };
    let actual: NsOutput;
    if (input.op === 'exists' || input.op === 'getStatus') {
      const n = ns.lookup(input.path);
      actual = input.op === 'exists' ? { ok: true, value: !!n } : n ? { ok: true, value: n.dir ? 'dir' : 'file' } : err('FILE_DOES_NOT_EXIST');
    } else {
      const entry = input.op === 'rename' ? { type: 'rename', src: input.src, dst: input.dst }
        : { type: input.op === 'createFile' ? 'createFile' : input.op, path: input.path, recursive: input.recursive, blockSize: 1 };
      try {
        ns.apply(ns.decode(entry), i + 1);
        actual = OK;
      } catch (e) {
        actual = err((e as { code: string }).code);
      }
    }
    const { out, next } = nsStep(model, input);
    assert.deepEqual(out, actual, `operation ${i}: ${JSON.stringify(input)} in ${nsModel.hash(model)}`);
    model = next;
    seen.add(actual.ok ? `${input.op} ok` : `${input.op} ${(actual as { error: string }).error}`);
  }
  // Every operation was seen succeeding and failing in several ways.
  for (const k of ['mkdir ok', 'mkdir FILE_ALREADY_EXISTS', 'mkdir FILE_DOES_NOT_EXIST', 'mkdir INVALID_PATH', 'createFile ok', 'createFile INVALID_PATH',
    'delete ok', 'delete DIRECTORY_NOT_EMPTY', 'delete FILE_DOES_NOT_EXIST', 'rename ok', 'rename INVALID_PATH', 'rename FILE_ALREADY_EXISTS', 'getStatus FILE_DOES_NOT_EXIST']) {
    assert.ok(seen.has(k), `never saw "${k}": ${[...seen].sort().join(', ')}`);
  }
});
