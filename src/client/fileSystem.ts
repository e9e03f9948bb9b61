/**
 * File system client used by `alluxio fs` and `runTests`: namespace calls on the leading
 * master, data streamed to and from workers according to the write and read types.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../conf/index.js';
import { MasterClient } from './masterClient.js';
import { clusterSecret } from '../clusterSecret.js';
import { WorkerClient, type BlockUpload, WORKER_CONNECT_TIMEOUT_MS } from './workerClient.js';
import { ShortCircuit, LocalFileUnusableError, LocalBlockWriter } from './shortCircuit.js';
import { BufferPool } from '../bufferPool.js';
import { UnavailableError, FailedPreconditionError, ResourceExhaustedError, BlockLostError, WorkerShuttingDownError, InternalError } from '../errors.js';

import type { WriteType, ReadType } from './types.js';

export { WRITE_TYPES, READ_TYPES, type WriteType, type ReadType } from './types.js';

export interface FileInfo {
  fileId: number; name: string; path: string; ufsPath: string; length: number; blockSizeBytes: number;
  creationTimeMs: number; lastModificationTimeMs: number; completed: boolean; folder: boolean; persisted: boolean;
  persistenceState: string; persistError: string; blockIds: number[]; inAlluxioPercentage: number; mode: number; owner: string; group: string;
  fileBlockInfos: { offset: number; blockInfo: { blockId: number; length: number; locations: BlockLocation[]; lostLocations?: BlockLocation[] } }[];
}

export interface BlockLocation { workerId: number; workerAddress: { host: string; rpcPort: number; webPort: number }; tierAlias: string }

export interface WorkerInfo {
  id: number; address: { host: string; rpcPort: number; webPort: number }; capacityBytes: number; usedBytes: number;
  state: string; lastContactSec: number; startTimeMs: number; blockCount: number; tiers: { alias: string; capacityBytes: number; usedBytes: number }[];
  /** sha256 of the worker's effective configuration, as it registered ('' from an older worker). */
  configHash?: string;
  /** The same over the keys every server should agree on ('' from an older worker). */
  sharedConfigHash?: string;
}

/** Options of FileSystem.read. */
export interface ReadOptions {
  /**
   * Read local (short-circuit) blocks into buffers of this pool; the consumer gives each yielded
   * buffer back to it once done with it (src/bufferPool.ts). Blocks from the data channel come
   * as views of the channel's socket slabs, which give() returns to their own pool; blocks from
   * the UFS are nobody's (give() ignores them).
   */
  buffers?: BufferPool;
}

export class FileSystem {
  readonly master: MasterClient;
  private workers = new Map<string, WorkerClient>();
  /**
   * Workers a write just failed on (down or shutting down, while the master may still list them
   * LIVE), by host:rpcPort, with the start time the master gave for that process: pickWorker skips
   * them until they re-register as a new process or alluxio.master.worker.timeout passes (by then
   * the master has marked a dead one LOST).
   */
  private avoided = new Map<string, { startTimeMs: number; until: number }>();

  /** The cluster secret, when this user may read it: workers accept only callers that send it. */
  private readonly secret: string | undefined;

  /** Short-circuit I/O with workers on this host (alluxio.user.short.circuit.enabled). */
  readonly shortCircuit: ShortCircuit;

  constructor(readonly conf: Config, master?: MasterClient) {
    this.secret = clusterSecret(conf);
    this.master = master ?? MasterClient.fromConf(conf);
    this.shortCircuit = new ShortCircuit(conf);
  }

  close(): void {
    this.master.close();
    for (const w of this.workers.values()) w.close();
    this.workers.clear();
  }

  worker(addr: { host: string; rpcPort: number }): WorkerClient {
    const key = addrKey(addr);
    let w = this.workers.get(key);
    if (!w) this.workers.set(key, (w = new WorkerClient(key, this.secret)));
    return w;
  }

  /**
   * Drop the connection to a worker that did not answer: grpc-js fails every call on it at once
   * until its next reconnect attempt (CHANNEL_OPTIONS backoff), even when the worker is back.
   */
  private forgetWorker(addr: { host: string; rpcPort: number }): void {
    const key = addrKey(addr);
    this.workers.get(key)?.close();
    this.workers.delete(key);
  }

  /**
   * A stream to this worker failed: a connection that failed is dropped (a refusal because it is
   * shutting down came over a working connection, which other streams still use).
   */
  private streamFailed(addr: { host: string; rpcPort: number }, e: unknown): void {
    if (e instanceof UnavailableError && !(e instanceof WorkerShuttingDownError)) this.forgetWorker(addr);
  }

