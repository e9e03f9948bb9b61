/**
 * How Raft messages travel between masters. The driver only sees `Transport`; production uses
 * NetTransport on alluxio.master.embedded.journal.port, tests and the simulation use the
 * in-memory twin (which can drop, delay and partition).
 *
 * NetTransport (issue #14) sends on the framed protocol of framedWire.ts (one plain TCP
 * connection per peer, a frame per batch written in the same turn as send()); its port is a
 * SharedPort (src/sharedPort.ts) that also serves gRPC RaftJournalService (Deliver, Stream) as
 * before, for older masters and tools. A peer that does not speak the framed protocol (it
 * closes the connection before answering the HELLO) gets a gRPC stream, as before, and is asked
 * again after LEGACY_RETRY_MS. Both wires end in the same checks (wire.ts) before the core.
 *
 * Delivery is best effort: Raft tolerates loss, duplication and reordering, so a failed send is
 * dropped (and counted), never retried here.
 *
 * Peer lost: when a peer's process dies, the kernel resets its TCP connections at once. A
 * transport reports `onPeerLost(peer)` when both connections with that peer were closed by the
 * other side since it last heard from it: the one this node sends on was reset, ended (EOF) or
 * refused (framed: ECONNRESET, EOF, ECONNREFUSED, EPIPE; gRPC: the stream failed as
 * UNAVAILABLE), not by our own close nor after the peer answered an ERROR; and the one the peer
 * sends on (the latest it sent a batch on) was ended or reset by the peer. A paused, slow or
 * partitioned peer resets nothing (a connect timeout or an unreachable route does not count).
 * Reported once, re-armed when the peer is heard from again. The core decides what a lost peer
 * means (core.ts: peerLost).
 */
import * as grpc from '@grpc/grpc-js';
import type net from 'node:net';
import { protos, bindServer, CHANNEL_OPTIONS, unary } from '../../rpc.js';
import type { Message, NodeId } from './types.js';
import { decodeBatch, decodeFramedBatch, type CheckedBatch } from './wire.js';
import { AlluxioError } from '../../errors.js';
import { secretServerInterceptors, secretClientInterceptors } from '../../clusterSecret.js';
import { SharedPort } from '../../sharedPort.js';
import { encodeFrame, FRAME_HEADER_BYTES } from '../../frames.js';
import { FramedPeer, MAX_BATCH_BYTES, RAFT_MAGIC, RaftFrame, helloBytes, serveFramed, type FramedReceiver } from './framedWire.js';

export interface Transport {
  /** Send messages (any destinations); returns at once. */
  send(messages: readonly Message[]): void;
  /** Register the receiver of messages addressed to this node. */
  onMessage(handler: (m: Message) => void): void;
  /** Register the receiver of "both connections to `peer` closed by the other side" (see above). */
  onPeerLost(handler: (peer: NodeId) => void): void;
  close(): Promise<void>;
}

/** In-memory network for tests: every node's transport shares one hub. */
export class MemoryNetwork {
  private handlers = new Map<NodeId, (m: Message) => void>();
  private lostHandlers = new Map<NodeId, (peer: NodeId) => void>();
  private cut = new Set<string>();
  /** Messages delivered / dropped, for assertions. */
  delivered = 0;
  dropped = 0;

  transport(id: NodeId): Transport {
    return {
      send: (messages) => {
        for (const m of messages) {
          const h = this.handlers.get(m.to);
          if (!h || this.cut.has(`${m.from}>${m.to}`)) { this.dropped++; continue; }
          this.delivered++;
          const copy = JSON.parse(JSON.stringify(m)) as Message; // no shared objects, as over a wire
          queueMicrotask(() => h(copy));
        }
      },
      onMessage: (handler) => { this.handlers.set(id, handler); },
      onPeerLost: (handler) => { this.lostHandlers.set(id, handler); },
      close: async () => { this.handlers.delete(id); this.lostHandlers.delete(id); },
    };
  }

  /**
   * `id`'s process died: it receives nothing more, and every node it is not cut off from hears
   * that its connections to `id` were reset (a partition or a pause resets nothing).
   */
  kill(id: NodeId): void {
    this.handlers.delete(id);
    this.lostHandlers.delete(id);
    for (const [other, h] of this.lostHandlers) if (!this.cut.has(`${id}>${other}`)) queueMicrotask(() => h(id));
  }

