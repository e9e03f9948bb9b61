/**
 * Raft messages between masters on plain TCP (issue #14): the framed protocol of the embedded
 * journal port, served next to gRPC on the same port (src/sharedPort.ts routes a connection that
 * starts with RAFT_MAGIC here). Frames are src/frames.ts's [type u8][len u32 BE][payload].
 *
 * One connection per peer and direction, opened by the sender: RAFT_MAGIC, then HELLO
 * {version, from, secret?} (the cluster secret when the node has one, src/clusterSecret.ts);
 * the receiver answers WELCOME {version} or ERROR (the data channel's typed error body,
 * src/dataProtocol.ts errorFrame) and closes. Then the sender writes one BATCH frame per send(),
 * in the same turn: one JSON document {clusterId, messages: [Message, ...]} (the sender is the
 * HELLO's `from`), checked by wire.ts decodeFramedBatch exactly as a gRPC RaftBatch is. The
 * sender also PINGs every PING_MS; the receiver answers PONG. Nothing else flows back on that
 * connection but WELCOME and ERROR. A connection whose WELCOME or PONG is PING_TIMEOUT_MS late is
 * closed by the sender and reopened (a peer behind a network cut resets nothing).
 *
 * Errors: a frame that breaks the framing (unknown type, a length past its bound, no HELLO within
 * the timeout, a HELLO that is malformed, from another version, or without the secret) gets an
 * ERROR frame and the connection is closed (the stream cannot be trusted after that). A BATCH
 * whose content fails the checks (not JSON, a bad message, another cluster) is dropped, counted
 * and logged by the transport, and the connection goes on, as a gRPC stream does.
 *
 * Bounds: HELLO and WELCOME MAX_HELLO_BYTES, a BATCH MAX_BATCH_BYTES (gRPC's 64 MiB message
 * limit: a batch can carry a snapshot), ERROR MAX_ERROR_BYTES; the receiver waits helloTimeoutMs
 * for the HELLO; a sender buffers at most MAX_SEND_BUFFER_BYTES unsent (one frame past it at
 * most) and drops batches beyond (a paused peer), and after a failed connection waits
 * RECONNECT_MIN_MS doubling up to RECONNECT_MAX_MS before the next attempt (sends meanwhile are
 * dropped: Raft resends through its own protocol), as grpc-js backs off.
 */
import net from 'node:net';
import { FrameParser, encodeFrame } from '../../frames.js';
import { errorFrame, errorOfFrame } from '../../dataProtocol.js';
import { secretMatches, notAMemberError } from '../../clusterSecret.js';
import { splitHostPort } from '../../conf/hosts.js';
import { FailedPreconditionError, InvalidArgumentError, TimeoutError, type AlluxioError } from '../../errors.js';
import { checkNodeId } from './wire.js';
import type { NodeId } from './types.js';

export const RAFT_MAGIC = Buffer.from('ALXR');
export const RAFT_WIRE_VERSION = 1;

export const enum RaftFrame {
  HELLO = 1, WELCOME = 2, BATCH = 3, PING = 4, PONG = 5,
  /** The same type number and body as the data channel's ERROR (dataProtocol.ts errorFrame). */
  ERROR = 9,
}

export const MAX_HELLO_BYTES = 4096;
export const MAX_ERROR_BYTES = 64 * 1024;
/** gRPC's message bound on this port (rpc.ts CHANNEL_OPTIONS): a batch may carry a snapshot. */
export const MAX_BATCH_BYTES = 64 * 1024 * 1024;
/** Unsent bytes a sender holds for one peer before it drops batches (a peer that does not read). */
export const MAX_SEND_BUFFER_BYTES = 8 * 1024 * 1024;
export const RECONNECT_MIN_MS = 100;
export const RECONNECT_MAX_MS = 1000;
/** A sender PINGs its connection this often; the receiver answers PONG. */
export const PING_MS = 1000;
/**
 * A connection whose WELCOME or PONG has not come within this is closed by the sender (its own
 * close: the peer is not reported lost) and reopened. A peer cut off by the network resets
 * nothing: without this a connection whose packets were lost would sit in TCP's retransmission
 * back-off (minutes after a long partition) while the sender kept writing into it, and a healed
 * peer would not hear from this node until the kernel gave up on it. gRPC's keepalive did this
 * before (30 s + 20 s).
 */
export const PING_TIMEOUT_MS = 3000;
/** Errors of a connection that mean the peer's side closed or refused it (not a timeout, not a route). */
const CLOSED_BY_PEER = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE']);