  /** A write failed on `w`: drop a broken connection; one down or shutting down is skipped by pickWorker (see `avoided`). */
  writeFailed(w: WorkerInfo, e: unknown): void {
    this.streamFailed(w.address, e);
    if (e instanceof UnavailableError) this.avoided.set(addrKey(w.address), { startTimeMs: w.startTimeMs, until: Date.now() + this.conf.getMs('alluxio.master.worker.timeout') });
  }

  private isAvoided(w: WorkerInfo): boolean {
    const a = this.avoided.get(addrKey(w.address));
    if (!a) return false;
    if (a.startTimeMs === w.startTimeMs && Date.now() < a.until) return true;
    this.avoided.delete(addrKey(w.address));
    return false;
  }

  /**
   * A block or UFS stream on `w`, once the worker accepted it (a worker shutting down refuses it
   * here; one that does not answer, or a frozen one, fails after WORKER_CONNECT_TIMEOUT_MS at most
   * for the connection and as much for the acceptance).
   */
  async openStream(w: WorkerInfo, open: (c: WorkerClient) => BlockUpload): Promise<BlockUpload> {
    const c = this.worker(w.address);
    await c.connected();
    const s = open(c);
    let timer: NodeJS.Timeout | undefined;
    const frozen = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new UnavailableError(`${addrKey(w.address)} is unavailable: it did not accept a stream within ${WORKER_CONNECT_TIMEOUT_MS} ms`)), WORKER_CONNECT_TIMEOUT_MS);
    });
    try { await Promise.race([s.accepted, frozen]); } catch (e) { s.cancel(); throw e; } finally { clearTimeout(timer); }
    return s;
  }

  // ------------------------------------------------------------- namespace
  getStatus(path: string): Promise<FileInfo> { return this.master.call('file', 'GetStatus', { path }); }
  async exists(path: string): Promise<boolean> { return (await this.master.call('file', 'Exists', { path })).exists; }
  async listStatus(path: string, recursive = false): Promise<FileInfo[]> {
    return (await this.master.call('file', 'ListStatus', { path, recursive })).infos;
  }
  createDirectory(path: string, opts: { recursive?: boolean; allowExists?: boolean; writeType?: WriteType } = {}): Promise<FileInfo> {
    return this.master.call('file', 'CreateDirectory', {
      path, recursive: !!opts.recursive, allowExists: !!opts.allowExists, writeType: opts.writeType ?? this.defaultWriteType(), opId: randomUUID(),
    });
  }
  async delete(path: string, recursive = false): Promise<void> {
    await this.master.call('file', 'Remove', { path, recursive, opId: randomUUID() });
  }
  async rename(src: string, dst: string): Promise<void> {
    await this.master.call('file', 'Rename', { src, dst, opId: randomUUID() });
  }
  /** chown / chgrp / chmod: `mode` octal (755) or symbolic (u+x); omitted fields stay. */
  setAttribute(path: string, attrs: { owner?: string; group?: string; mode?: string; recursive?: boolean }): Promise<FileInfo> {
    return this.master.call('file', 'SetAttribute', {
      path, owner: attrs.owner ?? '', group: attrs.group ?? '', mode: attrs.mode ?? '', recursive: !!attrs.recursive, opId: randomUUID(),
    });
  }
  masterInfo(): Promise<any> { return this.master.call('meta', 'GetMasterInfo', {}); }
  async workerInfoList(includeLost = false): Promise<WorkerInfo[]> {
    return (await this.master.call('block', 'GetWorkerInfoList', { includeLost })).workerInfos;
  }

  defaultWriteType(): WriteType { return this.conf.getEnum('alluxio.user.file.writetype.default') as WriteType; }
  defaultReadType(): ReadType { return this.conf.getEnum('alluxio.user.file.readtype.default') as ReadType; }

  // ------------------------------------------------------------- data
  async createFile(path: string, opts: { writeType?: WriteType; recursive?: boolean; blockSize?: number } = {}): Promise<FileOutStream> {
    const writeType = opts.writeType ?? this.defaultWriteType();
    const blockSize = opts.blockSize ?? this.conf.getBytes('alluxio.user.block.size.bytes.default');
    const info: FileInfo = await this.master.call('file', 'CreateFile', {
      path, recursive: opts.recursive ?? true, blockSizeBytes: blockSize, writeType, opId: randomUUID(),
    });
    try {
      const worker = await this.pickWorker();
      return new FileOutStream(this, info, writeType, worker);
    } catch (e) {
      await this.delete(path).catch(() => {});
      throw e;
    }
  }

  /**
   * How long to wait for workers to (re-)register: right after a failover the new leader learns
   * the workers from their next heartbeat.
   */
  private workerWaitMs(): number {
    return Math.max(2000, 3 * this.conf.getMs('alluxio.worker.block.heartbeat.interval'));
  }

  /**
   * Local worker first (as Alluxio's LocalFirstPolicy), else the one with most free space.
   * `exclude`: host:rpcPort of workers that failed this file's writes; workers that failed a recent
   * write of this client (down or shutting down but still LIVE in the master) are skipped too.
   * `wait: false`: undefined at once when no such worker is there (a write moving on).
   */
  async pickWorker(exclude?: ReadonlySet<string>): Promise<WorkerInfo>;
  async pickWorker(exclude: ReadonlySet<string>, wait: false): Promise<WorkerInfo | undefined>;
  async pickWorker(exclude: ReadonlySet<string> = new Set(), wait = true): Promise<WorkerInfo | undefined> {
    const live = async () => (await this.workerInfoList()).filter((w) => w.state === 'LIVE' && !exclude.has(addrKey(w.address)) && !this.isAvoided(w));
    let workers = await live();
    for (const deadline = Date.now() + this.workerWaitMs(); wait && !workers.length && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 100));
      workers = await live();
    }
    if (!workers.length) {
      if (!wait) return undefined;
      throw new UnavailableError('No live worker is registered with the master', { hint: 'start workers with alluxio-start.sh workers (or worker) and check alluxio fsadmin report' });
    }
    const isLocal = await Promise.all(workers.map((w) => this.shortCircuit.isLocal(w.address.host)));
    const local = workers.filter((_, i) => isLocal[i]);
    const pool = local.length ? local : workers;
    return pool.sort((a, b) => (b.capacityBytes - b.usedBytes) - (a.capacityBytes - a.usedBytes))[0]!;
  }

  /**
   * Read a whole file as a stream of buffers. They are the consumer's to keep, except with
   * `opts.buffers`: then it gives each back to that pool when done with it (ReadOptions).
   */
  async *read(path: string, readType: ReadType = this.defaultReadType(), opts: ReadOptions = {}): AsyncIterable<Buffer> {
    let info = await this.getStatus(path);
    // Cached-only blocks without a location: after a failover their workers re-register within a
    // heartbeat. A block whose holder the master knows as LOST is not waited for (clear error at once).
    const missing = (i: FileInfo) => !i.persisted && i.fileBlockInfos.some((b) => b.blockInfo.locations.length === 0 && !b.blockInfo.lostLocations?.length);
    for (const deadline = Date.now() + this.workerWaitMs(); missing(info) && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 100));
      info = await this.getStatus(path);
    }
    if (info.folder) throw new FailedPreconditionError(`Path "${path}" is a directory, not a file`);
    if (!info.completed) throw new FailedPreconditionError(`File "${path}" is not complete yet (still being written)`);
    // Read-ahead of one block: the next block is requested while the current one streams, unless
    // it is read short-circuit (a local file needs no head start, and its lock would only keep the
    // block from being evicted or freed early).
    const blocks = info.fileBlockInfos;
    yield* readAhead(blocks.map((fbi) => () => this.readBlock(info, fbi, readType, opts.buffers)), async (i) => !(await this.localHolder(blocks[i]!.blockInfo.locations)));
  }

  async readAll(path: string, readType?: ReadType): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const b of this.read(path, readType)) parts.push(b);
    return Buffer.concat(parts);
  }

  /** One whole block of a file (its bytes, NO_CACHE), with the retries of a read. */
  async readBlockBytes(info: FileInfo, fbi: FileInfo['fileBlockInfos'][number]): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const b of this.readBlock(info, fbi, 'NO_CACHE')) parts.push(b);
    return Buffer.concat(parts);
  }

  /**
   * One block: from a worker that caches it (local first). When none serves it: a persisted
   * file is read from the UFS through another live worker (cached there again unless NO_CACHE); a
   * file that is not persisted waits and retries with back-off (alluxio.user.block.read.retry.*)
   * while its holders refuse (shutting down) or do not answer and the master still lists them:
   * a restarting worker comes back with the block on its disk. It fails with BlockLostError naming
   * the workers that hold its only copy at once when the master marks them LOST, or when the
   * bound passes. A read cut after handing out bytes resumes from there.
   */
  private async *readBlock(info: FileInfo, fbi: FileInfo['fileBlockInfos'][number], readType: ReadType, buffers?: BufferPool): AsyncIterable<Buffer> {
    const { blockId, length } = fbi.blockInfo;
    let { locations, lostLocations } = fbi.blockInfo;
    let sent = yield* this.readBlockShortCircuit(blockId, length, locations, readType, buffers);
    if (sent === length) return;
    const deadline = Date.now() + this.conf.getMs('alluxio.user.block.read.retry.max.duration');
    let sleep = this.conf.getMs('alluxio.user.block.read.retry.sleep.base');
    const sleepMax = this.conf.getMs('alluxio.user.block.read.retry.sleep.max');
    for (;;) {
      const locs = await this.localFirst(locations);
      const failed: { loc: BlockLocation; err: Error }[] = [];
      for (const loc of locs) {
        try {
          for await (const chunk of this.worker(loc.workerAddress).readBlock(blockId, sent, length - sent, readType === 'CACHE_PROMOTE')) {
            sent += chunk.length;
            yield chunk;
          }
          if (sent !== length) throw new FailedPreconditionError(`block ${blockId}: got ${sent} of ${length} bytes`);
          return;
        } catch (e) {
          this.streamFailed(loc.workerAddress, e);
          failed.push({ loc, err: e as Error });
        }
      }
      if (info.persisted) { yield* this.readUfsBlock(info, fbi, sent, readType, failed.map((f) => f.loc)); return; }
      // Only workers that refuse or do not answer are waited for; a holder failing otherwise, or the bound, ends it.
      const waitable = failed.length > 0 && failed.every((f) => f.err instanceof UnavailableError);
      if (!waitable || Date.now() + sleep > deadline) throw blockLostError(info, blockId, failed, lostLocations ?? []);
      await new Promise((r) => setTimeout(r, sleep));
      sleep = Math.min(2 * sleep, sleepMax);
      const fresh = await this.getStatus(info.path);
      const now = fresh.fileBlockInfos.find((b) => b.blockInfo.blockId === blockId);
      if (!now) throw new FailedPreconditionError(`block ${blockId} is no longer part of "${info.path}" (the file was replaced while being read)`);
      if (fresh.persisted) { yield* this.readUfsBlock(fresh, now, sent, readType, []); return; } // ASYNC_THROUGH persisted meanwhile
      ({ locations, lostLocations } = now.blockInfo);
      if (!locations.length) throw blockLostError(info, blockId, [], lostLocations ?? []); // the master marked its holders LOST
    }
  }

  /**
   * Bytes [from, length) of a persisted file's block, read from the UFS through a live worker
   * other than `skip`; a worker refusing or not answering is left for another (each once). Cached
   * on that worker only when the whole block is read (a partial block must never be cached).
   */
  private async *readUfsBlock(info: FileInfo, fbi: FileInfo['fileBlockInfos'][number], from: number, readType: ReadType, skip: BlockLocation[]): AsyncIterable<Buffer> {
    const { blockId, length } = fbi.blockInfo;
    const exclude = new Set(skip.map((l) => addrKey(l.workerAddress)));
    let sent = from;
    for (;;) {
      const worker = await this.pickWorker(exclude);
      try {
        for await (const chunk of this.worker(worker.address).readUfsBlock(info.ufsPath, blockId, fbi.offset + sent, length - sent, readType !== 'NO_CACHE' && sent === 0)) {
          sent += chunk.length;
          yield chunk;
        }
        return;
      } catch (e) {
        this.streamFailed(worker.address, e);
        if (!(e instanceof UnavailableError)) throw e;
        exclude.add(addrKey(worker.address));
      }
    }
  }

  // ------------------------------------------------------------- short-circuit
  /** The holder a block with these locations is read from short-circuit: the first on this host that allows it, if any. */
  private async localHolder(locations: BlockLocation[]): Promise<BlockLocation | undefined> {
    for (const loc of locations) if (await this.shortCircuit.usable(loc.workerAddress)) return loc;
    return undefined;
  }

  /** The holders on this host first (ShortCircuit.isLocal), each group in the master's order. */
  private async localFirst(locations: BlockLocation[]): Promise<BlockLocation[]> {
    const isLocal = await Promise.all(locations.map((l) => this.shortCircuit.isLocal(l.workerAddress.host)));
    return [...locations.filter((_, i) => isLocal[i]), ...locations.filter((_, i) => !isLocal[i])];
  }

  /**
   * Short-circuit read (docs/architecture.md, Short-circuit I/O): the block straight from its file
   * when a worker holding it is on this host; returns how many bytes it yielded (the data stream
   * takes the rest: all of it when short-circuit is off, no holder is local, or the file cannot be
   * opened; the remainder when the read failed midway).
   */
  private async *readBlockShortCircuit(blockId: number, length: number, locations: BlockLocation[], readType: ReadType, buffers?: BufferPool): AsyncGenerator<Buffer, number> {
    let sent = 0;
    const loc = await this.localHolder(locations);
    if (!loc) return sent;
    try {
      for await (const chunk of this.shortCircuit.read(this.worker(loc.workerAddress), blockId, 0, length, readType === 'CACHE_PROMOTE', buffers)) {
        sent += chunk.length;
        yield chunk;
      }
    } catch (e) {
      if (!(e instanceof LocalFileUnusableError)) {
        this.shortCircuit.log.debug(`short-circuit read of block ${blockId} from ${addrKey(loc.workerAddress)} failed after ${sent} bytes (${(e as Error).message}): reading the rest through the data stream`);
        this.streamFailed(loc.workerAddress, e);
      }
    }
    return sent;
  }

  /**
   * A block writer on worker `w`: straight into the worker's temp block file when it is on this
   * host (short-circuit), else the worker's data stream (also when the temp file cannot be opened).
   */
  async openBlockWriter(w: WorkerInfo, blockId: number, blockSize: number, pinned: boolean): Promise<BlockUpload | LocalBlockWriter> {
    if (await this.shortCircuit.usable(w.address)) {
      try {
        return await this.shortCircuit.create(this.worker(w.address), blockId, blockSize, pinned);
      } catch (e) {
        if (!(e instanceof LocalFileUnusableError)) throw e;
      }
    }
    return this.openStream(w, (c) => c.writeBlock(blockId, blockSize, '', pinned));
  }
}

