/**
 * The Alluxio worker process: a tiered block store served over gRPC, registration and
 * heartbeats to the leading master, UFS reads/writes and asynchronous persistence.
 */
import os from 'node:os';
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Server as HttpServer } from 'node:http';
import { type Config, parseBytes } from '../../conf/index.js';
import { protos, CHANNEL_OPTIONS, toServiceError } from '../../rpc.js';
import { MasterClient, heartbeatCallTimeoutMs } from '../../client/masterClient.js';
import { CHUNK_SIZE, STREAM_ACCEPTED_KEY } from '../../client/workerClient.js';
import { InvalidPathError, FailedPreconditionError, InvalidArgumentError, WorkerShuttingDownError } from '../../errors.js';
import { requestObject, nonNegativeInt, clientPath } from '../validate.js';
import { createLogger, type Logger } from '../../log.js';
import { BlockStore, tierSpecsFromConf, type TempBlock } from './blockStore.js';
import { LocalSessions } from './localSessions.js';
import { ufsRootDir, ufsTempDir, ufsTempName, type PersistReport } from '../ufs.js';
import { startWorkerWeb } from './web.js';
import { DataServer, type BlockReadHandle, type BlockWriteHandle } from './dataServer.js';
import { processIdentity } from '../web.js';
import { clusterSecret, secretServerInterceptors } from '../../clusterSecret.js';
import { blockRead, blockWritten, heartbeatMetrics, installWorkerMetrics, workerMetrics } from '../../metrics/worker.js';

export class AlluxioWorker {
  readonly store: BlockStore;
  readonly log: Logger;
  readonly hostname: string;
  readonly startTimeMs = Date.now();
  private readonly ufsRoot: string;
  private master: MasterClient;
  private grpcServer?: grpc.Server;
  /** The rpc port's listener: the data channel, and gRPC handed to grpcServer. */
  private dataServer?: DataServer;
  private web?: HttpServer;
  private hbTimer?: NodeJS.Timeout;
  private stopped = false;
  /** SIGTERM received: new streams are refused, those in flight finish (stop()). */
  private draining = false;
  /** Streams being served (block and UFS, both directions) and persists running; stop() waits for them. */
  private inFlight = 0;
  private onIdle: (() => void) | undefined;
  /** 0 until the first registration (the master's ids start at 1). */
  workerId = 0;
  /** Registered with the leader as far as this worker knows (false after a failed heartbeat, until it registers again). */
  registered = false;
  lastHeartbeatMs = 0;
  rpcPort = 0;
  webPort = 0;
  /** Outcomes of persists, reported with the next heartbeat (kept until a heartbeat delivers them). */
  private persistResults: PersistReport[] = [];
  private persisting = new Set<number>();
  /** alluxio.underfs.persistence.async.temp.dir under the root UFS. */
  private readonly ufsTemp: string;
  /** Short-circuit read and write sessions of clients on this host (OpenLocalBlock, CreateLocalBlock). */
  readonly localSessions: LocalSessions;

  constructor(readonly conf: Config, logger?: Logger) {
    this.log = logger ?? createLogger('AlluxioWorker');
    this.hostname = conf.get('alluxio.worker.hostname') || os.hostname();
    this.ufsRoot = ufsRootDir(conf.get('alluxio.master.mount.table.root.ufs'));
    this.ufsTemp = ufsTempDir(this.ufsRoot, conf.get('alluxio.underfs.persistence.async.temp.dir'));
    this.store = new BlockStore(tierSpecsFromConf(conf, parseBytes), conf.get('alluxio.worker.data.folder'));
    this.master = MasterClient.fromConf(conf);
    this.localSessions = new LocalSessions({
      store: this.store, log: this.log, sessionTimeoutMs: conf.getMs('alluxio.worker.session.timeout'),
      checkRegistered: () => this.checkJoined(),
      commitToMaster: (m) => this.commitToMaster(m.id, m.length, m.dir.tier.alias),
    });
  }

