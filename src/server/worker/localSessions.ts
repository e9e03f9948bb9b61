/**
 * Short-circuit sessions of a worker (Alluxio's OpenLocalBlock / CreateLocalBlock): a client on
 * this host reads a block file, or writes a temp block file, itself; the worker only locks,
 * reserves and commits. Each session is one bidi gRPC stream, and the stream is the session:
 *
 * - it ends when the client ends it (a read releases its lock; a write commits its block), when
 *   the client cancels it or its connection resets (a killed client: released or aborted at once),
 *   or when no request came for alluxio.worker.session.timeout (a frozen client);
 * - a write session that does not end by the client's own end never commits: its temp block is
 *   aborted, so no partial block is ever committed.
 *
 * docs/architecture.md, Short-circuit I/O.
 */
import fs from 'node:fs/promises';
import type * as grpc from '@grpc/grpc-js';
import { toServiceError } from '../../rpc.js';
import { FailedPreconditionError, TimeoutError } from '../../errors.js';
import { requestObject, nonNegativeInt, boundedString } from '../validate.js';
import type { Logger } from '../../log.js';
import type { BlockStore, BlockMeta, TempBlock } from './blockStore.js';
import { blockRead, blockWritten, workerMetrics } from '../../metrics/worker.js';

/** The first reservation of a short-circuit write when the client asks for none (as WriteBlock's). */
const DEFAULT_RESERVE = 8 * 1024 * 1024;

export interface LocalSessionDeps {
  store: BlockStore;
  log: Logger;
  sessionTimeoutMs: number;
  /** Refuses a write while the worker is not registered (as WriteBlock). */
  checkRegistered(): void;
  /** Tell the master about a committed block (the worker's commitToMaster). */
  commitToMaster(m: BlockMeta): Promise<void>;
}

/** Counters shown in the worker's info JSON (shortCircuit): tests and operators see the path used. */
export interface LocalSessionStats {
  /** Read sessions that were handed a block's path. */
  reads: number;
  /** Write sessions whose block was committed. */
  writes: number;
  /** Write sessions aborted (cancelled, connection reset, session timeout, failure). */
  aborted: number;
  /** Sessions ended by alluxio.worker.session.timeout. */
  timedOut: number;
  /** Sessions open now. */
  open: number;
}

export class LocalSessions {
  readonly stats: LocalSessionStats = { reads: 0, writes: 0, aborted: 0, timedOut: 0, open: 0 };

  constructor(private readonly deps: LocalSessionDeps) {}