const addrKey = (a: { host: string; rpcPort: number }) => `${a.host}:${a.rpcPort}`;

/** A file being written keeps its current block's bytes in chunks of this size (at most the block size)... */
const KEEP_CHUNK_BYTES = 4 * 1024 * 1024;
/** ...and holds at most this much of them free for the next block (larger blocks allocate the rest anew). */
const KEEP_MAX_BYTES = 64 * 1024 * 1024;

/**
 * The blocks' streams in order, each next one for which `ahead` says so started (its request sent,
 * its first chunk awaited) once the current one has delivered its first chunk: the worker sends the next block while this
 * one is consumed. What waits is bounded by the data channel's read buffer and TCP flow control.
 */
async function* readAhead(blocks: (() => AsyncIterable<Buffer>)[], ahead: (i: number) => Promise<boolean>): AsyncIterable<Buffer> {
  type Started = { it: AsyncIterator<Buffer>; first: Promise<IteratorResult<Buffer>> };
  const start = (i: number): Started => {
    const it = blocks[i]!()[Symbol.asyncIterator]();
    const first = it.next();
    first.catch(() => { /* thrown when its turn comes */ });
    return { it, first };
  };
  let cur: Started | undefined, next: Started | undefined;
  try {
    for (let i = 0; i < blocks.length; i++) {
      cur = next ?? start(i);
      next = undefined;
      let r = await cur.first;
      if (i + 1 < blocks.length && await ahead(i + 1)) next = start(i + 1);
      while (!r.done) {
        yield r.value;
        r = await cur.it.next();
      }
      cur = undefined;
    }
  } finally {
    // Abandoned (or failed): close both streams, so their connections and the worker's streams are freed.
    const close = (s: Started | undefined) => { if (s) void s.first.then(() => s.it.return?.(), () => {}).catch(() => {}); };
    close(cur);
    close(next);
  }
}