  /** Cut (both directions) between `a` and every node of `others`. */
  partition(a: NodeId, others: readonly NodeId[]): void {
    for (const b of others) { this.cut.add(`${a}>${b}`); this.cut.add(`${b}>${a}`); }
  }

  heal(): void { this.cut.clear(); }
}

export interface NetTransportOptions {
  /**
   * This node's cluster id, asked for on every batch ('' while not known yet). Known, it goes
   * out with every batch and a batch naming another cluster or none is refused. Unknown, every
   * well-formed batch is accepted and each peer is answered with the id it sent (others with
   * the last id heard), so a node that is catching up is heard by peers that know the id before
   * it has applied the entry itself.
   */
  clusterId?: string | (() => string);
  /** Where dropped batches and refused connections are reported (at most one line per REJECT_LOG_MS each). */
  log?: (msg: string) => void;
  /** The cluster secret (src/clusterSecret.ts): when set, peers must send it, and this node sends it. */
  secret?: string;
  /**
   * 'framed' (default): the port serves gRPC and the framed protocol, batches go framed.
   * 'grpc': what a master before the framed protocol did (gRPC only on the port and on the way
   * out); tests use it as the older peer.
   */
  wire?: 'framed' | 'grpc';
  /** Longest wait for a framed connection's magic and HELLO (default HELLO_TIMEOUT_MS). */
  helloTimeoutMs?: number;
  /** The framed wire's liveness check (tests; default framedWire.ts PING_MS, PING_TIMEOUT_MS). */
  liveness?: { pingMs: number; pingTimeoutMs: number };
}

/** At most one log line about dropped batches per this many ms. */
export const REJECT_LOG_MS = 10_000;
/** Default wait for the first bytes and the HELLO of a connection on the journal port. */
export const HELLO_TIMEOUT_MS = 10_000;
/** A peer that did not speak the framed protocol is sent gRPC streams for this long, then asked again. */
export const LEGACY_RETRY_MS = 60_000;
/** Bound on remembered peer cluster ids (senders are named by the network, so bounded). */
const MAX_PEER_CLUSTERS = 1000;

/** One log line per REJECT_LOG_MS at most; the lines held back are counted in the next. */
class RateLimitedLog {
  private last = -Infinity;
  private unlogged = 0;
  constructor(private readonly log: (msg: string) => void) {}
  note(line: () => string): void {
    this.unlogged++;
    const now = Date.now();
    if (now - this.last < REJECT_LOG_MS) return;
    const more = this.unlogged > 1 ? ` (${this.unlogged - 1} more since the last report)` : '';
    this.last = now;
    this.unlogged = 0;
    this.log(`${line()}${more}`);
  }
}

const describe = (e: unknown): string => (e instanceof AlluxioError ? e.message : `${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? String(e)}`);

/**
 * The network transport. `peers` maps node ids to `host:port` of their embedded journal port;
 * node ids are those addresses themselves in production (alluxio.master.embedded.journal.addresses).
 * Every batch received, on either wire, is checked (wire.ts) before any of its messages reaches
 * the core; a bad batch is dropped, counted (`rejected`) and logged, never thrown.
 */