/** What a FramedPeer tells its owner about its connections. */
export interface FramedPeerEvents {
  /** A connection attempt starts. */
  connecting(): void;
  /** A connection failed or ended (batches written on it may be lost): counted as a failure. */
  failed(): void;
  /** The connection was closed by the peer's side (EOF, reset) or refused: not our own close, not after an ERROR answer. */
  down(): void;
  /** The peer accepted the connection, then closed it or answered something else than WELCOME or ERROR: it does not speak this protocol (an older master). */
  legacy(): void;
  /** The peer answered ERROR (it is alive, and refuses us: e.g. the cluster secret). */
  refused(e: AlluxioError): void;
}

/** The sending side towards one peer: one connection, reopened on demand (paced). */
export class FramedPeer {
  private socket: net.Socket | undefined;
  private backoffMs = 0;
  private notBefore = 0;
  private closed = false;

  /** `hello`: the HELLO frame (with RAFT_MAGIC in front), the same for every connection. */
  constructor(private readonly address: string, private readonly hello: Buffer, private readonly ev: FramedPeerEvents,
    private readonly liveness: { pingMs: number; pingTimeoutMs: number } = { pingMs: PING_MS, pingTimeoutMs: PING_TIMEOUT_MS }) {}

  /** Write one frame now; false when it is dropped (pacing after a failed connection, or the send buffer is full). */
  write(frame: Buffer): boolean {
    let s = this.socket;
    if (!s) {
      if (this.closed || performance.now() < this.notBefore) return false;
      s = this.connect();
    }
    if (s.writableLength > MAX_SEND_BUFFER_BYTES) return false;
    s.write(frame);
    return true;
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
    this.socket = undefined;
  }

  private connect(): net.Socket {
    const { host, port } = splitHostPort(this.address);
    this.ev.connecting();
    const s = net.connect({ host, port, noDelay: true });
    this.socket = s;
    let connected = false, welcomed = false, answered = false, byPeer = false, garbage = false, silent = false;
    const what = `embedded journal peer ${this.address}`;
    // Waiting for the WELCOME, then for the answer to each PING: past pingTimeoutMs the
    // connection is closed as silent. The check runs after one more poll of the sockets
    // (setImmediate), so an answer that arrived while this process's event loop was blocked
    // (the timer phase comes first) still counts.
    let answerDue: NodeJS.Timeout | undefined;
    const expectAnswer = () => {
      answerDue = setTimeout(() => setImmediate(() => {
        if (answerDue === undefined || s.destroyed) return;
        silent = true;
        s.destroy();
      }), this.liveness.pingTimeoutMs).unref();
    };
    const answered_ = () => { clearTimeout(answerDue); answerDue = undefined; };
    const pinger = setInterval(() => {
      if (!welcomed || answerDue !== undefined || s.destroyed) return;
      s.write(encodeFrame(RaftFrame.PING, ''));
      expectAnswer();
    }, this.liveness.pingMs).unref();
    expectAnswer();
    const parser = new FrameParser(what, (t) => (t === RaftFrame.WELCOME || t === RaftFrame.PONG ? MAX_HELLO_BYTES : t === RaftFrame.ERROR ? MAX_ERROR_BYTES : -1), (type, payload) => {
      if (type === RaftFrame.PONG && welcomed) { answered_(); return; }
      if (type === RaftFrame.WELCOME && !welcomed) { welcomed = true; answered_(); this.backoffMs = 0; return; }
      if (type === RaftFrame.ERROR) { answered = true; this.ev.refused(errorOfFrame(payload, what)); s.destroy(); return; }
      garbage = true;
      s.destroy();
    });
    s.on('connect', () => { connected = true; });
    s.on('data', (c: Buffer) => {
      try { parser.push(c); } catch { garbage = true; s.destroy(); }
    });
    s.on('end', () => { byPeer = true; });
    s.on('error', (e: NodeJS.ErrnoException) => { if (e.code && CLOSED_BY_PEER.has(e.code)) byPeer = true; });
    s.on('close', () => {
      answered_();
      clearInterval(pinger);
      if (this.socket === s) this.socket = undefined;
      if (this.closed) return;
      this.ev.failed();
      // A connection that was welcomed is reopened by the next send (a restarted peer is heard
      // at once); one that failed before its WELCOME waits, doubling from RECONNECT_MIN_MS.
      if (!welcomed) {
        this.backoffMs = Math.min(RECONNECT_MAX_MS, Math.max(RECONNECT_MIN_MS, this.backoffMs * 2));
        this.notBefore = performance.now() + this.backoffMs;
      }
      if (answered || silent) return; // a silent peer may only be paused or cut off: not lost, not older
      if (connected && !welcomed && (byPeer || garbage)) { this.ev.legacy(); return; }
      if (byPeer) this.ev.down();
    });
    s.write(this.hello);
    return s;
  }
}