/**
 * The error for a block of a file that is not persisted and that no worker served: names the
 * file, the block and each worker holding its only copy, with what the operator can do.
 */
function blockLostError(info: FileInfo, blockId: number, failed: { loc: BlockLocation; err: Error }[], lost: BlockLocation[]): Error {
  const name = (l: BlockLocation) => `${addrKey(l.workerAddress)} (worker id ${l.workerId})`;
  const holders = [
    ...failed.map((f) => f.err instanceof UnavailableError
      ? `${name(f.loc)}, which does not answer (the master still lists it as LIVE)`
      : `${name(f.loc)}, which failed: ${f.err.message}`),
    ...lost.map((l) => `${name(l)}, which the master marked LOST (no heartbeat within alluxio.master.worker.timeout)`),
  ];
  const what = `Block ${blockId} of "${info.path}" cannot be read: the file is not persisted to the UFS (${info.persistenceState})`;
  if (!holders.length) {
    return new UnavailableError(`${what} and no worker holds the block`, {
      hint: 'if a worker that held it is down, restart it with its storage (alluxio-start.sh worker on its host); otherwise the data is lost',
    });
  }
  const hosts = [...new Set([...failed.map((f) => f.loc), ...lost].map((l) => l.workerAddress.host))].join(', ');
  return new BlockLostError(`${what} and its only copy is on worker ${holders.join('; and on worker ')}`, {
    hint: `restart that worker with its storage (alluxio-start.sh worker on ${hosts}): its blocks are still on its disk and it re-registers with them; if its disk is gone, the data of "${info.path}" is lost`,
    cause: failed[0]?.err,
  });
}

