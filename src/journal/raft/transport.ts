/**
 * How Raft messages travel between masters. The driver only sees `Transport`; production uses
 * gRPC on alluxio.master.embedded.journal.port, tests and the simulation use the in-memory twin
 * (which can drop, delay and partition).
 *
 * Delivery is best effort: Raft tolerates loss, duplication and reordering, so a failed send is
 * dropped (and counted), never retried here.
 *
 * Peer lost (issue #14): when a peer's process dies, the kernel resets its TCP connections at
 * once. A transport reports `onPeerLost(peer)` when both streams with that peer were closed by
 * the other side (reset or EOF) since it last heard from it: the stream this node sends on
 * failed as UNAVAILABLE (connection dropped or refused; not our own cancel at close), and the
 * stream the peer sends on ended or was cancelled by the peer. A paused, slow or partitioned
 * peer resets nothing; the only other way such a stream closes is a keepalive timeout, after
 * tens of seconds of silence, when every election timeout has long run out anyway. The core
 * decides what a lost peer means (core.ts: peerLost).
 */
import * as grpc from '@grpc/grpc-js';
import { protos, bindServer, CHANNEL_OPTIONS, unary } from '../../rpc.js';
import type { Message, NodeId } from './types.js';
import { decodeBatch } from './wire.js';
import { AlluxioError } from '../../errors.js';
import { secretServerInterceptors, secretClientInterceptors } from '../../clusterSecret.js';

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

export interface GrpcTransportOptions {
  /**
   * This node's cluster id, asked for on every batch ('' while not known yet). Known, it goes
   * out with every batch and a batch naming another cluster or none is refused. Unknown, every
   * well-formed batch is accepted and each peer is answered with the id it sent (others with
   * the last id heard), so a node that is catching up is heard by peers that know the id before
   * it has applied the entry itself.
   */
  clusterId?: string | (() => string);
  /** Where dropped batches are reported (at most one line per REJECT_LOG_MS). */
  log?: (msg: string) => void;
  /** The cluster secret (src/clusterSecret.ts): when set, peers must send it, and this node sends it. */
  secret?: string;
}

/** At most one log line about dropped batches per this many ms. */
export const REJECT_LOG_MS = 10_000;
/** Bound on remembered peer cluster ids (senders are named by the network, so bounded). */
const MAX_PEER_CLUSTERS = 1000;

/**
 * gRPC transport. `peers` maps node ids to `host:port` of their embedded journal port; node ids
 * are those addresses themselves in production (alluxio.master.embedded.journal.addresses).
 * Every batch received is checked (wire.ts) before any of its messages reaches the core; a bad
 * batch is dropped, counted (`rejected`) and logged, never thrown.
 */
export class GrpcTransport implements Transport {
  private readonly server: grpc.Server;
  private readonly secret: string | undefined;
  private clients = new Map<NodeId, grpc.Client>();
  private streams = new Map<NodeId, grpc.ClientWritableStream<unknown>>();
  private handler: ((m: Message) => void) | undefined;
  private lostHandler: ((peer: NodeId) => void) | undefined;
  /**
   * Per peer, since it was last heard: the stream it sends to us (`inbound`: the latest one it
   * sent a batch on) and the stream we send to it (`outDown`) closed by its side; `reported` once
   * onPeerLost fired for that loss.
   */
  private link = new Map<NodeId, { inbound?: object; inDown: boolean; outDown: boolean; reported: boolean }>();
  private closing = false;
  /** Cluster id each peer last sent, answered back while this node does not know its own. */
  private peerCluster = new Map<NodeId, string>();
  /** The cluster id last heard from any peer, for peers that have not sent one yet. */
  private heardCluster = '';
  private readonly clusterIdOf: () => string;
  private readonly log: (msg: string) => void;
  private lastRejectLog = -Infinity;
  private rejectsUnlogged = 0;
  /** Sends that failed (peer down, ...): Raft will retry through its own protocol. */
  failures = 0;
  /** Batches dropped because they failed the checks (wire.ts) or the core refused a message. */
  rejected = 0;

  private constructor(readonly id: NodeId, private peers: Map<NodeId, string>, opts: GrpcTransportOptions) {
    const c = opts.clusterId ?? '';
    this.clusterIdOf = typeof c === 'function' ? c : () => c;
    this.log = opts.log ?? (() => {});
    this.secret = opts.secret;
    this.server = new grpc.Server({ ...CHANNEL_OPTIONS, interceptors: secretServerInterceptors(opts.secret, `embedded journal ${id}`) });
  }

  /** This node's cluster id ('' while unknown). */
  get clusterId(): string { return this.clusterIdOf(); }

  static async start(id: NodeId, bind: { host: string; port: number }, peers: ReadonlyMap<NodeId, string>, opts: GrpcTransportOptions = {}): Promise<{ transport: GrpcTransport; port: number }> {
    const t = new GrpcTransport(id, new Map(peers), opts);
    t.server.addService(protos().raft.RaftJournalService.service, {
      Deliver: unary(async (req: unknown, call) => { t.receive(req, call.getPeer(), true); return {}; }),
      Stream: (call: grpc.ServerReadableStream<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        const peer = call.getPeer();
        call.on('data', (req: unknown) => { try { t.receive(req, peer, false, call); } catch (e) { t.reject(peer, e); } });
        // Closed by the sender: EOF ('end'), or reset ('cancelled' when its connection dropped).
        call.on('end', () => { t.inboundClosed(call); cb(null, {}); });
        call.on('cancelled', () => t.inboundClosed(call));
        call.on('error', () => { /* the peer went away; it reconnects */ });
      },
    });
    const port = await bindServer(t.server, bind.host, bind.port);
    return { transport: t, port };
  }

