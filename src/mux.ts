/**
 * Unary calls multiplexed over one gRPC stream (proto/mux.proto). grpc-js spends most of a unary
 * call's CPU on the HTTP/2 stream around it (headers, trailers, call objects) on both sides;
 * frames on a stream that stays open cost a fraction of that. Servers keep serving every method
 * as a plain unary call too: the mux is only a cheaper road to the same handlers, with the same
 * messages, status codes and error metadata.
 */
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { protos, CHANNEL_OPTIONS, fromServiceError, ERROR_CODE_KEY, ERROR_EXTRA_KEY, USER_KEY } from './rpc.js';
import { TimeoutError, UnavailableError, FailedPreconditionError, type AlluxioError } from './errors.js';
import { FrameParser, FRAME_HEADER_BYTES, encodeFrame, frameHeader } from './frames.js';
import { SharedPort, type PortProtocol } from './sharedPort.js';
import { splitHostPort } from './conf/hosts.js';

interface MuxRequest { id: number; path: string; payload: Buffer }
interface MuxResponse { id: number; payload?: Buffer; failed?: boolean; code?: number; details?: string; alluxioCode?: string; extra?: string }

/** The outcome of one call, whichever transport carried it: a reply or an error (status and metadata). */
export interface MuxOutcome { payload?: Buffer; failed?: boolean; code?: number; details?: string; alluxioCode?: string; extra?: string }

/** What a handler sees of the connection a multiplexed call came on (the user: metadata USER_KEY). */
export interface MuxCallContext { metadata: grpc.Metadata; getPeer(): string }

type Services = [grpc.ServiceDefinition, grpc.UntypedServiceImplementation][];

/**
 * The routing table of both mux transports (the gRPC stream, addMuxService; the framed TCP
 * protocol, FramedMuxServer): the unary methods of `services` by path, and the one place where a
 * multiplexed call is decoded, handed to its unary handler and its reply or error encoded.
 */
export class MuxRoutes {
  private readonly routes = new Map<string, { def: grpc.MethodDefinition<unknown, unknown>; handler: grpc.handleUnaryCall<unknown, unknown> }>();

  /** `services`: definition + implementation, as given to addService. */
  constructor(services: Services) {
    for (const [definition, impl] of services) {
      for (const [name, def] of Object.entries(definition)) {
        if (def.requestStream || def.responseStream || typeof impl[name] !== 'function') continue;
        this.routes.set(def.path, { def, handler: impl[name] as grpc.handleUnaryCall<unknown, unknown> });
      }
    }
  }

  /**
   * Run the call of `path` with `payload` (both as received: hostile until checked) and hand its
   * outcome to `done`, once. Never throws: a bad call is answered with a status.
   */
  dispatch(path: unknown, payload: unknown, ctx: MuxCallContext, done: (o: MuxOutcome) => void): void {
    const fail = (code: grpc.status, details: string) => done({ failed: true, code, details });
    try {
      const route = typeof path === 'string' ? this.routes.get(path) : undefined;
      if (!route) { fail(grpc.status.UNIMPLEMENTED, `unknown method ${JSON.stringify(String(path).slice(0, 200))}`); return; }
      let request: unknown;
      try { request = route.def.requestDeserialize(Buffer.isBuffer(payload) ? payload : Buffer.alloc(0)); } catch (e) {
        fail(grpc.status.INVALID_ARGUMENT, `cannot decode the request of ${path as string}: ${(e as Error).message}`);
        return;
      }
      // The handlers read `request` and the metadata of the connection (its user), and may ask for the peer.
      const call = { request, metadata: ctx.metadata, cancelled: false, getPeer: () => ctx.getPeer() } as unknown as grpc.ServerUnaryCall<unknown, unknown>;
      route.handler(call, (err, res) => {
        if (err) {
          const md = (err as Partial<grpc.ServiceError>).metadata;
          const str = (k: string) => { const v = md?.get(k)?.[0]; return typeof v === 'string' ? v : ''; };
          done({ failed: true, code: err.code ?? grpc.status.UNKNOWN, details: err.details ?? (err as Error).message ?? '', alluxioCode: str(ERROR_CODE_KEY), extra: str(ERROR_EXTRA_KEY) });
          return;
        }
        let out: Buffer;
        try { out = route.def.responseSerialize(res); } catch (e) { fail(grpc.status.INTERNAL, `cannot encode the reply of ${path as string}: ${(e as Error).message}`); return; }
        done({ payload: out });
      });
    } catch (e) {
      fail(grpc.status.INTERNAL, `${(e as Error)?.message ?? String(e)}`);
    }
  }
}