/**
 * Writes a file block by block to one worker (and/or the UFS, through a worker), then completes
 * it on the master. A worker that refuses or fails a stream before the block is acknowledged
 * (shutting down, down but still LIVE in the master, out of space) is left for another LIVE
 * worker, which then takes the rest of the file: the block is written there again, with the same
 * block id, from the bytes kept until the acknowledgement (up to one block of memory per open
 * file). The block is committed in the master only by a worker that received all of it, so a retry
 * never leaves a partial block; a worker that committed it but whose answer was lost holds the
 * same bytes under the same id (one more location, no duplicate data). The kept bytes are copied
 * into chunks that are reused for the next block once one is acknowledged (KEEP_CHUNK_BYTES):
 * a copy into fresh memory per write costs its page faults and unmapping, more than the copy.
 * A block written short-circuit keeps no copy: its bytes are in the temp block file the client
 * has open, and a retry reads them back from there (the open file outlives an abort's unlink).
 *
 * The UFS stream (THROUGH, CACHE_THROUGH) writes one temp file per attempt; it is written again on
 * another worker when it fails and everything it carried can be replayed: the bytes kept while
 * the file is at most one block long, else (CACHE_THROUGH) the completed blocks read back from the
 * workers plus the current block's bytes. A THROUGH file longer than a block whose UFS stream
 * fails cannot be replayed and fails as before (docs/reliability.md, Worker restarts).
 */