  async start(): Promise<void> {
    await this.store.open();
    // Only members of the cluster (holders of the cluster secret) may use the data port.
    const secret = clusterSecret(this.conf);
    if (!secret && this.conf.getEnum('alluxio.security.authentication.type') !== 'NOSASL') this.log.warn('No cluster secret (alluxio format creates one): the data port accepts any caller');
    const server = new grpc.Server({ ...CHANNEL_OPTIONS, interceptors: secretServerInterceptors(secret, `worker ${this.hostname}`) });
    server.addService(protos().worker.BlockWorker.service, this.service());
    // One port for gRPC and the data channel (as Alluxio 2.x serves both on 29999): the data
    // server accepts every connection and hands HTTP/2 ones to grpc-js.
    const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    this.dataServer = new DataServer({
      serve: (what, refuse, body) => this.serve(what, refuse, body),
      openBlockRead: (r) => this.openBlockRead(r),
      openBlockWrite: (h) => this.openBlockWrite(h),
    }, { secret, timeoutMs: this.conf.getMs('alluxio.worker.network.keepalive.timeout'), name: `worker ${this.hostname}`, log: this.log, http2: (s) => injector.injectConnection(s) });
    this.rpcPort = await this.dataServer.listen(this.conf.get('alluxio.worker.bind.host'), this.conf.getPort('alluxio.worker.rpc.port'));
    this.grpcServer = server;
    installWorkerMetrics(this, this.conf.getBool('alluxio.metrics.enabled'));
    const web = await startWorkerWeb(this, this.conf.get('alluxio.worker.bind.host'), this.conf.getPort('alluxio.worker.web.port'));
    this.web = web.server;
    this.webPort = web.port;
    const usage = this.store.usage().map((t) => `${t.alias} ${t.capacityBytes} bytes`).join(', ');
    this.log.info(`Alluxio worker serving at ${this.hostname}:${this.rpcPort} (web ${this.webPort}); tiers: ${usage}; ${this.store.all().length} blocks`);
    void this.heartbeatLoop();
  }

  /**
   * Graceful shutdown (SIGTERM): refuse new block and UFS streams at once with
   * WorkerShuttingDownError (clients move on without waiting), let the streams in flight finish
   * for at most alluxio.worker.network.shutdown.timeout, then close the servers. Heartbeats go on
   * while draining, so the master keeps the worker LIVE and learns every block committed meanwhile;
   * the worker comes back with the same id and its blocks (docs/reliability.md, Worker restarts).
   */
  async stop(): Promise<void> {
    this.draining = true;
    const bound = this.conf.getMs('alluxio.worker.network.shutdown.timeout');
    if (this.inFlight > 0) {
      this.log.info(`Shutting down: refusing new streams, waiting up to ${bound} ms for ${this.inFlight} in flight (alluxio.worker.network.shutdown.timeout)`);
      const t0 = Date.now();
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((r) => { this.onIdle = r; timer = setTimeout(r, bound); });
      clearTimeout(timer);
      this.onIdle = undefined;
      if (this.inFlight > 0) this.log.warn(`Shutting down: ${this.inFlight} stream(s) still in flight after ${bound} ms, cancelling them (their clients retry elsewhere)`);
      else this.log.info(`Shutting down: streams in flight finished in ${Date.now() - t0} ms`);
    } else {
      this.log.info('Shutting down: no stream in flight');
    }
    this.stopped = true;
    if (this.hbTimer) clearTimeout(this.hbTimer);
    // Persists finished while draining are reported now (else the master hands them out again later).
    if (this.registered && this.persistResults.length) await this.heartbeat().catch((e) => this.log.warn(`Last heartbeat failed: ${(e as Error).message}`));
    await new Promise<void>((r) => {
      if (!this.grpcServer) { r(); return; }
      if (this.inFlight > 0) { this.grpcServer.forceShutdown(); r(); } else this.grpcServer.tryShutdown(() => r());
    });
    await this.dataServer?.close();
    await new Promise<void>((r) => (this.web ? this.web.close(() => r()) : r()));
    this.master.close();
  }

