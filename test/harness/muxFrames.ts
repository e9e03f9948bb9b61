/**
 * Speaking the framed mux (src/mux.ts) by hand, byte by byte, for tests that send what a real
 * client never would: CALL frames of any shape, and the frames a server answers with.
 */
import net from 'node:net';
import { encodeFrame, FrameParser } from '../../src/frames.js';
import { MAX_MUX_MESSAGE, MUX_VERSION } from '../../src/mux.js';

/** Frame types of the framed mux. */
export const MUX_FRAME = { HELLO: 1, WELCOME: 2, CALL: 3, REPLY: 4, ERROR: 5, PING: 6, PONG: 7, GOAWAY: 8 } as const;

export interface RawFrame { type: number; payload: Buffer }

/** A HELLO frame (this version unless told). */
export function helloFrame(user: string, version: unknown = MUX_VERSION): Buffer {
  return encodeFrame(MUX_FRAME.HELLO, JSON.stringify({ version, user }));
}

/** A CALL frame: [id u32][path length u8][path][payload]; `pathLength` may lie. */
export function callFrame(id: number, path: string, payload: Buffer, pathLength?: number): Buffer {
  const p = Buffer.from(path);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(id >>> 0, 0);
  head.writeUInt8((pathLength ?? p.length) & 0xff, 4);
  return encodeFrame(MUX_FRAME.CALL, Buffer.concat([head, p, payload]));
}

/** An ERROR frame's fields, or undefined for another frame. */
export function errorOf(f: RawFrame | undefined): { id: number; code: number; details: string; alluxioCode: string; extra: string } | undefined {
  return f?.type === MUX_FRAME.ERROR ? { id: f.payload.readUInt32BE(0), ...JSON.parse(f.payload.toString('utf8', 4)) } : undefined;
}

/**
 * Send `parts` on a new connection to 127.0.0.1:`port` and collect the frames that come back,
 * until the server closes the connection, `count` frames came, or `timeoutMs` passed.
 */
export function exchangeFrames(port: number, parts: Buffer[], count = Infinity, timeoutMs = 5000): Promise<RawFrame[]> {
  return new Promise((resolve) => {
    const got: RawFrame[] = [];
    const s = net.connect(port, '127.0.0.1');
    const done = () => { clearTimeout(t); s.destroy(); resolve(got); };
    const t = setTimeout(done, timeoutMs);
    const parser = new FrameParser('test', () => MAX_MUX_MESSAGE + 4, (type, payload) => { if (got.push({ type, payload: Buffer.from(payload) }) >= count) done(); });
    s.on('data', (c) => { try { parser.push(c); } catch { done(); } });
    s.on('error', done);
    s.on('close', done);
    for (const p of parts) s.write(p);
  });
}
