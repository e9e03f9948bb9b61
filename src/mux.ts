/**
 * Unary calls multiplexed over one gRPC stream (proto/mux.proto). grpc-js spends most of a unary
 * call's CPU on the HTTP/2 stream around it (headers, trailers, call objects) on both sides;
 * frames on a stream that stays open cost a fraction of that. Servers keep serving every method
 * as a plain unary call too: the mux is only a cheaper road to the same handlers, with the same
 * messages, status codes and error metadata.
 */
import * as grpc from '@grpc/grpc-js';
import { protos, CHANNEL_OPTIONS, fromServiceError } from './rpc.js';
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
      const reply = (r: MuxResponse) => { if (!stream.destroyed && stream.writable) stream.write(r); };
      stream.on('data', (req: MuxRequest) => {
        const route = routes.get(req.path);
        if (!route) { reply({ id: req.id, failed: true, code: grpc.status.UNIMPLEMENTED, details: `unknown method ${req.path}` }); return; }
        let request: unknown;
        try { request = route.def.requestDeserialize(req.payload); } catch (e) {
          reply({ id: req.id, failed: true, code: grpc.status.INTERNAL, details: `cannot decode the request of ${req.path}: ${(e as Error).message}` });
          return;
        }
        // The handlers read only `request` (and may ask for the peer).
        const call = { request, metadata: new grpc.Metadata(), cancelled: false, getPeer: () => stream.getPeer() } as unknown as grpc.ServerUnaryCall<unknown, unknown>;
        route.handler(call, (err, res) => {
          if (err) {
            const md = (err as Partial<grpc.ServiceError>).metadata;
            const str = (k: string) => { const v = md?.get(k)?.[0]; return typeof v === 'string' ? v : ''; };
            reply({ id: req.id, failed: true, code: err.code ?? grpc.status.UNKNOWN, details: err.details ?? (err as Error).message ?? '', alluxioCode: str('alluxio-code'), extra: str('alluxio-extra') });
          } else {
            reply({ id: req.id, payload: route.def.responseSerialize(res) });
          }
        });
      });
      stream.on('end', () => stream.end());
      stream.on('error', () => { /* the client went away */ });
    },
  });
}

interface Pending { resolve(v: any): void; reject(e: AlluxioError): void; timer: NodeJS.Timeout; decode: (b: Buffer) => unknown; target: string }

/** The client end: one stream to one server address, opened on first use and after a failure. */
export class MuxChannel {
  private client: grpc.Client;
  private stream: grpc.ClientDuplexStream<MuxRequest, MuxResponse> | undefined;
  private pending = new Map<number, Pending>();
  private nextId = 1;
  /** The server does not serve the mux (UNIMPLEMENTED): callers use plain unary calls. */
  unsupported = false;

  constructor(private readonly address: string, channelOverride?: ReturnType<grpc.Client['getChannel']>) {
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
      this.pending.set(id, { resolve, reject, timer, decode: def.responseDeserialize, target: this.address });
      let payload: Buffer;
      try { payload = def.requestSerialize(req); } catch (e) {
        this.settle(id)?.reject(fromServiceError({ code: grpc.status.INTERNAL, details: (e as Error).message, metadata: new grpc.Metadata() } as grpc.ServiceError, this.address));
        return;
      }
      this.open().write({ id, path: def.path, payload });
    });
  }

  private open(): grpc.ClientDuplexStream<MuxRequest, MuxResponse> {
    if (this.stream) return this.stream;
    const st = (this.client as any).Calls() as grpc.ClientDuplexStream<MuxRequest, MuxResponse>;
    st.on('data', (r: MuxResponse) => {
      const p = this.settle(Number(r.id));
      if (!p) return; // timed out already
      if (!r.failed) {
        try { p.resolve(p.decode(r.payload ?? Buffer.alloc(0))); } catch (e) { p.reject(new UnavailableError(`${p.target} sent an undecodable reply: ${(e as Error).message}`)); }
        return;
      }
      const md = new grpc.Metadata();
      if (r.alluxioCode) md.set('alluxio-code', r.alluxioCode);
      if (r.extra) md.set('alluxio-extra', r.extra);
      p.reject(fromServiceError({ code: r.code ?? grpc.status.UNKNOWN, details: r.details ?? '', metadata: md } as grpc.ServiceError, p.target));
    });
    const fail = (err: Partial<grpc.ServiceError> | undefined) => {
      if (this.stream !== st) return;
      this.stream = undefined;
      if (err?.code === grpc.status.UNIMPLEMENTED) this.unsupported = true;
      const e = fromServiceError({ code: err?.code ?? grpc.status.UNAVAILABLE, details: err?.details ?? 'stream closed', metadata: err?.metadata ?? new grpc.Metadata() } as grpc.ServiceError, this.address);
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