export class NetTransport implements Transport {
  private readonly server: grpc.Server;
  private port: SharedPort | undefined;
  private readonly secret: string | undefined;
  private readonly wire: 'framed' | 'grpc';
  private readonly helloTimeoutMs: number;
  private readonly liveness: NetTransportOptions['liveness'];
  private clients = new Map<NodeId, grpc.Client>();
  private streams = new Map<NodeId, grpc.ClientWritableStream<unknown>>();
  private framed = new Map<NodeId, FramedPeer>();
  /** Peers that did not speak the framed protocol: gRPC until this performance.now(). */
  private legacyUntil = new Map<NodeId, number>();
  private handler: ((m: Message) => void) | undefined;
  private lostHandler: ((peer: NodeId) => void) | undefined;
  /**
   * Per peer, since it was last heard: the connection it sends to us (`inbound`: the latest one
   * it sent a batch on, a gRPC stream or a socket) and the one we send to it (`outDown`) closed
   * by its side; `reported` once onPeerLost fired for that loss.
   */
  private link = new Map<NodeId, { inbound?: object; inDown: boolean; outDown: boolean; reported: boolean }>();
  private closing = false;
  /** Cluster id each peer last sent, answered back while this node does not know its own. */
  private peerCluster = new Map<NodeId, string>();
  /** The cluster id last heard from any peer, for peers that have not sent one yet. */
  private heardCluster = '';
  private readonly clusterIdOf: () => string;
  private readonly log: (msg: string) => void;
  private readonly rejectLog: RateLimitedLog;
  private readonly refusedLog: RateLimitedLog;
  private readonly hello: Buffer;
  /** Sends that failed (peer down, send buffer full, connection lost, ...): Raft will retry through its own protocol. */
  failures = 0;
  /** Framed connections opened (attempts): paced after a failure, never one per message to a peer that is down. */
  connects = 0;
  /** Batches dropped because they failed the checks (wire.ts) or the core refused a message, and framed connections refused. */
  rejected = 0;

  private constructor(readonly id: NodeId, private peers: Map<NodeId, string>, opts: NetTransportOptions) {
    const c = opts.clusterId ?? '';
    this.clusterIdOf = typeof c === 'function' ? c : () => c;
    this.log = opts.log ?? (() => {});
    this.rejectLog = new RateLimitedLog(this.log);
    this.refusedLog = new RateLimitedLog(this.log);
    this.secret = opts.secret;
    this.wire = opts.wire ?? 'framed';
    this.helloTimeoutMs = opts.helloTimeoutMs ?? HELLO_TIMEOUT_MS;
    this.liveness = opts.liveness;
    this.hello = helloBytes(id, opts.secret);
    this.server = new grpc.Server({ ...CHANNEL_OPTIONS, interceptors: secretServerInterceptors(opts.secret, `embedded journal ${id}`) });
  }

  /** This node's cluster id ('' while unknown). */
  get clusterId(): string { return this.clusterIdOf(); }

  static async start(id: NodeId, bind: { host: string; port: number }, peers: ReadonlyMap<NodeId, string>, opts: NetTransportOptions = {}): Promise<{ transport: NetTransport; port: number }> {
    const t = new NetTransport(id, new Map(peers), opts);
    t.server.addService(protos().raft.RaftJournalService.service, {
      Deliver: unary(async (req: unknown, call) => { t.receive(() => decodeBatch(req, t.id, t.clusterId), call.getPeer(), true); return {}; }),
      Stream: (call: grpc.ServerReadableStream<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        const peer = call.getPeer();
        call.on('data', (req: unknown) => { try { t.receive(() => decodeBatch(req, t.id, t.clusterId), peer, false, call); } catch (e) { t.reject(peer, e); } });
        // Closed by the sender: EOF ('end'), or reset ('cancelled' when its connection dropped).
        call.on('end', () => { t.inboundClosed(call); cb(null, {}); });
        call.on('cancelled', () => t.inboundClosed(call));
        call.on('error', () => { /* the peer went away; it reconnects */ });
      },
    });
    if (t.wire === 'grpc') return { transport: t, port: await bindServer(t.server, bind.host, bind.port) };
    // One port, as before: HTTP/2 to the gRPC server, RAFT_MAGIC to the framed receiver.
    const injector = t.server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    const receiver: FramedReceiver = {
      name: `embedded journal ${id}`, secret: opts.secret, helloTimeoutMs: t.helloTimeoutMs,
      batch: (payload, from, conn, peer) => t.receive(() => decodeFramedBatch(payload, from, t.id, t.clusterId), peer, false, conn),
      closedByPeer: (conn) => t.inboundClosed(conn),
      reject: (peer, e) => t.reject(peer, e, 'connection'),
    };
    t.port = new SharedPort({
      timeoutMs: t.helloTimeoutMs, http2: (s) => injector.injectConnection(s),
      protocols: [{ magic: RAFT_MAGIC, accept: (s: net.Socket, rest) => serveFramed(s, rest, receiver) }],
    });
    return { transport: t, port: await t.port.listen(bind.host, bind.port) };
  }