  /** The longest stop() takes: the process's forced exit must not come sooner (runServer). */
  stopBoundMs(): number { return this.conf.getMs('alluxio.worker.network.shutdown.timeout'); }

  /**
   * Serve one stream unless draining: refused with WorkerShuttingDownError, counted while it runs.
   * `refuse` reports the refusal the way the call's kind needs (callback or stream error).
   */
  private serve(what: string, refuse: (e: WorkerShuttingDownError) => void, body: () => Promise<void>): void {
    if (this.draining) {
      refuse(new WorkerShuttingDownError(`worker ${this.hostname}:${this.rpcPort} is shutting down: ${what} refused, use another worker`, {
        hint: 'the worker drains on SIGTERM (alluxio-stop.sh worker, rollingRestart); it takes streams again once restarted',
      }));
      return;
    }
    this.inFlight++;
    void body()
      .catch((e) => this.log.error(`${what}: ${(e as Error)?.stack ?? e}`)) // the handlers answer their own errors: a bug
      .finally(() => { if (--this.inFlight === 0) this.onIdle?.(); });
  }

  private address() { return { host: this.hostname, rpcPort: this.rpcPort, webPort: this.webPort }; }

  private async register(): Promise<void> {
    const byTier = new Map<string, { alias: string; blockIds: number[]; lengths: number[] }>();
    for (const m of this.store.all()) {
      const a = m.dir.tier.alias;
      const e = byTier.get(a) ?? { alias: a, blockIds: [], lengths: [] };
      e.blockIds.push(m.id); e.lengths.push(m.length);
      byTier.set(a, e);
    }
    this.store.drainChanges(); // everything is in the registration
    const { configHash, sharedConfigHash } = processIdentity(this.conf);
    const res = await this.master.call('blockWorker', 'RegisterWorker', {
      address: this.address(), previousWorkerId: this.workerId, tiers: this.store.usage(), blocks: [...byTier.values()], startTimeMs: this.startTimeMs,
      pinnedBlockIds: this.store.pinnedIds(), configHash, sharedConfigHash,
    }, this.heartbeatCallOptions());
    await this.store.unpin(res.unpinBlockIds ?? []);
    if (this.workerId !== res.workerId) this.log.info(`Registered with master as worker ${res.workerId} (cluster ${res.clusterId})`);
    this.workerId = res.workerId;
    this.registered = true;
  }

  /**
   * New blocks wait for the first registration (a worker id in this cluster), not for every
   * re-registration: they are taken also while a failed heartbeat or a new leader's Register
   * has the worker register again. Their commits follow the leader on their own
   * (commitToMaster); a commit that reaches a leader before the registration does is journaled
   * all the same, and the location comes with the registration's block list or the next
   * heartbeat (services.ts, CommitBlock). Refusing them in that window failed whole client
   * writes across a leader change.
   */
  private checkJoined(): void {
    if (this.workerId === 0) throw new FailedPreconditionError('worker is not registered with a master yet');
  }

  /**
   * Register, heartbeat and block commit calls wait at most two heartbeat intervals (heartbeatCallTimeoutMs),
   * not the 30 s call timeout: after one to a frozen leader times out, the retry asks every
   * master at once and re-registers with the new leader.
   */
  private heartbeatCallOptions(): { timeoutMs: number } {
    const interval = this.conf.getMs('alluxio.worker.block.heartbeat.interval');
    return { timeoutMs: heartbeatCallTimeoutMs(interval, this.conf.getMs('alluxio.user.master.polling.timeout')) };
  }

  /** Register, then heartbeat every alluxio.worker.block.heartbeat.interval; re-register when told to. */
  private async heartbeatLoop(): Promise<void> {
    const interval = this.conf.getMs('alluxio.worker.block.heartbeat.interval');
    const tick = async () => {
      if (this.stopped) return;
      try {
        if (!this.registered) await this.register();
        else await this.heartbeat();
        this.lastHeartbeatMs = Date.now();
      } catch (e) {
        this.log.warn(`Heartbeat to master failed: ${(e as Error).message}`);
      }
      if (!this.stopped) { this.hbTimer = setTimeout(tick, interval); }
    };
    await tick();
  }

