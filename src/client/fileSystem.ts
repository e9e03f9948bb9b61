/**
 * File system client used by `alluxio fs` and `runTests`: namespace calls on the leading
 * master, data streamed to and from workers according to the write and read types.
 */
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Config } from '../conf/index.js';
import { MasterClient } from './masterClient.js';
import { clusterSecret } from '../clusterSecret.js';
import { WorkerClient, UploadStream } from './workerClient.js';
import { UnavailableError, FailedPreconditionError, ResourceExhaustedError, BlockLostError } from '../errors.js';

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

const localNames = new Set(['localhost', '127.0.0.1', os.hostname()]);

export class FileSystem {
  readonly master: MasterClient;
  private workers = new Map<string, WorkerClient>();

  /** The cluster secret, when this user may read it: workers accept only callers that send it. */
  private readonly secret: string | undefined;

  constructor(readonly conf: Config, master?: MasterClient) {
    this.secret = clusterSecret(conf);
    this.master = master ?? MasterClient.fromConf(conf);
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
   * `exclude`: host:rpcPort of workers that just failed to answer (down but still LIVE in the master).
   */
  async pickWorker(exclude: ReadonlySet<string> = new Set()): Promise<WorkerInfo> {
    const live = async () => (await this.workerInfoList()).filter((w) => w.state === 'LIVE' && !exclude.has(addrKey(w.address)));
    let workers = await live();
    for (const deadline = Date.now() + this.workerWaitMs(); !workers.length && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 100));
      workers = await live();
    }
    if (!workers.length) {
      throw new UnavailableError('No live worker is registered with the master', { hint: 'start workers with alluxio-start.sh workers (or worker) and check alluxio fsadmin report' });
    }
    const local = workers.filter((w) => localNames.has(w.address.host));
    const pool = local.length ? local : workers;
    return pool.sort((a, b) => (b.capacityBytes - b.usedBytes) - (a.capacityBytes - a.usedBytes))[0]!;
  }

  /** Read a whole file as a stream of buffers. */
  async *read(path: string, readType: ReadType = this.defaultReadType()): AsyncIterable<Buffer> {
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
    for (const fbi of info.fileBlockInfos) yield* this.readBlock(info, fbi, readType);
  }

  async readAll(path: string, readType?: ReadType): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const b of this.read(path, readType)) parts.push(b);
    return Buffer.concat(parts);
  }

  /**
   * One block: from a worker that caches it (local first); when none answers, a persisted file
   * is read from the UFS through another live worker (cached there again unless NO_CACHE), and
   * a file that is not persisted fails at once with BlockLostError naming the workers that hold
   * its only copy (LOST in the master, or not answering while still LIVE).
   */
  private async *readBlock(info: FileInfo, fbi: FileInfo['fileBlockInfos'][number], readType: ReadType): AsyncIterable<Buffer> {
    const { blockId, length } = fbi.blockInfo;
    const locs = [...fbi.blockInfo.locations].sort((a, b) => Number(localNames.has(b.workerAddress.host)) - Number(localNames.has(a.workerAddress.host)));
    const failed: { loc: BlockLocation; err: Error }[] = [];
    for (const loc of locs) {
      let sent = 0;
      try {
        for await (const chunk of this.worker(loc.workerAddress).readBlock(blockId, 0, length, readType === 'CACHE_PROMOTE')) {
          sent += chunk.length;
          yield chunk;
        }
        if (sent !== length) throw new FailedPreconditionError(`block ${blockId}: got ${sent} of ${length} bytes`);
        return;
      } catch (e) {
        if (e instanceof UnavailableError) this.forgetWorker(loc.workerAddress);
        if (sent > 0) throw e; // partial data was already handed out
        failed.push({ loc, err: e as Error });
      }
    }
    if (!info.persisted) throw blockLostError(info, blockId, failed, fbi.blockInfo.lostLocations ?? []);
    const worker = await this.pickWorker(new Set(failed.map((f) => addrKey(f.loc.workerAddress))));
    yield* this.worker(worker.address).readUfsBlock(info.ufsPath, blockId, fbi.offset, length, readType !== 'NO_CACHE');
  }
}

const addrKey = (a: { host: string; rpcPort: number }) => `${a.host}:${a.rpcPort}`;

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

/** Writes a file block by block to one worker (and/or the UFS), then completes it on the master. */
export class FileOutStream {
  private length = 0;
  private block: { stream: UploadStream; written: number } | undefined;
  private ufs: UploadStream | undefined;
  private closed = false;
  private readonly cache: boolean;
  private readonly through: boolean;

  constructor(private fs: FileSystem, readonly info: FileInfo, readonly writeType: WriteType, private worker: WorkerInfo) {
    this.cache = writeType !== 'THROUGH';
    this.through = writeType === 'THROUGH' || writeType === 'CACHE_THROUGH';
    if (this.through) this.ufs = fs.worker(worker.address).writeUfsFile(info.fileId);
  }

  async write(data: Buffer): Promise<void> {
    if (this.closed) throw new FailedPreconditionError(`stream for ${this.info.path} is closed`);
    if (this.ufs) await this.ufs.write(data);
    if (this.cache) {
      let off = 0;
      while (off < data.length) {
        if (!this.block) {
          const { blockId } = await this.fs.master.call('file', 'GetNewBlockIdForFile', { path: this.info.path, opId: randomUUID() });
          const pinned = this.writeType === 'MUST_CACHE' || this.writeType === 'ASYNC_THROUGH';
          this.block = { stream: this.fs.worker(this.worker.address).writeBlock(blockId, this.info.blockSizeBytes, '', pinned), written: 0 };
        }
        const n = Math.min(data.length - off, this.info.blockSizeBytes - this.block.written);
        await this.block.stream.write(data.subarray(off, off + n));
        this.block.written += n;
        off += n;
        if (this.block.written === this.info.blockSizeBytes) await this.finishBlock();
      }
    }
    this.length += data.length;
  }

  private async finishBlock(): Promise<void> {
    const b = this.block;
    this.block = undefined;
    if (!b) return;
    try {
      await b.stream.close();
    } catch (e) {
      if (e instanceof ResourceExhaustedError) e.message = `worker ${this.worker.address.host}:${this.worker.address.rpcPort} is out of space: ${e.message}`;
      throw e;
    }
  }

  async close(): Promise<FileInfo> {
    if (this.closed) return this.info;
    this.closed = true;
    let tempUfsPath = '';
    try {
      await this.finishBlock();
      if (this.ufs) tempUfsPath = (await this.ufs.close()).tempUfsPath;
    } catch (e) {
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
