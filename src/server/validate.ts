/**
 * Checks for request fields decoded from the network (convention 12), called at the top of rpc
 * handlers. grpc-js hands over whatever the protobuf decoded (int64 as a JS number, which may be
 * negative, fractional after a lossy conversion, or beyond 2^53), so every field a handler uses is
 * proven first: ids, offsets and lengths are non-negative safe integers, paths are bounded strings
 * without NUL or "..". Failures are typed (InvalidArgumentError, InvalidPathError) and name the
 * field and the bad value; they never throw anything else.
 */
import { InvalidArgumentError, InvalidPathError } from '../errors.js';
import { toServiceError } from '../rpc.js';

/** Longest path accepted from a client (Linux PATH_MAX). */
export const MAX_PATH_LENGTH = 4096;

function show(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : String(v);
  return s.length > 80 ? `${s.slice(0, 80)}...` : s;
}

/** The request message itself: an object (grpc-js gives one for every decodable message). */
export function requestObject(v: unknown, method: string): Record<string, any> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidArgumentError(`${method}: the request is not a message`);
  return v as Record<string, any>;
}

/** A non-negative safe integer (block ids, offsets, lengths, sizes). */
export function nonNegativeInt(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new InvalidArgumentError(`${field} must be an integer between 0 and ${Number.MAX_SAFE_INTEGER}, not ${show(v)}`);
  return v;
}

/** A bounded string (aliases, names). */
export function boundedString(v: unknown, field: string, max = 256): string {
  if (typeof v !== 'string') throw new InvalidArgumentError(`${field} must be a string, not ${show(v)}`);
  if (v.length > max) throw new InvalidArgumentError(`${field} is ${v.length} characters long (at most ${max})`);
  return v;
}

/**
 * An absolute local path from a client (UFS paths): non-empty, at most MAX_PATH_LENGTH
 * characters, no NUL, no "." or ".." component. Where it may point is the caller's check.
 */
export function clientPath(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') throw new InvalidPathError(`${field} must be a non-empty path, not ${show(v)}`);
  if (v.length > MAX_PATH_LENGTH) throw new InvalidPathError(`${field} is ${v.length} characters long (at most ${MAX_PATH_LENGTH})`);
  if (v.includes('\u0000')) throw new InvalidPathError(`${field} ${show(v)} contains a NUL character`);
  if (!v.startsWith('/')) throw new InvalidPathError(`${field} ${show(v)} is not absolute`);
  if (v.split('/').some((c) => c === '..' || c === '.')) throw new InvalidPathError(`${field} ${show(v)} has a "." or ".." component`);
  return v;
}

// ------------------------------------------------------------------ request schemas

/** Checks one decoded field; throws a typed error naming `field`. */
export type Check = (v: unknown, field: string) => void;

export const int: Check = (v, f) => { nonNegativeInt(v, f); };
export const str = (max = 256): Check => (v, f) => { boundedString(v, f, max); };
/** An Alluxio path as sent (normalizePath does the rest): bounded, no NUL. */
export const alluxioPath: Check = (v, f) => {
  boundedString(v, f, MAX_PATH_LENGTH);
  if ((v as string).includes('\u0000')) throw new InvalidPathError(`${f} ${show(v)} contains a NUL character`);
};
export const port: Check = (v, f) => { if (nonNegativeInt(v, f) > 65535) throw new InvalidArgumentError(`${f} must be a port (0-65535), not ${show(v)}`); };
export const list = (each: Check, max = 10_000_000): Check => (v, f) => {
  if (!Array.isArray(v)) throw new InvalidArgumentError(`${f} must be a list, not ${show(v)}`);
  if (v.length > max) throw new InvalidArgumentError(`${f} has ${v.length} items (at most ${max})`);
  v.forEach((x, i) => each(x, `${f}[${i}]`));
};
export const message = (fields: Record<string, Check>): Check => (v, f) => {
  const o = requestObject(v, f);
  for (const [k, check] of Object.entries(fields)) check(o[k], `${f}.${k}`);
};

/** Check `req` against the schema of `method` (its top-level fields). */
export function checkRequest(method: string, req: unknown, fields: Record<string, Check>): void {
  const o = requestObject(req, method);
  for (const [k, check] of Object.entries(fields)) check(o[k], `${method} ${k}`);
}

/**
 * `impl` with every unary method that has a schema checking its request first: a bad request is
 * answered with the check's typed error and never reaches the handler. Methods without a schema
 * are passed through (they read no request field).
 */
export function checkedService(impl: Record<string, any>, schemas: Record<string, Record<string, Check>>): Record<string, any> {
  const out: Record<string, any> = { ...impl };
  for (const [name, fields] of Object.entries(schemas)) {
    const handler = impl[name];
    if (typeof handler !== 'function') continue;
    out[name] = (call: { request: unknown }, cb: (err: unknown, res?: unknown) => void) => {
      try { checkRequest(name, call.request, fields); } catch (e) { cb(toServiceError(e)); return; }
      handler(call, cb);
    };
  }
  return out;
}

const tierUsage = list(message({ alias: str(), capacityBytes: int, usedBytes: int }), 64);
const opId = str();

/** The master's services (proto/*_master.proto): every field a handler reads, by service and method. */
export const MASTER_REQUESTS: Record<string, Record<string, Record<string, Check>>> = {
  file: {
    CreateDirectory: { path: alluxioPath, writeType: str(), opId },
    CreateFile: { path: alluxioPath, blockSizeBytes: int, writeType: str(), opId },
    GetNewBlockIdForFile: { path: alluxioPath, opId },
    CompleteFile: { path: alluxioPath, length: int, opId, tempUfsPath: str(MAX_PATH_LENGTH) },
    GetStatus: { path: alluxioPath },
    ListStatus: { path: alluxioPath },
    Remove: { path: alluxioPath, opId },
    Rename: { src: alluxioPath, dst: alluxioPath, opId },
    Exists: { path: alluxioPath },
    SetAttribute: { path: alluxioPath, owner: str(), group: str(), mode: str(64), opId },
  },
  block: {
    GetBlockInfo: { blockId: int },
  },
  blockWorker: {
    RegisterWorker: {
      address: message({ host: (v, f) => { if (boundedString(v, f) === '') throw new InvalidArgumentError(`${f} must not be empty`); }, rpcPort: port, webPort: port }),
      previousWorkerId: int, tiers: tierUsage, startTimeMs: int,
      blocks: list(message({ alias: str(), blockIds: list(int), lengths: list(int) }), 64),
      pinnedBlockIds: list(int),
    },
    BlockHeartbeat: {
      workerId: int, tiers: tierUsage, addedBlocks: list(message({ blockId: int, length: int, tierAlias: str() })),
      removedBlockIds: list(int),
      persistResults: list(message({ fileId: int, tempUfsPath: str(MAX_PATH_LENGTH), error: str(4096) }), 10_000),
      metrics: list(message({ name: str(), value: int }), 256),
    },
    CommitBlock: { workerId: int, blockId: int, length: int, tierAlias: str() },
  },
  journal: {
    AddQuorumServer: { address: str() },
    RemoveQuorumServer: { address: str() },
    TransferLeadership: { address: str() },
  },
};
