/**
 * One listening port for gRPC and our framed protocols (as Alluxio 2.x serves data and RPC on
 * one worker port). Each accepted connection's first four bytes decide where it goes: the
 * HTTP/2 preface ("PRI ") to grpc-js (Server.createConnectionInjector), a protocol's magic to
 * that protocol's handler with the bytes read after the magic; anything else is closed, and so
 * is a connection that sends fewer than four bytes within `timeoutMs`.
 *
 * Users: the worker's rpc port (the data channel, src/dataProtocol.ts), the master's rpc port
 * (metadata calls, src/mux.ts) and the embedded journal port (Raft messages,
 * src/journal/raft/transport.ts).
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';

/** Length of every magic, and of the HTTP/2 preface's first bytes compared with it. */
export const MAGIC_BYTES = 4;
export const HTTP2_PREFIX = Buffer.from('PRI ');

export interface PortProtocol {
  /** MAGIC_BYTES bytes a connection of this protocol starts with. */
  magic: Buffer;
  /** Take a connection (paused; `rest`: the bytes that followed the magic in its first reads). */
  accept(socket: net.Socket, rest: Buffer): void;
}

export interface SharedPortOptions {
  /** Longest wait for a connection's first MAGIC_BYTES bytes. */
  timeoutMs: number;
  /** Connections that are HTTP/2 (gRPC). */
  http2: (socket: Duplex) => void;
  protocols: readonly PortProtocol[];
}

export class SharedPort {
  private tcp: net.Server | undefined;
  /** Every connection accepted and not closed yet, whatever it went to: close() ends them all. */
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly opts: SharedPortOptions) {
    for (const p of opts.protocols) {
      if (p.magic.length !== MAGIC_BYTES || p.magic.equals(HTTP2_PREFIX)) throw new Error(`a port protocol's magic must be ${MAGIC_BYTES} bytes other than the HTTP/2 preface`);
    }
  }

  /** Listen on host:port (0: any free port); resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    const tcp = net.createServer({ noDelay: true }, (s) => this.accept(s));
    this.tcp = tcp;
    return new Promise((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen({ host, port }, () => { tcp.off('error', reject); resolve((tcp.address() as net.AddressInfo).port); });
    });
  }

  /**
   * Stop accepting and destroy every connection. Connections handed to gRPC are closed here too:
   * gRPC's forced shutdown leaves an injected connection open while its client keeps it, and the
   * listener's close() would wait for it.
   */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r()));
  }

  /** A new TCP connection: sniff its first bytes, then hand it to gRPC or to its protocol. */
  accept(s: net.Socket): void {
    s.setNoDelay(true);
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
    const got: Buffer[] = [];
    let n = 0;
    const timer = setTimeout(() => s.destroy(), this.opts.timeoutMs);
    const onData = (c: Buffer) => {
      got.push(c);
      n += c.length;
      if (n < MAGIC_BYTES) return;
      clearTimeout(timer);
      s.off('data', onData);
      s.off('error', onError);
      s.pause();
      const head = Buffer.concat(got);
      const magic = head.subarray(0, MAGIC_BYTES);
      if (magic.equals(HTTP2_PREFIX)) {
        s.unshift(head);
        this.opts.http2(s);
        return;
      }
      const p = this.opts.protocols.find((x) => x.magic.equals(magic));
      if (p) p.accept(s, head.subarray(MAGIC_BYTES));
      else s.destroy(); // no protocol of this port: nothing to answer in
    };
    const onError = () => { clearTimeout(timer); s.destroy(); };
    s.on('data', onData);
    s.on('error', onError);
    s.once('close', () => clearTimeout(timer));
  }
}