/** Our typed error for an outcome that failed, as a unary call to `address` would give it. */
function outcomeError(o: MuxOutcome, address: string): AlluxioError {
  const md = new grpc.Metadata();
  if (o.alluxioCode) md.set(ERROR_CODE_KEY, o.alluxioCode);
  if (o.extra) md.set(ERROR_EXTRA_KEY, o.extra);
  return statusError(o.code ?? grpc.status.UNKNOWN, o.details ?? '', address, md);
}

/** Our typed error for a gRPC status from `address`, as a unary call would give it. */
function statusError(code: grpc.status, details: string, address: string, metadata = new grpc.Metadata()): AlluxioError {
  return fromServiceError({ code, details, metadata } as grpc.ServiceError, address);
}

/**
 * Serve, on `server`, the MuxService that dispatches to the unary methods of `routes` (or of
 * `services`: definition + implementation, as given to addService).
 */
export function addMuxService(server: grpc.Server, routes: MuxRoutes | Services): void {
  const table = routes instanceof MuxRoutes ? routes : new MuxRoutes(routes);
  server.addService(protos().mux.MuxService.service, {
    Calls: (stream: grpc.ServerDuplexStream<MuxRequest, MuxResponse>) => {
      const reply = (r: MuxResponse) => {
        try { if (!stream.destroyed && stream.writable) stream.write(r); } catch { stream.destroy(); }
      };
      const ctx: MuxCallContext = { metadata: stream.metadata, getPeer: () => stream.getPeer() };
      // Every frame is hostile: a bad one is answered (when it has an id to answer) and never
      // throws out of this handler; the stream and the other calls on it go on.
      stream.on('data', (req: MuxRequest) => {
        const safeId = typeof req?.id === 'number' && Number.isSafeInteger(req.id) && req.id >= 0;
        if (!safeId) {
          // An id the client cannot have sent is answered as 0.
          reply({ id: 0, failed: true, code: grpc.status.INVALID_ARGUMENT, details: `call id ${String(req?.id)} is not an integer between 0 and ${Number.MAX_SAFE_INTEGER}` });
          return;
        }
        table.dispatch(req.path, req.payload, ctx, (o) => reply({ id: req.id, ...o }));
      });
      stream.on('end', () => stream.end());
      stream.on('error', () => { /* the client went away */ });
    },
  });
}

interface Pending { resolve(v: any): void; reject(e: AlluxioError): void; timer: NodeJS.Timeout; decode: (b: Buffer) => unknown }

/** The client end: one stream to one server address, opened on first use and after a failure. */
export class MuxChannel {
  private client: grpc.Client;
  private stream: grpc.ClientDuplexStream<MuxRequest, MuxResponse> | undefined;
  private pending = new Map<number, Pending>();
  private nextId = 1;
  /** The server does not serve the mux (UNIMPLEMENTED): callers use plain unary calls. */
  unsupported = false;

  /** `metadata` is sent when the stream opens and applies to every call on it (e.g. the user). */
  constructor(private readonly address: string, channelOverride?: ReturnType<grpc.Client['getChannel']>, private readonly metadata = new grpc.Metadata()) {
    const opts: grpc.ClientOptions = channelOverride ? { channelOverride: channelOverride as unknown as grpc.ClientOptions['channelOverride'] } : {};
    this.client = new (protos().mux.MuxService)(address, grpc.credentials.createInsecure(), { ...CHANNEL_OPTIONS, ...opts }) as grpc.Client;
  }