  private async heartbeat(): Promise<void> {
    const changes = this.store.drainChanges();
    const results = this.persistResults.splice(0);
    let res: any;
    try {
      res = await this.master.call('blockWorker', 'BlockHeartbeat', {
        workerId: this.workerId, tiers: this.store.usage(),
        addedBlocks: changes.added.map((m) => ({ blockId: m.id, length: m.length, tierAlias: m.dir.tier.alias })),
        removedBlockIds: changes.removed, persistResults: results, metrics: heartbeatMetrics(),
      }, this.heartbeatCallOptions());
    } catch (e) {
      // Nothing is lost: re-register with the full block list next time.
      this.registered = false;
      this.persistResults.push(...results);
      throw e;
    }
    this.log.debug(`Heartbeat: ${changes.added.length} block(s) added, ${changes.removed.length} removed, ${results.length} persist result(s); master says ${res.command || 'nothing'}, ${res.freeBlockIds.length} to free, ${res.persistFiles.length} to persist`);
    if (res.command === 'Register') { this.registered = false; await this.register(); return; }
    for (const b of res.freeBlockIds) await this.store.remove(b);
    await this.store.unpin(res.unpinBlockIds ?? []);
    if (!this.draining) for (const p of res.persistFiles) void this.persist(p); // else handed out again when it re-registers
  }

  /** A new temp file in the UFS temp folder for `fileId`, created empty; the caller writes it. */
  private async openUfsTemp(fileId: number): Promise<{ file: string; fh: fs.FileHandle }> {
    if (!Number.isSafeInteger(fileId) || fileId <= 0) throw new InvalidPathError(`file id ${fileId} is not valid`);
    await fs.mkdir(this.ufsTemp, { recursive: true });
    const file = path.join(this.ufsTemp, ufsTempName(fileId, randomBytes(8).toString('hex')));
    return { file, fh: await fs.open(file, 'wx') };
  }

  /**
   * ASYNC_THROUGH: write a file's blocks (all on this worker) to a temp file named for its id,
   * and report it; the master moves it to the file's path as it is then. Never throws: every
   * outcome, failures included, is reported with the next heartbeat.
   */
  private async persist(p: { fileId: number; blockIds: number[] }): Promise<void> {
    if (this.persisting.has(p.fileId)) return;
    this.persisting.add(p.fileId);
    this.inFlight++; // the drain waits for it too
    let temp = '';
    try {
      const out = await this.openUfsTemp(p.fileId);
      temp = out.file;
      try {
        for (const b of p.blockIds) {
          const lock = this.store.lockForRead(b);
          try { await out.fh.write(await fs.readFile(this.store.blockPath(lock.meta))); } finally { lock.release(); }
        }
        await out.fh.sync();
        workerMetrics.bytesWrittenUfs.inc((await out.fh.stat()).size);
      } finally { await out.fh.close(); }
      this.persistResults.push({ fileId: p.fileId, tempUfsPath: temp, error: '' });
    } catch (e) {
      if (temp) await fs.rm(temp, { force: true }).catch((err) => this.log.warn(`Could not remove ${temp}: ${err.message}`));
      const error = (e as Error).message ?? String(e);
      this.persistResults.push({ fileId: p.fileId, tempUfsPath: '', error });
      this.log.warn(`Failed to persist file ${p.fileId}: ${error}`);
    } finally {
      this.persisting.delete(p.fileId);
      if (--this.inFlight === 0) this.onIdle?.();
    }
  }

  /** A UFS path from a client must lie under the root UFS. */
  private checkUfsPath(p: string): string {
    const abs = path.resolve(p);
    if (abs !== this.ufsRoot && !abs.startsWith(this.ufsRoot + path.sep)) throw new InvalidPathError(`UFS path ${p} is outside the root UFS ${this.ufsRoot}`);
    return abs;
  }

