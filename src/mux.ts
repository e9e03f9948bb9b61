/**
 * Unary calls multiplexed over one gRPC stream (proto/mux.proto). grpc-js spends most of a unary
 * call's CPU on the HTTP/2 stream around it (headers, trailers, call objects) on both sides;
 * frames on a stream that stays open cost a fraction of that. Servers keep serving every method
 * as a plain unary call too: the mux is only a cheaper road to the same handlers, with the same
 * messages, status codes and error metadata.
 */
import * as grpc from '@grpc/grpc-js';
import { protos, CHANNEL_OPTIONS, fromServiceError, ERROR_CODE_KEY, ERROR_EXTRA_KEY } from './rpc.js';
import { TimeoutError, UnavailableError, type AlluxioError } from './errors.js';

interface MuxRequest { id: number; path: string; payload: Buffer }
interface MuxResponse { id: number; payload?: Buffer; failed?: boolean; code?: number; details?: string; alluxioCode?: string; extra?: string }

/**
 * Serve, on `server`, the MuxService that dispatches to the unary methods of `services`
 * (definition + implementation, as given to addService).
 */
export function addMuxService(server: grpc.Server, services: [grpc.ServiceDefinition, grpc.UntypedServiceImplementation][]): void {
  const routes = new Map<string, { def: grpc.MethodDefinition<unknown, unknown>; handler: grpc.handleUnaryCall<unknown, unknown> }>();
  for (const [definition, impl] of services) {
    for (const [name, def] of Object.entries(definition)) {
      if (def.requestStream || def.responseStream || typeof impl[name] !== 'function') continue;
      routes.set(def.path, { def, handler: impl[name] as grpc.handleUnaryCall<unknown, unknown> });
    }
  }
  server.addService(protos().mux.MuxService.service, {
    Calls: (stream: grpc.ServerDuplexStream<MuxRequest, MuxResponse>) => {
      const reply = (r: MuxResponse) => {
        try { if (!stream.destroyed && stream.writable) stream.write(r); } catch { stream.destroy(); }
      };
      // Every frame is hostile: a bad one is answered (when it has an id to answer) and never
      // throws out of this handler; the stream and the other calls on it go on.
      stream.on('data', (req: MuxRequest) => {
        const safeId = typeof req?.id === 'number' && Number.isSafeInteger(req.id) && req.id >= 0;
        const id = safeId ? req.id : 0; // an id the client cannot have sent is answered as 0
        const fail = (code: grpc.status, details: string) => reply({ id, failed: true, code, details });
        try {
          if (!safeId) { fail(grpc.status.INVALID_ARGUMENT, `call id ${String(req?.id)} is not an integer between 0 and ${Number.MAX_SAFE_INTEGER}`); return; }
          const route = typeof req.path === 'string' ? routes.get(req.path) : undefined;
          if (!route) { fail(grpc.status.UNIMPLEMENTED, `unknown method ${JSON.stringify(String(req.path).slice(0, 200))}`); return; }
          let request: unknown;
          try { request = route.def.requestDeserialize(Buffer.isBuffer(req.payload) ? req.payload : Buffer.alloc(0)); } catch (e) {
            fail(grpc.status.INVALID_ARGUMENT, `cannot decode the request of ${req.path}: ${(e as Error).message}`);
            return;
          }
          // The handlers read `request` and the metadata the client opened the stream with (its
          // user), and may ask for the peer.
          const call = { request, metadata: stream.metadata, cancelled: false, getPeer: () => stream.getPeer() } as unknown as grpc.ServerUnaryCall<unknown, unknown>;
          route.handler(call, (err, res) => {
            if (err) {
              const md = (err as Partial<grpc.ServiceError>).metadata;
              const str = (k: string) => { const v = md?.get(k)?.[0]; return typeof v === 'string' ? v : ''; };
              reply({ id, failed: true, code: err.code ?? grpc.status.UNKNOWN, details: err.details ?? (err as Error).message ?? '', alluxioCode: str(ERROR_CODE_KEY), extra: str(ERROR_EXTRA_KEY) });
              return;
            }
            let payload: Buffer;
            try { payload = route.def.responseSerialize(res); } catch (e) { fail(grpc.status.INTERNAL, `cannot encode the reply of ${req.path}: ${(e as Error).message}`); return; }
            reply({ id, payload });
          });
        } catch (e) {
          fail(grpc.status.INTERNAL, `${(e as Error)?.message ?? String(e)}`);
        }
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
        this.settle(id)?.reject(this.statusError(grpc.status.INTERNAL, (e as Error).message));
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
      const md = new grpc.Metadata();
      if (r.alluxioCode) md.set(ERROR_CODE_KEY, r.alluxioCode);
      if (r.extra) md.set(ERROR_EXTRA_KEY, r.extra);
      p.reject(this.statusError(r.code ?? grpc.status.UNKNOWN, r.details ?? '', md));
    });
    const fail = (err: Partial<grpc.ServiceError> | undefined) => {
      if (this.stream !== st) return;
      this.stream = undefined;
      if (err?.code === grpc.status.UNIMPLEMENTED) this.unsupported = true;
      const e = this.statusError(err?.code ?? grpc.status.UNAVAILABLE, err?.details ?? 'stream closed', err?.metadata);
      for (const id of [...this.pending.keys()]) this.settle(id)?.reject(e);
    };
    st.on('error', (err: grpc.ServiceError) => fail(err));
    st.on('end', () => fail(undefined));
    this.stream = st;
    return st;
  }

  /** Our typed error for a gRPC status from this server, as a unary call would give it. */
  private statusError(code: grpc.status, details: string, metadata = new grpc.Metadata()): AlluxioError {
    return fromServiceError({ code, details, metadata } as grpc.ServiceError, this.address);
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
