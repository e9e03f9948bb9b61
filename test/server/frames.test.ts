/**
 * src/frames.ts: the frame format and FrameParser, exact and table-driven.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, frameHeader, FrameParser, FRAME_HEADER_BYTES } from '../../src/frames.js';
import { InvalidArgumentError } from '../../src/errors.js';

const MAX: Record<number, number> = { 1: 16, 2: 0, 3: 1000 };
const maxPayload = (t: number) => MAX[t] ?? -1;

function parse(chunks: Buffer[]): { frames: [number, string][]; error?: Error } {
  const frames: [number, string][] = [];
  const p = new FrameParser('test channel', maxPayload, (t, b) => frames.push([t, b.toString()]));
  try { for (const c of chunks) p.push(c); } catch (e) { return { frames, error: e as Error }; }
  return { frames };
}

test('frames: encodeFrame is the header then the payload (string or buffer)', () => {
  assert.deepEqual([...encodeFrame(3, 'hé')], [3, 0, 0, 0, 3, 0x68, 0xc3, 0xa9]);
  assert.deepEqual(encodeFrame(1, Buffer.from('ab')), Buffer.concat([frameHeader(1, 2), Buffer.from('ab')]));
  assert.equal(encodeFrame(2, '').length, FRAME_HEADER_BYTES);
});

test('frames: a stream of frames comes out whole however it is cut into reads', () => {
  const stream = Buffer.concat([encodeFrame(1, 'hello'), encodeFrame(2, ''), encodeFrame(3, 'x'.repeat(700)), encodeFrame(1, 'bye')]);
  const want: [number, string][] = [[1, 'hello'], [2, ''], [3, 'x'.repeat(700)], [1, 'bye']];
  for (const size of [1, 2, 3, 4, 5, 6, 7, 11, 64, 705, stream.length]) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < stream.length; i += size) chunks.push(stream.subarray(i, i + size));
    assert.deepEqual(parse(chunks), { frames: want }, `reads of ${size} bytes`);
  }
});

test('frames: a header no frame may have fails before its payload arrives, and nothing after it is handed over', () => {
  const cases: { name: string; bytes: Buffer; message: RegExp; before: number }[] = [
    { name: 'unknown type', bytes: Buffer.concat([encodeFrame(1, 'ok'), frameHeader(9, 1)]), message: /test channel: unknown frame type 9/, before: 1 },
    { name: 'too long for its type', bytes: frameHeader(1, 17), message: /a frame of type 1 claims 17 bytes \(at most 16\)/, before: 0 },
    { name: 'a huge claim', bytes: frameHeader(3, 0xffffffff), message: /claims 4294967295 bytes \(at most 1000\)/, before: 0 },
    { name: 'a payload on a type that carries none', bytes: frameHeader(2, 1), message: /at most 0/, before: 0 },
  ];
  for (const c of cases) {
    const r = parse([c.bytes, encodeFrame(1, 'after')]);
    assert.ok(r.error instanceof InvalidArgumentError, c.name);
    assert.match(r.error!.message, c.message, c.name);
    assert.equal(r.frames.length, c.before, c.name);
  }
});

test('frames: stop() drops what is buffered and hands nothing more over', () => {
  const got: number[] = [];
  const p = new FrameParser('t', maxPayload, (t) => { got.push(t); if (t === 2) p.stop(); });
  p.push(Buffer.concat([encodeFrame(1, 'a'), encodeFrame(2, ''), encodeFrame(3, 'b')]));
  p.push(encodeFrame(1, 'c'));
  assert.deepEqual(got, [1, 2]);
  assert.equal(p.pending, 0);
});