  /**
   * One batch from the network (either wire): checked whole (`decode`), then handed to the core
   * message by message. Never throws on a stream (a bad batch is dropped); for Deliver (`reply`)
   * the check's error goes back to the caller. `conn`: the stream or socket it came on.
   */
  private receive(decode: () => CheckedBatch, peer: string, reply: boolean, conn?: object): void {
    let batch: CheckedBatch;
    try {
      batch = decode();
    } catch (e) {
      this.reject(peer, e);
      if (reply) throw e;
      return;
    }
    if (!this.clusterId && batch.clusterId) {
      if (this.peerCluster.size >= MAX_PEER_CLUSTERS && !this.peerCluster.has(batch.from)) this.peerCluster.clear();
      this.peerCluster.set(batch.from, batch.clusterId);
      this.heardCluster = batch.clusterId;
    }
    // Heard from: the peer is alive, whatever closed before.
    const l = this.linkOf(batch.from);
    l.inDown = false; l.outDown = false; l.reported = false;
    if (conn) l.inbound = conn;
    for (const m of batch.messages) {
      try {
        this.handler?.(m);
      } catch (e) {
        // The core refused a well-formed message (e.g. entries that contradict committed ones).
        this.reject(peer, e);
        return;
      }
    }
  }

  private linkOf(peer: NodeId): { inbound?: object; inDown: boolean; outDown: boolean; reported: boolean } {
    let l = this.link.get(peer);
    if (!l) {
      // Senders are named by the network (wire.ts checks the name): bounded like peerCluster.
      if (this.link.size >= MAX_PEER_CLUSTERS) this.link.clear();
      l = { inDown: false, outDown: false, reported: false };
      this.link.set(peer, l);
    }
    return l;
  }

  /** The connection a peer sends on was closed by its side (only its latest one counts). */
  private inboundClosed(conn: object): void {
    if (this.closing) return;
    for (const [peer, l] of this.link) {
      if (l.inbound !== conn) continue;
      l.inbound = undefined;
      l.inDown = true;
      this.maybeLost(peer, l);
    }
  }

  /** The connection we send to `peer` on was closed, reset or refused by its side. */
  private outboundDown(peer: NodeId): void {
    if (this.closing) return;
    const l = this.linkOf(peer);
    l.outDown = true;
    this.maybeLost(peer, l);
  }

  private maybeLost(peer: NodeId, l: { inDown: boolean; outDown: boolean; reported: boolean }): void {
    if (!l.inDown || !l.outDown || l.reported || this.closing) return;
    l.reported = true;
    this.lostHandler?.(peer);
  }

  /** Input dropped (a batch, or a framed connection closed with an ERROR): counted and logged (rate-limited). */
  reject(peer: string, e: unknown, what: 'batch' | 'connection' = 'batch'): void {
    this.rejected++;
    this.rejectLog.note(() => (what === 'batch' ? `Dropped a raft batch from ${peer}: ${describe(e)}` : `Closed a raft connection from ${peer}: ${describe(e)}`));
  }

  /** Where peer `id` listens from now on (connections to its old address are dropped). */
  setPeer(id: NodeId, address: string): void {
    const old = this.addressOf(id);
    this.peers.set(id, address);
    if (old === undefined || old === address) return;
    this.framed.get(id)?.close();
    this.framed.delete(id);
    this.legacyUntil.delete(id);
    this.streams.get(id)?.end();
    this.streams.delete(id);
    this.clients.get(id)?.close();
    this.clients.delete(id);
  }

  /** Where `to` listens: the table, or the id itself (node ids are host:port of the journal port, so a new member needs no table entry). */
  private addressOf(to: NodeId): string | undefined {
    return this.peers.get(to) ?? (/^[^\s/]+:\d+$/.test(to) ? to : undefined);
  }

  private client(to: NodeId): grpc.Client | undefined {
    let c = this.clients.get(to);
    if (!c) {
      const addr = this.addressOf(to);
      if (!addr) return undefined;
      c = new (protos().raft.RaftJournalService)(addr, grpc.credentials.createInsecure(), { ...CHANNEL_OPTIONS, interceptors: secretClientInterceptors(this.secret) }) as grpc.Client;
      this.clients.set(to, c);
    }
    return c;
  }