/** The HELLO frame, RAFT_MAGIC in front: what every connection of node `from` starts with. */
export function helloBytes(from: NodeId, secret: string | undefined): Buffer {
  return Buffer.concat([RAFT_MAGIC, encodeFrame(RaftFrame.HELLO, JSON.stringify({ version: RAFT_WIRE_VERSION, from, ...(secret ? { secret } : {}) }))]);
}

/** What the receiving side needs from the transport. */
export interface FramedReceiver {
  /** Named in errors: "embedded journal h1:19200". */
  name: string;
  secret: string | undefined;
  helloTimeoutMs: number;
  /** A BATCH frame (payload valid during the call) from `from` on connection `conn`; never throws. */
  batch(payload: Buffer, from: NodeId, conn: object, peer: string): void;
  /** The connection `conn` (past its HELLO) was closed by the peer's side: EOF or reset. */
  closedByPeer(conn: object): void;
  /** Input refused on the connection from `peer`: counted and logged (rate-limited). */
  reject(peer: string, e: unknown): void;
}

/** A connection that started with RAFT_MAGIC (SharedPort; `rest`: the bytes after the magic). */
export function serveFramed(s: net.Socket, rest: Buffer, r: FramedReceiver): void {
  const peer = `${s.remoteAddress}:${s.remotePort}`;
  let from: NodeId | undefined;
  let failed = false, byPeer = false;
  const fail = (e: unknown) => {
    if (failed) return;
    failed = true;
    clearTimeout(timer);
    parser.stop();
    r.reject(peer, e);
    // A typed ERROR frame, then close: the stream cannot be resynchronised.
    if (!s.destroyed && s.writable) s.end(errorFrame(e)); else s.destroy();
    setTimeout(() => s.destroy(), 1000).unref();
  };
  const timer = setTimeout(() => fail(new TimeoutError(`${r.name}: no HELLO within ${r.helloTimeoutMs} ms`)), r.helloTimeoutMs);
  const parser = new FrameParser(r.name, (t) => {
    if (from === undefined) return t === RaftFrame.HELLO || t === RaftFrame.BATCH ? MAX_HELLO_BYTES : -1;
    return t === RaftFrame.BATCH ? MAX_BATCH_BYTES : t === RaftFrame.HELLO || t === RaftFrame.PING ? MAX_HELLO_BYTES : -1;
  }, (type, payload) => {
    if (type === RaftFrame.BATCH && from !== undefined) { r.batch(payload, from, s, peer); return; }
    if (type === RaftFrame.PING && from !== undefined) { s.write(encodeFrame(RaftFrame.PONG, '')); return; }
    if (type === RaftFrame.HELLO && from === undefined) {
      try { from = checkHello(payload, r); } catch (e) { fail(e); return; }
      clearTimeout(timer);
      s.write(encodeFrame(RaftFrame.WELCOME, `{"version":${RAFT_WIRE_VERSION}}`));
      return;
    }
    fail(new InvalidArgumentError(type === RaftFrame.HELLO ? `${r.name}: a second HELLO` : `${r.name}: the first frame must be HELLO, not type ${type}`));
  });
  s.on('data', (c: Buffer) => { try { parser.push(c); } catch (e) { fail(e); } });
  s.on('end', () => { byPeer = true; });
  s.on('error', (e: NodeJS.ErrnoException) => { if (e.code && CLOSED_BY_PEER.has(e.code)) byPeer = true; });
  s.on('close', () => {
    clearTimeout(timer);
    if (from !== undefined && byPeer && !failed) r.closedByPeer(s);
  });
  try { parser.push(rest); } catch (e) { fail(e); }
  s.resume();
}

function checkHello(payload: Buffer, r: FramedReceiver): NodeId {
  let v: unknown;
  try { v = JSON.parse(payload.toString('utf8')); } catch { throw new InvalidArgumentError(`${r.name}: HELLO is not JSON`); }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidArgumentError(`${r.name}: HELLO is not an object`);
  const h = v as Record<string, unknown>;
  if (h.version !== RAFT_WIRE_VERSION) {
    throw new FailedPreconditionError(`${r.name} speaks raft wire version ${RAFT_WIRE_VERSION}, not ${String(h.version).slice(0, 20)}`, { hint: 'run the same Alluxio version on every master' });
  }
  if (r.secret && !secretMatches(h.secret, r.secret)) throw notAMemberError(r.name);
  return checkNodeId(h.from, 'HELLO from');
}