  /** Short attempts like the heartbeat's: a frozen leader costs one attempt, then the retry finds the new one. */
  private async commitToMaster(blockId: number, length: number, alias: string): Promise<void> {
    await this.master.call('blockWorker', 'CommitBlock', { workerId: this.workerId, blockId, length, tierAlias: alias }, this.heartbeatCallOptions());
  }

  // --------------------------------------------------------------- block streams (data channel)
  /** A block locked for a read of [offset, offset + length) (length 0: to its end); promoted first on request. */
  private async openBlockRead(r: { blockId: number; offset: number; length: number; promote: boolean }): Promise<BlockReadHandle> {
    if (r.promote) await this.store.promote(r.blockId);
    const lock = this.store.lockForRead(r.blockId);
    const end = r.length > 0 ? Math.min(lock.meta.length, r.offset + r.length) : lock.meta.length;
    blockRead(workerMetrics.bytesReadRemote, end - Math.min(r.offset, end));
    return { file: this.store.blockPath(lock.meta), start: Math.min(r.offset, end), end, release: lock.release };
  }

  /** A new temp block; commit() commits it here and in the master, abort() drops it (a partial block is never committed). */
  private async openBlockWrite(h: { blockId: number; spaceToReserve: number; tierAlias: string; pinned: boolean }): Promise<BlockWriteHandle> {
    this.checkJoined();
    const tb = await this.store.createTemp(h.blockId, Math.min(h.spaceToReserve || CHUNK_SIZE, 8 * CHUNK_SIZE), h.tierAlias, h.pinned);
    let fh: fs.FileHandle | undefined;
    try { fh = await fs.open(tb.file, 'w'); } catch (e) { await this.store.abort(tb).catch(() => {}); throw e; }
    return {
      write: async (parts, length) => {
        await this.store.reserve(tb, length);
        await writeAll(fh!, parts, length);
        tb.written += length;
      },
      commit: async () => {
        await fh!.close(); fh = undefined;
        const meta = await this.store.commit(tb);
        blockWritten(workerMetrics.bytesWrittenRemote, meta.length);
        await this.commitToMaster(meta.id, meta.length, meta.dir.tier.alias);
        return meta.length;
      },
      abort: async () => {
        await fh?.close().catch(() => {});
        fh = undefined;
        await this.store.abort(tb);
      },
    };
  }