  send(messages: readonly Message[]): void {
    const byDest = new Map<NodeId, Message[]>();
    for (const m of messages) {
      const list = byDest.get(m.to);
      if (list) list.push(m); else byDest.set(m.to, [m]);
    }
    for (const [to, list] of byDest) {
      const clusterId = this.clusterId || this.peerCluster.get(to) || this.heardCluster;
      if (this.wire === 'framed' && !this.legacy(to)) {
        const p = this.framedPeer(to);
        // One JSON document per batch, written now (the socket sends it in this turn). One past
        // the receiver's bound would cost the connection: dropped here, as gRPC drops a message
        // past its bound.
        const frame = encodeFrame(RaftFrame.BATCH, JSON.stringify({ clusterId, messages: list }));
        if (!p || frame.length - FRAME_HEADER_BYTES > MAX_BATCH_BYTES || !p.write(frame)) this.failures++;
        continue;
      }
      const st = this.stream(to);
      if (!st) { this.failures++; continue; }
      st.write({ from: this.id, clusterId, messages: list.map((m) => JSON.stringify(m)) });
    }
  }

  /** Is `to` an older peer (gRPC only) for now? */
  private legacy(to: NodeId): boolean {
    const until = this.legacyUntil.get(to);
    if (until === undefined) return false;
    if (performance.now() < until) return true;
    this.legacyUntil.delete(to);
    return false;
  }

  private framedPeer(to: NodeId): FramedPeer | undefined {
    let p = this.framed.get(to);
    if (p) return p;
    const addr = this.addressOf(to);
    if (!addr) return undefined;
    p = new FramedPeer(addr, this.hello, {
      connecting: () => { this.connects++; },
      failed: () => { this.failures++; },
      down: () => this.outboundDown(to),
      legacy: () => {
        if (this.closing) return;
        this.legacyUntil.set(to, performance.now() + LEGACY_RETRY_MS);
        this.framed.get(to)?.close();
        this.framed.delete(to);
        this.log(`Raft peer ${to} (${addr}) does not speak the framed raft protocol (an older master?): sending it gRPC streams, asking again in ${LEGACY_RETRY_MS / 1000} s`);
      },
      refused: (e) => this.refusedLog.note(() => `Raft peer ${to} (${addr}) refused this node's connection: ${describe(e)}`),
    }, this.liveness);
    this.framed.set(to, p);
    return p;
  }

  /** The open gRPC stream to a peer, (re)opened on demand; a failed stream is dropped and counted. */
  private stream(to: NodeId): grpc.ClientWritableStream<unknown> | undefined {
    let st = this.streams.get(to);
    if (st) return st;
    const c = this.client(to);
    if (!c) return undefined;
    st = (c as any).Stream((err: grpc.ServiceError | null) => {
      if (err) this.failures++;
      if (this.streams.get(to) === st) this.streams.delete(to);
      // Connection dropped (reset, EOF) or refused: the peer's side closed it.
      if (err?.code === grpc.status.UNAVAILABLE) this.outboundDown(to);
    }) as grpc.ClientWritableStream<unknown>;
    st.on('error', () => { if (this.streams.get(to) === st) this.streams.delete(to); });
    this.streams.set(to, st);
    return st;
  }

  onMessage(handler: (m: Message) => void): void { this.handler = handler; }

  onPeerLost(handler: (peer: NodeId) => void): void { this.lostHandler = handler; }

  async close(): Promise<void> {
    this.closing = true;
    for (const p of this.framed.values()) p.close();
    this.framed.clear();
    for (const st of this.streams.values()) st.end();
    this.streams.clear();
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
    // Every connection of the shared port (framed and gRPC) is destroyed: nothing to wait for.
    await this.port?.close();
    // The leader's stream to this member never ends while the leader runs: do not wait for it.
    await new Promise<void>((r) => {
      const force = setTimeout(() => { this.server.forceShutdown(); r(); }, CLOSE_GRACE_MS);
      this.server.tryShutdown(() => { clearTimeout(force); r(); });
    });
  }
}

/** How long closing lets incoming gRPC journal messages finish before it drops the connections. */
const CLOSE_GRACE_MS = 500;