  /**
   * One batch from the network: checked whole, then handed to the core message by message.
   * Never throws on a stream (a bad batch is dropped); for Deliver (`reply`) the check's error
   * goes back to the caller.
   */
  private receive(req: unknown, peer: string, reply: boolean, stream?: object): void {
    let batch: ReturnType<typeof decodeBatch>;
    try {
      batch = decodeBatch(req, this.id, this.clusterId);
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
    if (stream) l.inbound = stream;
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

  /** The stream a peer sends on was closed by its side (only its latest stream counts). */
  private inboundClosed(call: object): void {
    if (this.closing) return;
    for (const [peer, l] of this.link) {
      if (l.inbound !== call) continue;
      l.inbound = undefined;
      l.inDown = true;
      this.maybeLost(peer, l);
    }
  }

  private maybeLost(peer: NodeId, l: { inDown: boolean; outDown: boolean; reported: boolean }): void {
    if (!l.inDown || !l.outDown || l.reported || this.closing) return;
    l.reported = true;
    this.lostHandler?.(peer);
  }

  /** Also used by the stream handler's last-resort catch. */
  reject(peer: string, e: unknown): void {
    this.rejected++;
    this.rejectsUnlogged++;
    const now = Date.now();
    if (now - this.lastRejectLog < REJECT_LOG_MS) return;
    const more = this.rejectsUnlogged > 1 ? ` (${this.rejectsUnlogged - 1} more dropped since the last report)` : '';
    this.lastRejectLog = now;
    this.rejectsUnlogged = 0;
    const why = e instanceof AlluxioError ? e.message : `${(e as Error)?.name ?? 'Error'}: ${(e as Error)?.message ?? String(e)}`;
    this.log(`Dropped a raft batch from ${peer}: ${why}${more}`);
  }

  setPeer(id: NodeId, address: string): void { this.peers.set(id, address); }

  private client(to: NodeId): grpc.Client | undefined {
    let c = this.clients.get(to);
    if (!c) {
      // Node ids are host:port of the embedded journal port, so a new member needs no table entry.
      const addr = this.peers.get(to) ?? (/^[^\s/]+:\d+$/.test(to) ? to : undefined);
      if (!addr) return undefined;
      c = new (protos().raft.RaftJournalService)(addr, grpc.credentials.createInsecure(), { ...CHANNEL_OPTIONS, interceptors: secretClientInterceptors(this.secret) }) as grpc.Client;
      this.clients.set(to, c);
    }
    return c;
  }

  send(messages: readonly Message[]): void {
    const byDest = new Map<NodeId, string[]>();
    for (const m of messages) {
      const list = byDest.get(m.to) ?? [];
      list.push(JSON.stringify(m));
      byDest.set(m.to, list);
    }
    for (const [to, list] of byDest) {
      const st = this.stream(to);
      if (!st) { this.failures++; continue; }
      st.write({ from: this.id, clusterId: this.clusterId || this.peerCluster.get(to) || this.heardCluster, messages: list });
    }
  }

  /** The open stream to a peer, (re)opened on demand; a failed stream is dropped and counted. */
  private stream(to: NodeId): grpc.ClientWritableStream<unknown> | undefined {
    let st = this.streams.get(to);
    if (st) return st;
    const c = this.client(to);
    if (!c) return undefined;
    st = (c as any).Stream((err: grpc.ServiceError | null) => {
      if (err) this.failures++;
      if (this.streams.get(to) === st) this.streams.delete(to);
      // Connection dropped (reset, EOF) or refused: the peer's side closed it.
      if (err?.code === grpc.status.UNAVAILABLE && !this.closing) {
        const l = this.linkOf(to);
        l.outDown = true;
        this.maybeLost(to, l);
      }
    }) as grpc.ClientWritableStream<unknown>;
    st.on('error', () => { if (this.streams.get(to) === st) this.streams.delete(to); });
    this.streams.set(to, st);
    return st;
  }

  onMessage(handler: (m: Message) => void): void { this.handler = handler; }

  onPeerLost(handler: (peer: NodeId) => void): void { this.lostHandler = handler; }

  async close(): Promise<void> {
    this.closing = true;
    for (const st of this.streams.values()) st.end();
    this.streams.clear();
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
    // The leader's stream to this member never ends while the leader runs: do not wait for it.
    await new Promise<void>((r) => {
      const force = setTimeout(() => { this.server.forceShutdown(); r(); }, CLOSE_GRACE_MS);
      this.server.tryShutdown(() => { clearTimeout(force); r(); });
    });
  }
}

/** How long closing lets incoming journal messages finish before it drops the connections. */
const CLOSE_GRACE_MS = 500;