  // --------------------------------------------------------------- gRPC service
  private service(): grpc.UntypedServiceImplementation {
    return {
      WriteUfsFile: (call: grpc.ServerReadableStream<any, any>, cb: grpc.sendUnaryData<any>) => {
        this.serve('UFS write', (e) => cb(toServiceError(e) as grpc.ServiceError), async () => {
          call.sendMetadata(acceptedMetadata()); // the client may go on: the drain waits for this stream
          let fh: fs.FileHandle | undefined, tmp = '', length = 0;
          try {
            for await (const msg of call) {
              if (msg.header) {
                if (fh) throw new FailedPreconditionError('WriteUfsFile: a second header');
                ({ file: tmp, fh } = await this.openUfsTemp(nonNegativeInt(requestObject(msg.header, 'WriteUfsFile').fileId, 'WriteUfsFile fileId')));
              } else if (msg.chunk) {
                if (!fh) throw new FailedPreconditionError('WriteUfsFile: data before header');
                await fh.write(msg.chunk);
                length += msg.chunk.length;
              }
            }
            if (call.cancelled) throw new FailedPreconditionError('WriteUfsFile: the call was cancelled before the file was complete');
            if (!fh) throw new FailedPreconditionError('WriteUfsFile: no header');
            await fh.sync();
            workerMetrics.bytesWrittenUfs.inc(length);
            await fh.close(); fh = undefined;
            // The master moves it to the file's path when the client completes the file.
            cb(null, { length, tempUfsPath: tmp });
          } catch (e) {
            await fh?.close().catch(() => {});
            if (tmp) await fs.rm(tmp, { force: true }).catch(() => {});
            cb(toServiceError(e) as grpc.ServiceError);
          }
        });
      },
      // Short-circuit sessions (localSessions.ts); counted by the drain like the other streams.
      OpenLocalBlock: (call: grpc.ServerDuplexStream<any, any>) => {
        this.serve('short-circuit read', (e) => call.emit('error', toServiceError(e)), () => this.localSessions.read(call));
      },
      CreateLocalBlock: (call: grpc.ServerDuplexStream<any, any>) => {
        this.serve('short-circuit write', (e) => call.emit('error', toServiceError(e)), () => this.localSessions.write(call));
      },
      ReadUfsBlock: (call: grpc.ServerWritableStream<any, any>) => {
        this.serve('UFS read', (e) => call.emit('error', toServiceError(e)), async () => {
          let tb: TempBlock | undefined;
          try {
            const q = requestObject(call.request, 'ReadUfsBlock');
            const r = {
              ufsPath: clientPath(q.ufsPath, 'ReadUfsBlock ufsPath'), blockId: nonNegativeInt(q.blockId, 'ReadUfsBlock blockId'),
              offsetInFile: nonNegativeInt(q.offsetInFile, 'ReadUfsBlock offsetInFile'), blockLength: nonNegativeInt(q.blockLength, 'ReadUfsBlock blockLength'), cache: q.cache === true,
            };
            if (!Number.isSafeInteger(r.offsetInFile + r.blockLength)) throw new InvalidArgumentError(`ReadUfsBlock: offsetInFile ${r.offsetInFile} + blockLength ${r.blockLength} is too large`);
            const src = this.checkUfsPath(r.ufsPath);
            // Cache only when the block is not here yet and the whole block is read.
            if (r.cache && !this.store.has(r.blockId)) {
              try { tb = await this.store.createTemp(r.blockId, r.blockLength); } catch (e) { this.log.warn(`Not caching block ${r.blockId}: ${(e as Error).message}`); }
            }
            const fh = await fs.open(src, 'r');
            try {
              const buf = Buffer.allocUnsafe(Math.min(CHUNK_SIZE, Math.max(1, r.blockLength)));
              let pos = r.offsetInFile;
              const end = r.offsetInFile + r.blockLength;
              while (pos < end) {
                const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
                if (bytesRead === 0) throw new FailedPreconditionError(`UFS file ${r.ufsPath} is shorter than expected (${pos} < ${end})`);
                const chunk = Buffer.from(buf.subarray(0, bytesRead));
                if (tb) { await fs.appendFile(tb.file, chunk); tb.written += bytesRead; }
                if (!call.write({ data: chunk })) await new Promise((res) => call.once('drain', res));
                pos += bytesRead;
              }
            } finally { await fh.close(); }
            workerMetrics.bytesReadUfs.inc(r.blockLength);
            if (tb) {
              const meta = await this.store.commit(tb);
              tb = undefined;
              await this.commitToMaster(meta.id, meta.length, meta.dir.tier.alias).catch((e) => this.log.warn(`Commit of cached block ${meta.id} failed: ${e.message}`));
            }
            call.end();
          } catch (e) {
            if (tb) await this.store.abort(tb).catch(() => {});
            call.emit('error', toServiceError(e)); // grpc-js: sets the status and ends the call
          }
        });
      },
    };
  }
}

function acceptedMetadata(): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set(STREAM_ACCEPTED_KEY, '1');
  return md;
}

/** Write `parts` (`length` bytes in all) at the file's position, in as few writev calls as the kernel allows. */
async function writeAll(fh: fs.FileHandle, parts: Buffer[], length: number): Promise<void> {
  const done = (await fh.writev(parts)).bytesWritten;
  if (done < length) await fh.write(Buffer.concat(parts, length).subarray(done)); // a short writev (rare): the rest at once
}
