/**
 * gRPC plumbing shared by servers and clients: loading the .proto files, mapping our typed
 * errors to gRPC statuses and back, and promisified unary calls with deadlines.
 */
import * as grpc from '@grpc/grpc-js';
import { AlluxioError, errorFromCode, UnavailableError, TimeoutError, InternalError, NotLeaderError } from './errors.js';
import { loadProtoRoot, packageDefinition } from './protoRoot.js';

let loaded: grpc.GrpcObject | undefined;
/** The loaded proto package tree (alluxio.grpc.*): its services. Loaded once per process (src/protoRoot.ts). */
export function protos(): any {
  if (!loaded) loaded = grpc.loadPackageDefinition(packageDefinition(loadProtoRoot()));
  return (loaded as any).alluxio.grpc;
}

/** Channel options shared by every client and server: big messages, fast reconnects. */
export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  'grpc.max_send_message_length': 64 * 1024 * 1024,
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1000,
  'grpc.keepalive_time_ms': 30_000,
  // Per-call bookkeeping for a channelz admin service we do not serve: pure overhead.
  'grpc.enable_channelz': 0,
  // No DNS TXT query for a service config with every new channel (grpc-js asks the name server
  // even for `localhost`, a round trip out of the cluster per process); we publish none.
  'grpc.service_config_disable_resolution': 1,
};

const STATUS_BY_CODE: Record<string, grpc.status> = {
  FILE_DOES_NOT_EXIST: grpc.status.NOT_FOUND,
  BLOCK_DOES_NOT_EXIST: grpc.status.NOT_FOUND,
  FILE_ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
  DIRECTORY_NOT_EMPTY: grpc.status.FAILED_PRECONDITION,
  FAILED_PRECONDITION: grpc.status.FAILED_PRECONDITION,
  INVALID_PATH: grpc.status.INVALID_ARGUMENT,
  INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
  USAGE: grpc.status.INVALID_ARGUMENT,
  CONFIG: grpc.status.INVALID_ARGUMENT,
  RESOURCE_EXHAUSTED: grpc.status.RESOURCE_EXHAUSTED,
  NOT_LEADER: grpc.status.UNAVAILABLE,
  UNAVAILABLE: grpc.status.UNAVAILABLE,
  WORKER_SHUTTING_DOWN: grpc.status.UNAVAILABLE,
  TIMEOUT: grpc.status.DEADLINE_EXCEEDED,
  PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
  UNAUTHENTICATED: grpc.status.UNAUTHENTICATED,
};

/** Metadata key carrying the caller's login user (alluxio.security.authentication.type=SIMPLE). */
export const USER_KEY = 'alluxio-user';

/** Metadata keys carrying our error code and its extra fields (path, leader) across gRPC. */
export const ERROR_CODE_KEY = 'alluxio-code';
export const ERROR_EXTRA_KEY = 'alluxio-extra';

/**
 * JSON whose every character outside printable ASCII is a `\uXXXX` escape: grpc-js refuses
 * any other metadata string value (a path such as /données would make the answer throw).
 */
/** `s` with every lone surrogate replaced by U+FFFD (String.prototype.toWellFormed, ES2024). */
export function wellFormed(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

function asciiJson(v: unknown): string {
  return JSON.stringify(v).replace(/[^ -~]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Turn any thrown value into a gRPC ServiceError carrying our error code in metadata. Details and
 * fields come from requests too (paths), so they are made safe to send: well-formed UTF-16 (grpc-js
 * percent-encodes details with encodeURI, which throws on a lone surrogate) and ASCII metadata.
 */
export function toServiceError(e: unknown): Partial<grpc.ServiceError> {
  const md = new grpc.Metadata();
  if (e instanceof AlluxioError) {
    md.set(ERROR_CODE_KEY, e.code);
    const extra: Record<string, string> = {};
    if ('path' in e && typeof (e as any).path === 'string') extra.path = wellFormed((e as any).path as string);
    if (e instanceof NotLeaderError && e.leader) extra.leader = e.leader;
    md.set(ERROR_EXTRA_KEY, asciiJson(extra));
    return { code: STATUS_BY_CODE[e.code] ?? grpc.status.UNKNOWN, details: wellFormed(e.message), metadata: md };
  }
  const msg = e instanceof Error ? e.message : String(e);
  md.set(ERROR_CODE_KEY, 'INTERNAL');
  return { code: grpc.status.INTERNAL, details: wellFormed(msg), metadata: md };
}

/**
 * grpc-js's own text for a failed connection, made readable: it ends with `. Resolution note: `
 * even when the note is empty, and repeats `Error: ` from the socket error:
 * `No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: `
 * becomes `No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1`.
 */
export function cleanGrpcDetails(details: string): string {
  return details
    .replace(/\.? Resolution note: *$/, '')
    .replace(/Last error: (?:Error: )+/g, 'Last error: ');
}

/** Turn a gRPC error from a call to `target` back into one of our typed errors. */
export function fromServiceError(err: grpc.ServiceError, target: string): AlluxioError {
  const code = err.metadata?.get(ERROR_CODE_KEY)?.[0];
  if (typeof code === 'string') {
    const extraRaw = err.metadata.get(ERROR_EXTRA_KEY)?.[0];
    let extra: Record<string, string> = {};
    try { if (typeof extraRaw === 'string') extra = JSON.parse(extraRaw); } catch { /* keep empty */ }
    return errorFromCode(code, err.details, extra);
  }
  const details = cleanGrpcDetails(err.details ?? '');
  if (err.code === grpc.status.UNAVAILABLE) return new UnavailableError(`${target} is unavailable: ${details}`);
  if (err.code === grpc.status.DEADLINE_EXCEEDED) return new TimeoutError(`call to ${target} timed out: ${details}`);
  return new InternalError(`call to ${target} failed: ${details}`);
}

/** Wrap an async handler as a grpc-js unary handler. */
export function unary<Req, Res>(fn: (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res> | Res): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => fn(call.request, call))
      .then((res) => callback(null, res), (e) => callback(toServiceError(e) as grpc.ServiceError));
  };
}

/** Call a unary method with a deadline and typed errors (and `metadata`, e.g. the caller's user). */
export function callUnary<Res>(client: grpc.Client, method: string, req: unknown, timeoutMs: number, target: string, metadata = new grpc.Metadata()): Promise<Res> {
  return new Promise((resolve, reject) => {
    const deadline = new Date(Date.now() + timeoutMs);
    (client as any)[method](req, metadata, { deadline }, (err: grpc.ServiceError | null, res: Res) => {
      if (err) reject(fromServiceError(err, target));
      else resolve(res);
    });
  });
}

/** Bind a gRPC server on host:port; resolves with the bound port. */
export function bindServer(server: grpc.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
      if (err) reject(err);
      else resolve(bound);
    });
  });
}
