/**
 * How Raft messages travel between masters. The driver only sees `Transport`; production uses
 * gRPC on alluxio.master.embedded.journal.port, tests and the simulation use the in-memory twin
 * (which can drop, delay and partition).
 *
 * Delivery is best effort: Raft tolerates loss, duplication and reordering, so a failed send is
 * dropped (and counted), never retried here.
 */
import * as grpc from '@grpc/grpc-js';
import { protos, bindServer, CHANNEL_OPTIONS, unary } from '../../rpc.js';
import type { Message, NodeId } from './types.js';
import { secretServerInterceptors, secretClientInterceptors } from '../../clusterSecret.js';

export interface Transport {
  /** Send messages (any destinations); returns at once. */
  send(messages: readonly Message[]): void;
  /** Register the receiver of messages addressed to this node. */
  onMessage(handler: (m: Message) => void): void;
  close(): Promise<void>;
}

/** In-memory network for tests: every node's transport shares one hub. */
export class MemoryNetwork {
  private handlers = new Map<NodeId, (m: Message) => void>();
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
      close: async () => { this.handlers.delete(id); },
    };
  }

  /** Cut (both directions) between `a` and every node of `others`. */
  partition(a: NodeId, others: readonly NodeId[]): void {
    for (const b of others) { this.cut.add(`${a}>${b}`); this.cut.add(`${b}>${a}`); }
  }

  heal(): void { this.cut.clear(); }
}

/**
 * gRPC transport. `peers` maps node ids to `host:port` of their embedded journal port; node ids
 * are those addresses themselves in production (alluxio.master.embedded.journal.addresses).
 */
export class GrpcTransport implements Transport {
  private readonly server: grpc.Server;
  private clients = new Map<NodeId, grpc.Client>();
  private streams = new Map<NodeId, grpc.ClientWritableStream<unknown>>();
  private handler: ((m: Message) => void) | undefined;
  /** Sends that failed (peer down, ...): Raft will retry through its own protocol. */
  failures = 0;

  /** `secret`: the cluster secret; when set, peers must send it (and this node sends it). */
  private constructor(readonly id: NodeId, private peers: Map<NodeId, string>, private readonly clusterId: string, private readonly secret?: string) {
    this.server = new grpc.Server({ ...CHANNEL_OPTIONS, interceptors: secretServerInterceptors(secret, `embedded journal ${id}`) });
  }

  static async start(id: NodeId, bind: { host: string; port: number }, peers: ReadonlyMap<NodeId, string>, clusterId = '', secret?: string): Promise<{ transport: GrpcTransport; port: number }> {
    const t = new GrpcTransport(id, new Map(peers), clusterId, secret);
    const receive = (req: { from: string; clusterId: string; messages: string[] }) => {
      if (t.clusterId && req.clusterId && req.clusterId !== t.clusterId) return; // another cluster: ignore
      for (const s of req.messages) t.handler?.(JSON.parse(s) as Message);
    };
    t.server.addService(protos().raft.RaftJournalService.service, {
      Deliver: unary(async (req: { from: string; clusterId: string; messages: string[] }) => { receive(req); return {}; }),
      Stream: (call: grpc.ServerReadableStream<{ from: string; clusterId: string; messages: string[] }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        call.on('data', receive);
        call.on('end', () => cb(null, {}));
        call.on('error', () => { /* the peer went away; it reconnects */ });
      },
    });
    const port = await bindServer(t.server, bind.host, bind.port);
    return { transport: t, port };
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
      st.write({ from: this.id, clusterId: this.clusterId, messages: list });
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
    }) as grpc.ClientWritableStream<unknown>;
    st.on('error', () => { if (this.streams.get(to) === st) this.streams.delete(to); });
    this.streams.set(to, st);
    return st;
  }

  onMessage(handler: (m: Message) => void): void { this.handler = handler; }

  async close(): Promise<void> {
    for (const st of this.streams.values()) st.end();
    this.streams.clear();
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
    await new Promise<void>((r) => this.server.tryShutdown(() => r()));
  }
}