export class FileOutStream {
  private length = 0;
  /**
   * The block being written: its id, its stream and worker, and its bytes until the worker
   * acknowledges it: views of `chunks` (the last one filled up to `tailUsed`), or, while `inFile`,
   * only in the local temp block file its stream (a LocalBlockWriter) writes.
   */
  private block: { id: number; stream: BlockUpload | LocalBlockWriter; worker: WorkerInfo; chunks: Buffer[]; tailUsed: number; written: number; inFile: boolean } | undefined;
  /** Where the kept bytes are copied: chunks reused from block to block. */
  private readonly keep: BufferPool;
  /** Acknowledged blocks, in order (for replaying the UFS stream of a CACHE_THROUGH file). */
  private readonly done: { id: number; length: number }[] = [];
  private ufs: BlockUpload | undefined;
  /** The worker the UFS stream goes through (set before it is opened: a failed open blames it). */
  private ufsWorker: WorkerInfo;
  /** THROUGH: everything the UFS stream carried, while that is at most one block; undefined past that. */
  private ufsBytes: Buffer[] | undefined;
  private ufsHeld = 0;
  private closed = false;
  private readonly cache: boolean;
  private readonly through: boolean;
  /** host:rpcPort of the workers that failed a stream of this file. */
  private readonly failed = new Set<string>();
  /** The failure being retried (named when it cannot be). */
  private lastFailure: Error | undefined;

  /** `worker`: where new streams go; it changes when a worker fails one. */
  constructor(private fs: FileSystem, readonly info: FileInfo, readonly writeType: WriteType, private worker: WorkerInfo) {
    this.cache = writeType !== 'THROUGH';
    this.through = writeType === 'THROUGH' || writeType === 'CACHE_THROUGH';
    this.ufsWorker = worker;
    if (writeType === 'THROUGH') this.ufsBytes = [];
    const chunk = Math.min(KEEP_CHUNK_BYTES, info.blockSizeBytes);
    this.keep = new BufferPool(chunk, Math.max(1, Math.min(Math.ceil(info.blockSizeBytes / chunk), Math.floor(KEEP_MAX_BYTES / chunk))));
  }

  /** The worker this file's new streams go to (it changes when a worker fails one). */
  get currentWorker(): WorkerInfo { return this.worker; }