  /**
   * The common part of both kinds: keep-alive timer, one end. `onRequest` handles each request in
   * order (one at a time); `onClientEnd` runs when the client ended its side; `cleanup` always runs
   * once, last. Resolves when the session is over.
   */
  private run(call: grpc.ServerDuplexStream<any, any>, what: () => string, h: {
    /** `end()` ends the session normally (after cleanup). */
    onRequest(msg: any, first: boolean, end: () => void): Promise<void>;
    onClientEnd(): Promise<void>;
    cleanup(): Promise<void>;
  }): Promise<void> {
    this.stats.open++;
    return new Promise<void>((resolve) => {
      let over = false;
      let timer: NodeJS.Timeout | undefined;
      let queue = Promise.resolve();
      let first = true;
      const finish = (err?: unknown) => {
        if (over) return;
        over = true;
        clearTimeout(timer);
        call.removeAllListeners('data');
        // After the request being handled (a lock being taken, a commit under way) is done.
        void queue.then(() => h.cleanup()).catch((e) => this.deps.log.warn(`${what()}: cleanup failed: ${(e as Error).message}`)).finally(() => {
          this.stats.open--;
          if (!call.cancelled) {
            if (err) call.emit('error', toServiceError(err)); // grpc-js: sets the status and ends the call
            else call.end();
          }
          resolve();
        });
      };
      const alive = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          this.stats.timedOut++;
          this.deps.log.warn(`${what()}: no keep-alive from the client for ${this.deps.sessionTimeoutMs} ms (alluxio.worker.session.timeout): session ended`);
          finish(new TimeoutError(`${what()}: session timed out after ${this.deps.sessionTimeoutMs} ms without a keep-alive (alluxio.worker.session.timeout)`));
        }, this.deps.sessionTimeoutMs);
      };
      const step = (fn: () => Promise<void>) => { queue = queue.then(() => (over ? undefined : fn())).catch((e) => { finish(e); }); };
      alive();
      call.on('data', (msg: any) => {
        alive();
        const isFirst = first;
        first = false;
        step(() => h.onRequest(msg, isFirst, () => finish()));
      });
      call.on('end', () => step(async () => { await h.onClientEnd(); finish(); }));
      call.on('cancelled', () => finish()); // the client cancelled, or its connection reset: nothing to answer
      call.on('error', () => finish());
    });
  }

  /** OpenLocalBlock: lock the block, answer its path; release when the session ends. */
  read(call: grpc.ServerDuplexStream<any, any>): Promise<void> {
    let lock: { meta: BlockMeta; release: () => void } | undefined;
    let what = 'short-circuit read';
    return this.run(call, () => what, {
      onRequest: async (msg, first) => {
        if (!first) return; // keep-alive
        const q = requestObject(msg, 'OpenLocalBlock');
        const blockId = nonNegativeInt(q.blockId, 'OpenLocalBlock blockId');
        what = `short-circuit read of block ${blockId}`;
        if (q.promote === true) await this.deps.store.promote(blockId);
        lock = await this.deps.store.lockForReadSettled(blockId);
        this.stats.reads++;
        blockRead(workerMetrics.bytesReadDomain, lock.meta.length);
        if (!call.cancelled) call.write({ path: this.deps.store.blockPath(lock.meta), length: lock.meta.length, sessionTimeoutMs: this.deps.sessionTimeoutMs });
      },
      onClientEnd: async () => {},
      cleanup: async () => { lock?.release(); },
    });
  }

  /** CreateLocalBlock: create and reserve a temp block, answer its path; commit on the client's end. */
  write(call: grpc.ServerDuplexStream<any, any>): Promise<void> {
    let tb: TempBlock | undefined;
    let what = 'short-circuit write';
    const { store } = this.deps;
    return this.run(call, () => what, {
      onRequest: async (msg, first, end) => {
        const q = requestObject(msg, 'CreateLocalBlock');
        if (first) {
          const blockId = nonNegativeInt(q.blockId, 'CreateLocalBlock blockId');
          const space = nonNegativeInt(q.spaceToReserve, 'CreateLocalBlock spaceToReserve');
          const alias = boundedString(q.tierAlias, 'CreateLocalBlock tierAlias');
          what = `short-circuit write of block ${blockId}`;
          this.deps.checkRegistered();
          tb = await store.createTemp(blockId, space || DEFAULT_RESERVE, alias, q.pinned === true);
          if (!call.cancelled) call.write({ path: tb.file, reserved: tb.reserved, sessionTimeoutMs: this.deps.sessionTimeoutMs });
        } else if (q.abort === true) {
          if (tb) { const b = tb; tb = undefined; this.stats.aborted++; await store.abort(b); }
          end();
        } else if (q.keepAlive !== true) {
          if (!tb) throw new FailedPreconditionError('CreateLocalBlock: no block');
          const more = nonNegativeInt(q.spaceToReserve, 'CreateLocalBlock spaceToReserve');
          await store.reserve(tb, tb.reserved - tb.written + more); // `more` bytes beyond the reservation
          if (!call.cancelled) call.write({ reserved: tb.reserved });
        }
      },
      onClientEnd: async () => {
        if (!tb) throw new FailedPreconditionError('CreateLocalBlock: ended before creating a block');
        // The client wrote the file itself: its size is the block's length (reserved up to it first).
        const size = (await fs.stat(tb.file)).size;
        await store.reserve(tb, size - tb.written);
        tb.written = size;
        const meta = await store.commit(tb);
        tb = undefined;
        await this.deps.commitToMaster(meta);
        this.stats.writes++;
        blockWritten(workerMetrics.bytesWrittenDomain, meta.length);
        if (!call.cancelled) call.write({ committed: true, length: meta.length });
      },
      cleanup: async () => {
        if (!tb) return;
        this.stats.aborted++;
        await store.abort(tb);
      },
    });
  }
}