  /** Call `def` (a unary method definition) with `req`; typed errors as callUnary gives. */
  call<Res>(def: grpc.MethodDefinition<unknown, unknown>, req: unknown, timeoutMs: number): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        if (this.pending.delete(id)) reject(new TimeoutError(`call to ${this.address} timed out: ${def.path} took over ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, decode: def.responseDeserialize });
      let payload: Buffer;
      try { payload = def.requestSerialize(req); } catch (e) {
        this.settle(id)?.reject(statusError(grpc.status.INTERNAL, (e as Error).message, this.address));
        return;
      }
      this.open().write({ id, path: def.path, payload });
    });
  }

  private open(): grpc.ClientDuplexStream<MuxRequest, MuxResponse> {
    if (this.stream) return this.stream;
    const st = (this.client as any).Calls(this.metadata.clone()) as grpc.ClientDuplexStream<MuxRequest, MuxResponse>;
    st.on('data', (r: MuxResponse) => {
      const p = this.settle(Number(r.id));
      if (!p) return; // timed out already
      if (!r.failed) {
        try { p.resolve(p.decode(r.payload ?? Buffer.alloc(0))); } catch (e) { p.reject(new UnavailableError(`${this.address} sent an undecodable reply: ${(e as Error).message}`)); }
        return;
      }
      p.reject(outcomeError(r, this.address));
    });
    const fail = (err: Partial<grpc.ServiceError> | undefined) => {
      if (this.stream !== st) return;
      this.stream = undefined;
      if (err?.code === grpc.status.UNIMPLEMENTED) this.unsupported = true;
      const e = statusError(err?.code ?? grpc.status.UNAVAILABLE, err?.details ?? 'stream closed', this.address, err?.metadata);
      for (const id of [...this.pending.keys()]) this.settle(id)?.reject(e);
    };
    st.on('error', (err: grpc.ServiceError) => fail(err));
    st.on('end', () => fail(undefined));
    this.stream = st;
    return st;
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    clearTimeout(p.timer);
    this.pending.delete(id);
    return p;
  }

  close(): void {
    this.stream?.end();
    this.stream = undefined;
    this.client.close();
  }
}

// ------------------------------------------------------------------ the framed protocol

/**
 * The framed mux: the same calls as the gRPC stream above, on a plain TCP connection to the
 * master's rpc port (src/sharedPort.ts routes connections that start with MUX_MAGIC here), in the
 * frames of src/frames.ts. A call costs one write and one read on each side: no HTTP/2 framing,
 * flow control or per-message call objects of grpc-js.
 *
 *   client: MUX_MAGIC, HELLO {version, user} (JSON), then CALL frames, and PING while calls wait;
 *   server: WELCOME {version} (JSON), REPLY / ERROR frames by call id, PONG, and GOAWAY (a reason,
 *   UTF-8) before it closes a connection that broke the protocol.
 *
 *   CALL:  [id u32][path length u8][method path][request message]
 *   REPLY: [id u32][response message]
 *   ERROR: [id u32][JSON {code, details, alluxioCode, extra}] (the gRPC status and error metadata)
 */
export const MUX_MAGIC = Buffer.from('ALXM');
/** Version of the framed mux; a master answers a HELLO of another version with its own and closes. */
export const MUX_VERSION = 1;
const T = { HELLO: 1, WELCOME: 2, CALL: 3, REPLY: 4, ERROR: 5, PING: 6, PONG: 7, GOAWAY: 8 } as const;
/** Largest request or response message (as grpc.max_receive_message_length of CHANNEL_OPTIONS). */
export const MAX_MUX_MESSAGE = 64 * 1024 * 1024;
/** A method path's length is one byte; a HELLO, WELCOME, PING or GOAWAY is small. */
const MAX_PATH = 255;
const MAX_USER = 255;
const MAX_SMALL_FRAME = 4096;
/** An ERROR's JSON (details are cut to MAX_ERROR_DETAILS characters by the master). */
const MAX_ERROR_FRAME = 256 * 1024;
const MAX_ERROR_DETAILS = 64 * 1024;
const ID_BYTES = 4;
/** Calls a master runs at once for one connection; more are answered RESOURCE_EXHAUSTED. */
export const MAX_SERVER_CALLS_IN_FLIGHT = 4096;
/** Calls a client has on one connection at once; more wait for a slot (below the master's bound). */
export const MAX_CLIENT_CALLS_IN_FLIGHT = 1024;
/** How long a master that once closed the framed protocol's HELLO unanswered is called over gRPC before it is tried again. */
const UNSUPPORTED_RECHECK_MS = 60_000;

function errorFrame(id: number, o: MuxOutcome): Buffer {
  const details = (o.details ?? '').slice(0, MAX_ERROR_DETAILS);
  const json = Buffer.from(JSON.stringify({ code: o.code ?? grpc.status.UNKNOWN, details, alluxioCode: o.alluxioCode ?? '', extra: o.extra ?? '' }));
  const b = Buffer.allocUnsafe(FRAME_HEADER_BYTES + ID_BYTES + json.length);
  frameHeader(T.ERROR, ID_BYTES + json.length).copy(b, 0);
  b.writeUInt32BE(id, FRAME_HEADER_BYTES);
  json.copy(b, FRAME_HEADER_BYTES + ID_BYTES);
  return b;
}

function replyFrame(id: number, payload: Buffer): Buffer {
  const b = Buffer.allocUnsafe(FRAME_HEADER_BYTES + ID_BYTES + payload.length);
  b.writeUInt8(T.REPLY, 0);
  b.writeUInt32BE(ID_BYTES + payload.length, 1);
  b.writeUInt32BE(id, FRAME_HEADER_BYTES);
  payload.copy(b, FRAME_HEADER_BYTES + ID_BYTES);
  return b;
}

function callFrame(id: number, path: Buffer, payload: Buffer): Buffer {
  const n = ID_BYTES + 1 + path.length + payload.length;
  const b = Buffer.allocUnsafe(FRAME_HEADER_BYTES + n);
  b.writeUInt8(T.CALL, 0);
  b.writeUInt32BE(n, 1);
  b.writeUInt32BE(id, FRAME_HEADER_BYTES);
  b.writeUInt8(path.length, FRAME_HEADER_BYTES + ID_BYTES);
  path.copy(b, FRAME_HEADER_BYTES + ID_BYTES + 1);
  payload.copy(b, FRAME_HEADER_BYTES + ID_BYTES + 1 + path.length);
  return b;
}

interface ServerConn { inFlight: number; close(why?: string): void }

/**
 * The master's end of the framed mux: `protocol` goes into the rpc port's SharedPort. Every
 * frame is hostile: a call that can be answered is (unknown method, undecodable request, too
 * many in flight, a CALL before the HELLO), anything else (unknown frame type, a length over the
 * bound, a frame too short for its fields, a second HELLO) closes that connection after a GOAWAY
 * naming the reason; nothing throws out of a socket's handlers.
 */
export class FramedMuxServer {
  private readonly conns = new Set<ServerConn>();
  private onIdle: (() => void) | undefined;
  readonly protocol: PortProtocol;

  constructor(private readonly routes: MuxRoutes) {
    this.protocol = { magic: MUX_MAGIC, accept: (s, rest) => this.accept(s, rest) };
  }

  private accept(s: net.Socket, rest: Buffer): void {
    let ctx: MuxCallContext | undefined;
    let closed = false;
    let paused = false;
    const conn: ServerConn = { inFlight: 0, close: (why) => close(why) };
    this.conns.add(conn);
    const close = (why?: string) => {
      if (closed) return;
      closed = true;
      parser.stop();
      this.conns.delete(conn);
      this.checkIdle();
      if (why === undefined || s.destroyed) { s.destroy(); return; }
      // Say why, then close; a peer that does not read is cut off after a second.
      s.end(encodeFrame(T.GOAWAY, why.slice(0, MAX_SMALL_FRAME / 4)));
      setTimeout(() => s.destroy(), 1000).unref();
    };
    const send = (b: Buffer) => {
      if (closed || s.destroyed) return;
      // A client that does not read its replies is not read either (its calls wait in its socket).
      if (!s.write(b) && !paused) {
        paused = true;
        s.pause();
        s.once('drain', () => { paused = false; if (!closed) s.resume(); });
      }
    };
    const onFrame = (type: number, p: Buffer) => {
      if (type === T.PING) { send(encodeFrame(T.PONG, p)); return; }
      if (type === T.HELLO) {
        if (ctx) { close('a second HELLO'); return; }
        let hello: { version?: unknown; user?: unknown };
        try { hello = JSON.parse(p.toString('utf8')) as typeof hello; } catch { hello = {}; }
        const user = hello?.user;
        if (!Number.isSafeInteger(hello?.version) || typeof user !== 'string' || user.length > MAX_USER) {
          close(`a HELLO must be JSON {version: integer, user: string of at most ${MAX_USER} characters}`);
          return;
        }
        send(encodeFrame(T.WELCOME, JSON.stringify({ version: MUX_VERSION })));
        if (hello.version !== MUX_VERSION) { close(`this master speaks version ${MUX_VERSION} of the framed mux, the client ${String(hello.version)}`); return; }
        const metadata = new grpc.Metadata();
        if (user) metadata.set(USER_KEY, user);
        const peer = `${s.remoteAddress}:${s.remotePort}`; // as grpc-js's getPeer
        ctx = { metadata, getPeer: () => peer };
        return;
      }
      // type === T.CALL (the parser knows no other type from a client)
      if (p.length < ID_BYTES + 1) { close(`a CALL frame of ${p.length} bytes has no room for its id and path length`); return; }
      const id = p.readUInt32BE(0);
      const pathEnd = ID_BYTES + 1 + p.readUInt8(ID_BYTES);
      if (pathEnd > p.length) { close(`CALL ${id}: its method path runs past the frame`); return; }
      if (!ctx) {
        send(errorFrame(id, { code: grpc.status.FAILED_PRECONDITION, details: 'a CALL before the HELLO' }));
        close('a CALL before the HELLO');
        return;
      }
      if (conn.inFlight >= MAX_SERVER_CALLS_IN_FLIGHT) {
        send(errorFrame(id, { code: grpc.status.RESOURCE_EXHAUSTED, details: `more than ${MAX_SERVER_CALLS_IN_FLIGHT} calls in flight on one connection` }));
        return;
      }
      conn.inFlight++;
      // The request is decoded in this turn (dispatch), while `p` is valid.
      this.routes.dispatch(p.toString('utf8', ID_BYTES + 1, pathEnd), p.subarray(pathEnd), ctx, (o) => {
        conn.inFlight--;
        if (o.failed) send(errorFrame(id, o));
        else if (o.payload!.length > MAX_MUX_MESSAGE) send(errorFrame(id, { code: grpc.status.RESOURCE_EXHAUSTED, details: `the reply is ${o.payload!.length} bytes, more than ${MAX_MUX_MESSAGE}` }));
        else send(replyFrame(id, o.payload!));
        if (conn.inFlight === 0) this.checkIdle();
      });
    };
    const parser = new FrameParser(`metadata call connection from ${s.remoteAddress}:${s.remotePort}`, (t) => {
      if (t === T.CALL) return ID_BYTES + 1 + MAX_PATH + MAX_MUX_MESSAGE;
      return t === T.HELLO || t === T.PING ? MAX_SMALL_FRAME : -1;
    }, onFrame);
    const onData = (c: Buffer) => {
      try { parser.push(c); } catch (e) { close((e as Error).message); }
    };
    s.on('data', onData);
    s.on('error', () => close());
    s.on('close', () => close());
    if (rest.length) onData(rest);
    s.resume();
  }

  private checkIdle(): void {
    if (this.onIdle && [...this.conns].every((c) => c.inFlight === 0)) this.onIdle();
  }

  /**
   * Stop: calls in flight get up to `graceMs` to finish (as on the gRPC transport, where the
   * master's gRPC shutdown waits as long), then every connection is closed; their clients'
   * calls fail as Unavailable and are retried on the next leader.
   */
  async close(graceMs: number): Promise<void> {
    if ([...this.conns].some((c) => c.inFlight > 0)) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((r) => { this.onIdle = r; timer = setTimeout(r, graceMs); });
      clearTimeout(timer);
      this.onIdle = undefined;
    }
    for (const c of [...this.conns]) c.close();
  }
}

/**
 * What a master's rpc port serves: `server` (gRPC, with `routes`' methods added already as
 * plain unary services) gets the gRPC mux, and one SharedPort takes every connection: HTTP/2 to
 * `server`, MUX_MAGIC to the framed mux. `timeoutMs`: the longest wait for a connection's first
 * bytes. Listen with port.listen; stop with framed.close (grace for calls in flight), the gRPC
 * server's shutdown, then port.close.
 */
export function muxPort(server: grpc.Server, routes: MuxRoutes, timeoutMs: number): { port: SharedPort; framed: FramedMuxServer } {
  addMuxService(server, routes);
  const framed = new FramedMuxServer(routes);
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  return { framed, port: new SharedPort({ timeoutMs, http2: (s) => injector.injectConnection(s), protocols: [framed.protocol] }) };
}

/** Liveness of a framed connection with calls waiting, as MASTER_CHANNEL_OPTIONS's keepalive. */
export interface FramedMuxOptions {
  /** A PING this often while calls wait (default 1 s). */
  pingMs?: number;
  /** The connection is dropped when a PING is not answered (by any frame) within this (default 2 s). */
  pingTimeoutMs?: number;
}

interface ClientConn {
  socket: net.Socket;
  parser: FrameParser;
  /** The TCP connection was established. */
  connected: boolean;
  /** A frame of the framed mux came back (the master speaks the protocol). */
  spoke: boolean;
  dead: boolean;
  /** Dropped for lack of an answer to a PING (not a sign that the protocol is unknown). */
  silent: boolean;
  /** The error calls fail with instead of Unavailable (a version mismatch). */
  error?: AlluxioError;
  pingTimer?: NodeJS.Timeout;
  interval: NodeJS.Timeout;
}

/**
 * The client end of the framed mux: one TCP connection to one master, opened on first use and
 * after a failure, the calls multiplexed on it by id. A dropped or refused connection fails its
 * calls as UnavailableError (MasterClient then looks for the leader); a master that closes the
 * connection before it answers the HELLO (it does not serve the framed mux, or is not a master)
 * sets `unsupported` for UNSUPPORTED_RECHECK_MS, and those calls, which it never ran, are made
 * over gRPC by the caller.
 */
export class FramedMuxChannel {
  private conn: ClientConn | undefined;
  private pending = new Map<number, Pending>();
  /** Calls waiting for a slot (MAX_CLIENT_CALLS_IN_FLIGHT). */
  private waiting: (() => void)[] = [];
  private nextId = 1;
  private unsupportedUntil = 0;
  private readonly paths = new Map<string, Buffer>();
  private readonly pingMs: number;
  private readonly pingTimeoutMs: number;

  constructor(private readonly address: string, private readonly user = '', opts: FramedMuxOptions = {}) {
    this.pingMs = opts.pingMs ?? 1000;
    this.pingTimeoutMs = opts.pingTimeoutMs ?? 2000;
  }

  /** The master did not answer the HELLO lately: call it over gRPC. */
  get unsupported(): boolean { return performance.now() < this.unsupportedUntil; }

  /** Call `def` (a unary method definition) with `req`; typed errors as callUnary gives. */
  call<Res>(def: grpc.MethodDefinition<unknown, unknown>, req: unknown, timeoutMs: number): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      let id = 0;
      let sent = false;
      const timer = setTimeout(() => {
        const e = new TimeoutError(`call to ${this.address} timed out: ${def.path} took over ${timeoutMs} ms`);
        if (!sent) { this.waiting = this.waiting.filter((w) => w !== send); reject(e); return; }
        this.settle(id)?.reject(e);
        this.next();
      }, timeoutMs);
      let payload: Buffer;
      try {
        payload = def.requestSerialize(req);
        if (payload.length > MAX_MUX_MESSAGE) throw new Error(`the request is ${payload.length} bytes, more than ${MAX_MUX_MESSAGE}`);
      } catch (e) {
        clearTimeout(timer);
        reject(statusError(grpc.status.INTERNAL, `${def.path}: ${(e as Error).message}`, this.address));
        return;
      }
      let path = this.paths.get(def.path);
      if (!path) { path = Buffer.from(def.path); this.paths.set(def.path, path); }
      if (path.length > MAX_PATH) { clearTimeout(timer); reject(statusError(grpc.status.INTERNAL, `method path ${def.path} is longer than ${MAX_PATH} bytes`, this.address)); return; }
      const send = () => {
        sent = true;
        do id = this.nextId = (this.nextId % 0xffffffff) + 1; while (this.pending.has(id));
        this.pending.set(id, { resolve, reject, timer, decode: def.responseDeserialize });
        let conn: ClientConn;
        try { conn = this.open(); } catch (e) { // e.g. an address without a valid port
          this.settle(id)?.reject(statusError(grpc.status.UNAVAILABLE, (e as Error).message, this.address));
          return;
        }
        if (this.pending.size === 1) conn.socket.ref();
        conn.socket.write(callFrame(id, path, payload));
      };
      if (this.pending.size >= MAX_CLIENT_CALLS_IN_FLIGHT) this.waiting.push(send);
      else send();
    });
  }

  private open(): ClientConn {
    if (this.conn) return this.conn;
    const { host, port } = splitHostPort(this.address);
    const socket = net.connect({ host, port, noDelay: true });
    const conn: ClientConn = {
      socket, connected: false, spoke: false, dead: false, silent: false,
      parser: new FrameParser(`the framed mux of ${this.address}`, (t) => {
        if (t === T.REPLY) return ID_BYTES + MAX_MUX_MESSAGE;
        if (t === T.ERROR) return ID_BYTES + MAX_ERROR_FRAME;
        return t === T.WELCOME || t === T.PONG || t === T.GOAWAY ? MAX_SMALL_FRAME : -1;
      }, (t, p) => this.onFrame(conn, t, p)),
      interval: setInterval(() => this.keepalive(conn), this.pingMs).unref(),
    };
    socket.on('connect', () => { conn.connected = true; });
    socket.on('data', (c: Buffer) => {
      if (conn.pingTimer) { clearTimeout(conn.pingTimer); conn.pingTimer = undefined; }
      try { conn.parser.push(c); } catch (e) { this.drop(conn, `it sent what is not the framed mux: ${(e as Error).message}`); }
    });
    socket.on('error', (e) => this.drop(conn, e.message));
    socket.on('close', () => this.drop(conn, 'the connection was closed'));
    socket.write(Buffer.concat([MUX_MAGIC, encodeFrame(T.HELLO, JSON.stringify({ version: MUX_VERSION, user: this.user }))]));
    this.conn = conn;
    return conn;
  }

  private onFrame(conn: ClientConn, type: number, p: Buffer): void {
    if (type === T.WELCOME) {
      let version: unknown;
      try { version = (JSON.parse(p.toString('utf8')) as { version?: unknown })?.version; } catch { /* below */ }
      conn.spoke = true;
      if (version !== MUX_VERSION) {
        conn.error = new FailedPreconditionError(`${this.address} speaks version ${String(version)} of the framed mux (metadata calls), this client version ${MUX_VERSION}`, {
          hint: 'run clients of the same Alluxio version as the masters',
        });
        this.drop(conn, 'version mismatch');
      }
      return;
    }
    if (type === T.PONG) return;
    if (type === T.GOAWAY) { conn.spoke = true; this.drop(conn, `it closed the connection: ${p.toString('utf8')}`); return; }
    if (p.length < ID_BYTES) { this.drop(conn, `it sent a frame of type ${type} without a call id`); return; }
    conn.spoke = true;
    const pend = this.settle(p.readUInt32BE(0));
    if (!pend) return; // timed out already
    if (type === T.REPLY) {
      try { pend.resolve(pend.decode(p.subarray(ID_BYTES))); } catch (e) { pend.reject(new UnavailableError(`${this.address} sent an undecodable reply: ${(e as Error).message}`)); }
    } else {
      let o: MuxOutcome;
      try { o = JSON.parse(p.toString('utf8', ID_BYTES)) as MuxOutcome; } catch { o = { code: grpc.status.INTERNAL, details: 'an undecodable error' }; }
      pend.reject(outcomeError({
        code: typeof o?.code === 'number' ? o.code : grpc.status.UNKNOWN,
        details: typeof o?.details === 'string' ? o.details : '',
        alluxioCode: typeof o?.alluxioCode === 'string' ? o.alluxioCode : '',
        extra: typeof o?.extra === 'string' ? o.extra : '',
      }, this.address));
    }
    this.next();
  }

  /** Every pingMs while calls wait: a PING, and the connection dropped when nothing comes back within pingTimeoutMs. */
  private keepalive(conn: ClientConn): void {
    if (conn.dead || conn.pingTimer || this.pending.size === 0) return;
    conn.socket.write(encodeFrame(T.PING, Buffer.alloc(8)));
    conn.pingTimer = setTimeout(() => {
      conn.silent = true;
      this.drop(conn, `no answer to a ping within ${this.pingTimeoutMs} ms (the master is frozen, overloaded or cut off)`);
    }, this.pingTimeoutMs);
  }

  /** Close `conn` and fail the calls on it (the channel opens a new connection for the next call). */
  private drop(conn: ClientConn, why: string): void {
    if (conn.dead) return;
    conn.dead = true;
    clearInterval(conn.interval);
    clearTimeout(conn.pingTimer);
    conn.parser.stop();
    conn.socket.destroy();
    if (this.conn !== conn) return;
    this.conn = undefined;
    if (conn.connected && !conn.spoke && !conn.silent) this.unsupportedUntil = performance.now() + UNSUPPORTED_RECHECK_MS;
    const e = conn.error ?? statusError(grpc.status.UNAVAILABLE, why, this.address);
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(e);
    // Calls that waited for a slot go on a new connection.
    while (this.waiting.length && this.pending.size < MAX_CLIENT_CALLS_IN_FLIGHT) this.waiting.shift()!();
  }

  /** A slot is free: send a waiting call. */
  private next(): void {
    if (this.waiting.length && this.pending.size < MAX_CLIENT_CALLS_IN_FLIGHT) this.waiting.shift()!();
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    clearTimeout(p.timer);
    this.pending.delete(id);
    // An idle connection does not keep the process alive (as grpc-js's idle channels).
    if (this.pending.size === 0) this.conn?.socket.unref();
    return p;
  }

  /** Close the connection; calls in flight fail as Unavailable. */
  close(): void {
    if (this.conn) this.drop(this.conn, 'the client was closed');
  }
}