  async write(data: Buffer): Promise<void> {
    if (this.closed) throw new FailedPreconditionError(`stream for ${this.info.path} is closed`);
    if (this.through) await this.ufsWrite(data);
    if (this.cache) {
      let off = 0;
      while (off < data.length) {
        if (!this.block) {
          const { blockId } = await this.fs.master.call('file', 'GetNewBlockIdForFile', { path: this.info.path, opId: randomUUID() });
          const b = { id: blockId, chunks: [] as Buffer[], tailUsed: 0, written: 0 };
          await this.retrying(() => this.worker, async () => {
            const stream = await this.openBlock(blockId);
            this.block = { ...b, worker: this.worker, stream, inFile: stream instanceof LocalBlockWriter };
          });
        }
        const b = this.block!;
        const n = Math.min(data.length - off, this.info.blockSizeBytes - b.written);
        const src = data.subarray(off, off + n);
        // A copy (the caller may reuse its buffer once this returns), unless the bytes land in a local file.
        const piece = b.inFile ? [src] : this.kept(b, src);
        const pending = b.inFile ? src : undefined;
        b.written += n;
        let resent = false; // a reopened block stream already carries `piece`
        await this.retrying(() => b.worker, async () => { if (!resent) for (const p of piece) await b.stream.write(p); }, async () => { await this.reopenBlock(pending); resent = true; });
        off += n;
        if (b.written === this.info.blockSizeBytes) await this.finishBlock();
      }
    }
    this.length += data.length;
  }

  /** `data` copied into the block's kept chunks (a new chunk when the last is full): the views of the copy. */
  private kept(b: NonNullable<FileOutStream['block']>, data: Buffer): Buffer[] {
    const views: Buffer[] = [];
    for (let off = 0; off < data.length;) {
      let tail = b.chunks[b.chunks.length - 1];
      if (!tail || b.tailUsed === tail.length) { b.chunks.push((tail = this.keep.take())); b.tailUsed = 0; }
      const k = Math.min(data.length - off, tail.length - b.tailUsed);
      data.copy(tail, b.tailUsed, off, off + k);
      views.push(tail.subarray(b.tailUsed, b.tailUsed + k));
      b.tailUsed += k;
      off += k;
    }
    return views;
  }

  private openBlock(blockId: number): Promise<BlockUpload | LocalBlockWriter> {
    const pinned = this.writeType === 'MUST_CACHE' || this.writeType === 'ASYNC_THROUGH';
    return this.fs.openBlockWriter(this.worker, blockId, this.info.blockSizeBytes, pinned);
  }

  /**
   * The current block again from its first byte, on the current worker. `pending`: the caller's
   * piece being written when the block's bytes are in its local file (not kept), which may not
   * have reached it.
   */
  private async reopenBlock(pending?: Buffer): Promise<void> {
    const b = this.block!;
    let parts = await this.blockBytes(pending);
    b.stream.cancel();
    b.worker = this.worker;
    b.stream = await this.openBlock(b.id);
    if (b.inFile && !(b.stream instanceof LocalBlockWriter)) {
      // From now on the bytes travel over the network: kept in memory, as for any remote block
      // (the copies are what is sent: `pending` is the caller's buffer).
      b.inFile = false;
      parts = parts.flatMap((p) => this.kept(b, p));
    }
    for (const p of parts) await b.stream.write(p);
  }

  /** What the current block carried so far (with `pending` when its bytes are in its local file). */
  private async blockBytes(pending?: Buffer): Promise<Buffer[]> {
    const b = this.block!;
    if (!b.inFile) return b.chunks.map((c, i) => (i === b.chunks.length - 1 ? c.subarray(0, b.tailUsed) : c)); // whole chunks: few, large writes
    const before = b.written - (pending?.length ?? 0);
    const parts = [await (b.stream as LocalBlockWriter).readBack(before)];
    if (pending) parts.push(pending);
    return parts;
  }

  /**
   * Run `op`; when it fails, `on()` (the worker it ran on) is left for another LIVE worker that
   * has not failed this file, which takes the file's new streams; `redo` opens there again what
   * the failed worker lost, then `op` runs again. Each worker fails a file at most once: when none
   * is left, the last error is thrown.
   */
  private async retrying(on: () => WorkerInfo, op: () => Promise<void>, redo?: () => Promise<void>): Promise<void> {
    const blamed = new Set<string>();
    for (let first = true; ; first = false) {
      try {
        if (!first && redo) await redo();
        await op();
        return;
      } catch (e) {
        const bad = on();
        this.lastFailure = e as Error;
        if (blamed.has(addrKey(bad.address))) throw e; // no worker was left to try: the failure is not a worker's
        blamed.add(addrKey(bad.address));
        this.fs.writeFailed(bad, e);
        this.failed.add(addrKey(bad.address));
        const next = await this.fs.pickWorker(this.failed, false);
        if (!next) {
          if (e instanceof ResourceExhaustedError) e.message = `worker ${addrKey(bad.address)} is out of space: ${e.message}`;
          throw e;
        }
        this.worker = next;
      }
    }
  }

