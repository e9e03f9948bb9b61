/** The embedded journal's wire checks (src/journal/raft/wire.ts): exact, table-driven. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkMessage, decodeBatch, decodeFramedBatch, MAX_ID_LENGTH, MAX_CONTEXT_LENGTH } from '../../../src/journal/raft/wire.js';
import { InvalidArgumentError } from '../../../src/errors.js';
import type { Message } from '../../../src/journal/raft/types.js';
import { Sim } from './sim.js';

const SELF = 'm1:19200', PEER = 'm2:19200';
const app = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'App', from: PEER, to: SELF, term: 3, index: 4, logTerm: 2, commit: 4,
  entries: [{ term: 2, index: 5, type: 'normal', data: '{"type":"mkdir"}' }, { term: 3, index: 6, type: 'conf', data: '{"op":"add","node":"m4:19200"}' }],
  ...over,
});
const snap = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'Snap', from: PEER, to: SELF, term: 3, snapshot: { index: 9, term: 2, voters: [SELF, PEER], data: 'eyJ2IjoxfQ==', ...over },
});

test('well-formed messages of every kind pass unchanged (unknown keys dropped)', () => {
  const good: Message[] = [
    app() as unknown as Message,
    { type: 'App', from: PEER, to: SELF, term: 1, index: 0, logTerm: 0, commit: 0, entries: [] },
    { type: 'AppResp', from: PEER, to: SELF, term: 3, index: 7, reject: true, rejectHint: 5, logTerm: 2 },
    { type: 'PreVote', from: PEER, to: SELF, term: 4, index: 9, logTerm: 3, context: 'transfer' },
    { type: 'VoteResp', from: PEER, to: SELF, term: 4, reject: false },
    { type: 'Heartbeat', from: PEER, to: SELF, term: 4, commit: 8, context: 'r12' },
    { type: 'HeartbeatResp', from: PEER, to: SELF, term: 4 },
    { type: 'HeartbeatResp', from: PEER, to: SELF, term: 4, reject: true, index: 3, recovering: true },
    { type: 'Heartbeat', from: PEER, to: SELF, term: 4, commit: 8, recoverAt: 9 },
    snap() as unknown as Message,
    { type: 'TimeoutNow', from: PEER, to: SELF, term: 4 },
    { type: 'ReadIndex', from: PEER, to: SELF, term: 4, context: 'r1' },
    { type: 'ReadIndexResp', from: PEER, to: SELF, term: 4, index: 12, context: 'r1' },
  ];
  for (const m of good) assert.deepEqual(checkMessage(JSON.parse(JSON.stringify(m)), SELF, PEER), m);
  assert.deepEqual(checkMessage({ type: 'HeartbeatResp', from: PEER, to: SELF, term: 4, extra: 1, __proto__: { x: 1 } }, SELF, PEER), { type: 'HeartbeatResp', from: PEER, to: SELF, term: 4 });
});

test('every malformed message is refused with InvalidArgumentError saying what is wrong', () => {
  const long = 'x'.repeat(MAX_ID_LENGTH + 1);
  const cases: [string, unknown, string][] = [
    ['not an object', 'App', 'a message must be an object, not "App"'],
    ['null', null, 'a message must be an object, not null'],
    ['an array', [1], 'a message must be an object, not an array'],
    ['unknown type', app({ type: 'Append' }), 'unknown message type "Append"'],
    ['inherited type name', app({ type: 'toString' }), 'unknown message type "toString"'],
    ['type missing', app({ type: undefined }), 'unknown message type undefined'],
    ['term missing', app({ term: undefined }), 'App.term must be a non-negative integer, not undefined'],
    ['negative term', app({ term: -1 }), 'App.term must be a non-negative integer, not -1'],
    ['fractional index', app({ index: 1.5 }), 'App.index must be a non-negative integer, not 1.5'],
    ['unsafe commit', app({ commit: 2 ** 53 }), 'App.commit must be a non-negative integer, not 9007199254740992'],
    ['string number', app({ logTerm: '2' }), 'App.logTerm must be a non-negative integer, not "2"'],
    ['null rejectHint', { type: 'AppResp', from: PEER, to: SELF, term: 1, rejectHint: null }, 'AppResp.rejectHint must be a non-negative integer, not null'],
    ['reject not boolean', { type: 'VoteResp', from: PEER, to: SELF, term: 1, reject: 1 }, 'VoteResp.reject must be a boolean, not 1'],
    ['recovering not boolean', { type: 'AppResp', from: PEER, to: SELF, term: 1, recovering: 'yes' }, 'AppResp.recovering must be a boolean, not "yes"'],
    ['negative recoverAt', { type: 'App', from: PEER, to: SELF, term: 1, recoverAt: -1 }, 'App.recoverAt must be a non-negative integer, not -1'],
    ['context not string', { type: 'Heartbeat', from: PEER, to: SELF, term: 1, context: 5 }, 'Heartbeat.context must be a string, not 5'],
    ['context too long', { type: 'Heartbeat', from: PEER, to: SELF, term: 1, context: 'c'.repeat(MAX_CONTEXT_LENGTH + 1) }, `Heartbeat.context is ${MAX_CONTEXT_LENGTH + 1} characters long (at most ${MAX_CONTEXT_LENGTH})`],
    ['from not string', app({ from: 5 }), 'App.from must be a string, not 5'],
    ['from empty', app({ from: '' }), 'App.from "" is not a node id'],
    ['from with control chars', app({ from: 'a\nb' }), 'App.from "a\\nb" is not a node id'],
    ['from too long', app({ from: long }), `App.from is ${MAX_ID_LENGTH + 1} characters long (at most ${MAX_ID_LENGTH})`],
    ['from another node than the batch', app({ from: 'm3:19200' }), 'App claims to be from "m3:19200" in a batch from "m2:19200"'],
    ['to missing', app({ to: undefined }), 'App.to must be a string, not undefined'],
    ['to another node', app({ to: 'm3:19200' }), 'App is addressed to "m3:19200", not to this node (m1:19200)'],
    ['logTerm above term', app({ logTerm: 4 }), 'App.logTerm 4 is above its term 3'],
    ['entries not a list', app({ entries: {} }), 'App.entries must be a list of at most 100000 entries, not an object'],
    ['entries on a heartbeat', { type: 'Heartbeat', from: PEER, to: SELF, term: 1, entries: [] }, 'Heartbeat carries entries (only App does)'],
    ['entry not an object', app({ entries: [null] }), 'App.entries[0] must be an object, not null'],
    ['entry of unknown type', app({ entries: [{ term: 2, index: 5, type: 'x', data: '' }] }), 'App.entries[0].type must be "normal" or "conf", not "x"'],
    ['entry without data', app({ entries: [{ term: 2, index: 5, type: 'normal' }] }), 'App.entries[0].data must be a string, not undefined'],
    ['entries with a gap', app({ entries: [{ term: 2, index: 5, type: 'normal', data: '' }, { term: 2, index: 7, type: 'normal', data: '' }] }), 'App.entries[1] has index 7, expected 6'],
    ['entries not after index', app({ entries: [{ term: 2, index: 4, type: 'normal', data: '' }] }), 'App.entries[0] has index 4, expected 5'],
    ['entry term decreasing', app({ entries: [{ term: 3, index: 5, type: 'normal', data: '' }, { term: 2, index: 6, type: 'normal', data: '' }] }), 'App.entries[1] has term 2, outside [3, 3]'],
    ['entry term below logTerm', app({ entries: [{ term: 1, index: 5, type: 'normal', data: '' }] }), 'App.entries[0] has term 1, outside [2, 3]'],
    ['entry term above the message term', app({ entries: [{ term: 4, index: 5, type: 'normal', data: '' }] }), 'App.entries[0] has term 4, outside [2, 3]'],
    ['conf entry not JSON', app({ entries: [{ term: 2, index: 5, type: 'conf', data: '{' }] }), 'App.entries[0] is a conf entry whose data is not a membership change: "{"'],
    ['conf entry with unknown op', app({ entries: [{ term: 2, index: 5, type: 'conf', data: '{"op":"drop","node":"a"}' }] }), 'App.entries[0] is a conf entry whose data is not a membership change: "{\\"op\\":\\"drop\\",\\"node\\":\\"a\\"}"'],
    ['conf entry with a bad node', app({ entries: [{ term: 2, index: 5, type: 'conf', data: JSON.stringify({ op: 'add', node: 'a\u0000' }) }] }), 'App.entries[0]\'s conf change node "a\\u0000" is not a node id'],
    ['Snap without snapshot', { type: 'Snap', from: PEER, to: SELF, term: 3 }, 'snapshot must be an object, not undefined'],
    ['snapshot on an App', app({ snapshot: {} }), 'App carries a snapshot (only Snap does)'],
    ['snapshot index negative', snap({ index: -1 }), 'snapshot.index must be a non-negative integer, not -1'],
    ['snapshot term above the message term', snap({ term: 4 }), 'snapshot.term 4 is above the message\'s term 3'],
    ['snapshot without voters', snap({ voters: [] }), 'snapshot.voters must be a list of 1 to 1000 node ids, not an array'],
    ['snapshot voters not a list', snap({ voters: 'a' }), 'snapshot.voters must be a list of 1 to 1000 node ids, not "a"'],
    ['snapshot voter not a string', snap({ voters: [5] }), 'snapshot.voters[0] must be a string, not 5'],
    ['snapshot data not a string', snap({ data: 7 }), 'snapshot.data must be a string, not 7'],
    ['snapshot data not base64', snap({ data: '!!!!' }), 'snapshot.data is not base64'],
    ['snapshot data truncated base64', snap({ data: 'eyJ2Ij' }), 'snapshot.data is not base64'],
  ];
  for (const [what, v, message] of cases) {
    assert.throws(() => checkMessage(v, SELF, PEER), (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError, `${what}: ${String(e)}`);
      assert.equal(e.message, message, what);
      return true;
    });
  }
});

test('batches: checked whole, cluster id enforced once known, JSON errors named', () => {
  const m = JSON.stringify({ type: 'Heartbeat', from: PEER, to: SELF, term: 2, commit: 1 });
  const batch = (over: Record<string, unknown> = {}) => ({ from: PEER, clusterId: 'c1', messages: [m], ...over });
  assert.deepEqual(decodeBatch(batch(), SELF, 'c1'), { from: PEER, clusterId: 'c1', messages: [JSON.parse(m)] });
  // Not known yet (a fresh cluster, or a master that has not applied its init entry): any id.
  assert.equal(decodeBatch(batch({ clusterId: '' }), SELF, '').messages.length, 1);
  assert.equal(decodeBatch(batch({ clusterId: 'c2' }), SELF, '').clusterId, 'c2');
  const cases: [string, unknown, string, string][] = [
    ['not an object', 'x', 'c1', 'a batch must be an object, not "x"'],
    ['no sender', batch({ from: '' }), 'c1', 'batch sender "" is not a node id'],
    ['another cluster', batch({ clusterId: 'c2' }), 'c1', 'batch from m2:19200 is for cluster "c2", this node is in cluster c1'],
    ['no cluster id while ours is known', batch({ clusterId: '' }), 'c1', 'batch from m2:19200 names no cluster, this node is in cluster c1'],
    ['cluster id missing while ours is known', batch({ clusterId: undefined }), 'c1', 'batch from m2:19200 names no cluster, this node is in cluster c1'],
    ['messages not a list', batch({ messages: 'x' }), 'c1', 'batch from m2:19200 must hold a list of at most 10000 messages'],
    ['message not a string', batch({ messages: [m, 5] }), 'c1', 'message 1 of the batch from m2:19200 is not a string'],
    ['message not JSON', batch({ messages: [m, '{"type":'] }), 'c1', 'message 1 of the batch from m2:19200 is not JSON: "{\\"type\\":"'],
    ['message malformed', batch({ messages: ['{}'] }), 'c1', 'message 0 of the batch from m2:19200: unknown message type undefined'],
  ];
  for (const [what, v, cluster, message] of cases) {
    assert.throws(() => decodeBatch(v, SELF, cluster), (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError, `${what}: ${String(e)}`);
      assert.equal(e.message, message, what);
      return true;
    });
  }
});

test('framed batches: the same checks as gRPC batches, the sender being the connection\'s (HELLO)', () => {
  const m = { type: 'Heartbeat', from: PEER, to: SELF, term: 2, commit: 1 };
  const framed = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
  assert.deepEqual(decodeFramedBatch(framed({ clusterId: 'c1', messages: [m] }), PEER, SELF, 'c1'), { from: PEER, clusterId: 'c1', messages: [m] });
  assert.equal(decodeFramedBatch(framed({ clusterId: 'c2', messages: [m] }), PEER, SELF, '').clusterId, 'c2');
  const cases: [string, Buffer, string][] = [
    ['not JSON', framed('{"clusterId":'), 'the batch from m2:19200 is not JSON: "{\\"clusterId\\":"'],
    ['not an object', framed([m]), 'a batch must be an object, not an array'],
    ['another cluster', framed({ clusterId: 'c2', messages: [m] }), 'batch from m2:19200 is for cluster "c2", this node is in cluster c1'],
    ['no cluster id while ours is known', framed({ messages: [m] }), 'batch from m2:19200 names no cluster, this node is in cluster c1'],
    ['messages not a list', framed({ clusterId: 'c1', messages: {} }), 'batch from m2:19200 must hold a list of at most 10000 messages'],
    ['a message as a string', framed({ clusterId: 'c1', messages: [JSON.stringify(m)] }), 'message 0 of the batch from m2:19200: a message must be an object, not "{\\"type\\":\\"Heartbeat\\",\\"from\\":\\"m2:19200\\",\\"to\\":\\"m1:1...'],
    ['a message from another sender', framed({ clusterId: 'c1', messages: [{ ...m, from: 'm3:19200' }] }), 'message 0 of the batch from m2:19200: Heartbeat claims to be from "m3:19200" in a batch from "m2:19200"'],
  ];
  for (const [what, payload, message] of cases) {
    assert.throws(() => decodeFramedBatch(payload, PEER, SELF, 'c1'), (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError, `${what}: ${String(e)}`);
      assert.equal(e.message, message, what);
      return true;
    });
  }
});

test('every message the core sends in seeded simulations (elections, appends, snapshots, membership changes) passes the checks', () => {
  const types = new Set<string>();
  let recovering = 0;
  for (let seed = 1; seed <= 12; seed++) {
    const sim = new Sim({ seed, steps: 3000, wipes: seed % 2 === 0 }); // even seeds: members lose their storage and recover
    sim.run((s) => {
      for (const m of s.bag.slice(-8)) {
        // The driver sends snapshots of the state machine as base64; the simulation's toy one is raw JSON.
        const wire = m.type === 'Snap' ? { ...m, snapshot: { ...m.snapshot!, data: Buffer.from(m.snapshot!.data).toString('base64') } } : m;
        const json = JSON.parse(JSON.stringify(wire));
        assert.deepEqual(checkMessage(json, m.to, m.from), json, `seed ${seed} step ${s.step}`);
        types.add(m.type);
        if (m.recovering || m.recoverAt !== undefined) recovering++;
      }
    });
  }
  for (const t of ['App', 'AppResp', 'Heartbeat', 'Snap', 'Vote']) assert.ok(types.has(t), `no ${t} seen`);
  assert.ok(recovering > 0, 'no message of a recovering member seen');
});