  private async finishBlock(): Promise<void> {
    const b = this.block;
    if (!b) return;
    await this.retrying(() => b.worker, async () => {
      const res = await b.stream.close();
      if (Number(res?.length) !== b.written) throw new InternalError(`worker ${addrKey(b.worker.address)} acknowledged ${res?.length} bytes of block ${b.id}, ${b.written} were sent`);
    }, () => this.reopenBlock());
    this.block = undefined;
    this.done.push({ id: b.id, length: b.written });
    for (const c of b.chunks) this.keep.give(c); // acknowledged: no stream holds them any more
  }

  // ----------------------------------------------------------- the UFS stream
  private async ufsWrite(data: Buffer): Promise<void> {
    let copy = data;
    if (this.ufsBytes) {
      this.ufsHeld += data.length;
      if (this.ufsHeld <= this.info.blockSizeBytes) this.ufsBytes.push(copy = Buffer.from(data)); // a copy: the caller may reuse its buffer
      else this.ufsBytes = undefined;
    }
    // The data is part of the replay when it was kept (ufsBytes); else it follows the replay.
    let replayed = false;
    if (!this.ufs) await this.retrying(() => this.worker, () => this.startUfs(false));
    await this.retrying(() => this.ufsWorker, async () => { if (!replayed) await this.ufs!.write(copy); }, async () => {
      replayed = !!this.ufsBytes;
      await this.startUfs(true);
    });
  }

  /** The UFS stream (again) on the current worker; `replay`: with every byte it carried so far. */
  private async startUfs(replay: boolean): Promise<void> {
    const parts = replay ? await this.ufsReplay() : []; // failing here blames no new worker
    this.ufs?.cancel();
    this.ufs = undefined;
    this.ufsWorker = this.worker;
    this.ufs = await this.fs.openStream(this.ufsWorker, (c) => c.writeUfsFile(this.info.fileId));
    for (const part of parts) await this.ufs.write(part);
  }

  /**
   * What the UFS stream carried: the kept bytes (THROUGH), or (CACHE_THROUGH) the completed blocks
   * read back from the workers plus the current block's bytes. Throws when neither is possible.
   */
  private async ufsReplay(): Promise<Buffer[]> {
    if (this.ufsBytes) return this.ufsBytes;
    if (!this.cache) {
      throw new UnavailableError(`the UFS write of "${this.info.path}" through worker ${addrKey(this.ufsWorker.address)} failed after more than one block (${this.info.blockSizeBytes} bytes): ${this.lastFailure?.message}; a THROUGH write is replayed on another worker only within its first block`, {
        hint: 'write the file again; CACHE_THROUGH writes are replayed from the cached blocks', cause: this.lastFailure,
      });
    }
    const parts: Buffer[] = [];
    if (this.done.length) {
      const st = await this.fs.getStatus(this.info.path); // fresh locations
      for (const d of this.done) {
        const fbi = st.fileBlockInfos.find((f) => f.blockInfo.blockId === d.id);
        if (!fbi) throw new InternalError(`block ${d.id} of "${this.info.path}" is not in the master`);
        parts.push(await this.fs.readBlockBytes(st, fbi));
      }
    }
    if (this.block) parts.push(...await this.blockBytes());
    return parts;
  }

  async close(): Promise<FileInfo> {
    if (this.closed) return this.info;
    this.closed = true;
    let tempUfsPath = '';
    try {
      await this.finishBlock();
      if (this.through) {
        if (!this.ufs) await this.retrying(() => this.worker, () => this.startUfs(false)); // an empty file
        await this.retrying(() => this.ufsWorker, async () => { tempUfsPath = (await this.ufs!.close()).tempUfsPath; }, () => this.startUfs(true));
      }
    } catch (e) {
      this.block?.stream.cancel();
      this.ufs?.cancel();
      await this.fs.delete(this.info.path).catch(() => {});
      throw e;
    }
    return this.fs.master.call('file', 'CompleteFile', {
      path: this.info.path, length: this.length, persisted: this.through, asyncPersist: this.writeType === 'ASYNC_THROUGH', tempUfsPath, opId: randomUUID(),
    });
  }

  /** Abandon the file: close streams and delete it. */
  async cancel(): Promise<void> {
    this.closed = true;
    this.block?.stream.cancel();
    this.ufs?.cancel();
    await this.fs.delete(this.info.path).catch(() => {});
  }
}
