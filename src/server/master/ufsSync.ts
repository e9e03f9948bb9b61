/**
 * The leading master's side of the under file system (issue #10): it alone changes the UFS,
 * one change at a time in one queue, and every change is tied to identities, not to paths that
 * a rename may have changed since (convention 13):
 *   - workers write THROUGH data and ASYNC_THROUGH persists to temp files named for the file id
 *     in the temp folder (alluxio.underfs.persistence.async.temp.dir); this class moves each to
 *     the file's path as it is *when the data is placed*, then journals it;
 *   - renames and deletes are journaled intents (Namespace.ufsOps) carried out in order and
 *     journaled as done (`ufsDone`), also when a master starts leading, so what a leader applied
 *     but died before doing is finished by the next one;
 *   - failed persists back off and are given up after alluxio.master.persistence.max.total.wait.time;
 *   - the temp folder is swept of files nothing can use any more.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../conf/index.js';
import type { MasterEntry } from './entries.js';
import type { Logger } from '../../log.js';
import { InvalidPathError, NotLeaderError } from '../../errors.js';
import type { Namespace, Inode } from './namespace.js';
import type { BlockRegistry, WorkerRecord } from './blockRegistry.js';
import { parentOf, checkNewPath, isUnder } from './paths.js';
import { ufsPathOf, ufsTempDir, fileIdOfTempName, SerialQueue, type PersistReport } from '../ufs.js';

/** How long a worker keeps an async-persist assignment before another worker may get it. */
const PERSIST_REASSIGN_MS = 60_000;
/** Longest UFS path (bytes) we create: Linux PATH_MAX less the terminating NUL. */
const MAX_UFS_PATH_BYTES = 4095;
/** Files handed to one worker in one heartbeat reply, at most. */
const PERSISTS_PER_HEARTBEAT = 16;

/** Retry state of a file whose persist failed (leader memory; a new leader starts afresh). */
interface PersistRetry { attempts: number; firstFailureMs: number; nextAttemptMs: number; lastError: string }

/** What UfsSync needs of its master. */
export interface UfsSyncHost {
  readonly ns: Namespace;
  readonly registry: BlockRegistry;
  readonly conf: Config;
  readonly log: Logger;
  /** Journal an entry (as the leader); resolves once applied. */
  propose(e: MasterEntry): Promise<unknown>;
  /** Whether this master serves as the leader now. */
  isLeader(): boolean;
}


export class UfsSync {
  private readonly queue = new SerialQueue();
  /** The temp folder's name under the root, and its path. */
  private readonly tempName: string;
  private readonly tempDir: string;
  private readonly assigned = new Map<number, { workerId: number; at: number }>();
  private readonly retries = new Map<number, PersistRetry>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly root: string, private readonly m: UfsSyncHost) {
    this.tempName = m.conf.get('alluxio.underfs.persistence.async.temp.dir');
    this.tempDir = ufsTempDir(root, this.tempName);
  }

  /** UFS location of a normalized Alluxio path. */
  ufs(p: string): string { return ufsPathOf(this.root, p); }

  /** Sweep the temp folder every alluxio.underfs.cleanup.interval while `leading()`. */
  start(leading: () => boolean): void {
    if (!this.m.conf.getBool('alluxio.underfs.cleanup.enabled')) return;
    this.timer = setInterval(() => { if (leading()) void this.cleanTemp(); }, this.m.conf.getMs('alluxio.underfs.cleanup.interval'));
    this.timer.unref();
  }

  stop(): void { if (this.timer) clearInterval(this.timer); }

  /** This master starts leading: fresh retry state, a sweep, and the UFS changes a previous leader left. */
  onLeading(): void {
    this.retries.clear();
    if (this.m.conf.getBool('alluxio.underfs.cleanup.enabled')) void this.cleanTemp();
    void this.follow();
  }

  /** A new path (create, mkdir, rename target): names the UFS can hold, outside the reserved temp folder. */
  checkNewPath(p: string): void {
    checkNewPath(p);
    if (isUnder(p, `/${this.tempName}`)) {
      throw new InvalidPathError(`Path "${p}" is reserved: /${this.tempName} holds data being persisted (alluxio.underfs.persistence.async.temp.dir)`);
    }
    const ufsBytes = Buffer.byteLength(this.ufs(p));
    if (ufsBytes > MAX_UFS_PATH_BYTES) throw new InvalidPathError(`Path "${p.slice(0, 120)}..." is invalid: its UFS path would be ${ufsBytes} bytes, longer than ${MAX_UFS_PATH_BYTES}`);
  }

  /** A persisted directory: made in the UFS (in the queue, after every change before it). */
  mkdir(p: string): Promise<void> {
    return this.queue.run(async () => { await fs.mkdir(this.ufs(p), { recursive: true }); });
  }

  /** After a rename or delete: the UFS follows; if that cannot be journaled now, it stays pending (done by the next drain or leader). */
  follow(): Promise<void> {
    return this.queue.run(() => this.drain()).catch((e) => this.m.log.warn(`UFS change pending: ${(e as Error).message}`));
  }

  /**
   * THROUGH / CACHE_THROUGH completion: place the data the worker wrote to `tempUfsPath` at file
   * `fileId`'s path, then `complete` (journal the completion): a crash in between leaves the file
   * incomplete, never PERSISTED without its data; a retry finds the data placed.
   */
  async completeThrough(fileId: number, tempUfsPath: string, length: number, complete: () => Promise<unknown>): Promise<void> {
    const temp = this.tempFileOf(fileId, tempUfsPath);
    if (!(await this.place(fileId, temp, (f) => !f.completed, complete, length))) await complete();
  }

  /** A worker's report on an ASYNC_THROUGH persist: place the data, or count the failure. */
  async persistReported(r: PersistReport): Promise<void> {
    const fileId = Number(r.fileId);
    this.assigned.delete(fileId);
    if (r.error) { await this.persistFailed(fileId, r.error); return; }
    let temp: string;
    try { temp = this.tempFileOf(fileId, r.tempUfsPath); } catch (e) { this.m.log.warn((e as Error).message); return; }
    try {
      if (await this.place(fileId, temp, (f) => f.persistence === 'TO_BE_PERSISTED', () => this.m.propose({ type: 'setPersisted', fileId }))) {
        this.retries.delete(fileId);
        const f = this.m.ns.byId(fileId);
        if (f) {
          this.m.log.info(`Persisted file ${fileId} to ${this.ufs(this.m.ns.pathOf(f))}`);
          // Its blocks are no longer the only copy: the workers holding them may evict them.
          for (const b of f.blocks) for (const l of this.m.registry.locationsOf(b)) l.worker.pendingUnpin.add(b);
        }
      }
    } catch (e) {
      if (!(e as NodeJS.ErrnoException).code || e instanceof NotLeaderError) throw e; // the worker reports again
      await this.persistFailed(fileId, `${(e as Error).message}`);
    }
  }

  /** Files waiting for ASYNC_THROUGH persistence whose blocks worker `w` holds entirely (ids and blocks, no path). */
  assignPersistence(w: WorkerRecord): { fileId: number; blockIds: number[]; blockLengths: number[] }[] {
    const out: { fileId: number; blockIds: number[]; blockLengths: number[] }[] = [];
    const now = Date.now();
    for (const fileId of this.m.ns.toPersist) {
      const a = this.assigned.get(fileId);
      if (a && now - a.at < PERSIST_REASSIGN_MS && this.m.registry.get(a.workerId)?.state === 'LIVE') continue;
      if ((this.retries.get(fileId)?.nextAttemptMs ?? 0) > now) continue;
      const f = this.m.ns.byId(fileId);
      if (!f || !f.blocks.every((b) => w.blocks.has(b))) continue;
      this.assigned.set(fileId, { workerId: w.id, at: now });
      w.persisting.add(fileId);
      out.push({ fileId, blockIds: f.blocks, blockLengths: f.blocks.map((b) => this.m.ns.blockLengths.get(b) ?? 0) });
      if (out.length >= PERSISTS_PER_HEARTBEAT) break;
    }
    return out;
  }

  /**
   * A (re-)registering worker may have restarted: its persists in flight are gone, so they may be
   * handed out again at once (a duplicate is harmless: the second placement is a no-op).
   */
  workerRegistered(workerId: number): void {
    for (const [fileId, a] of this.assigned) if (a.workerId === workerId) this.assigned.delete(fileId);
  }

  /** The last persist error of a file still being retried ('' when none). */
  retryError(fileId: number): string { return this.retries.get(fileId)?.lastError ?? ''; }

  /**
   * Delete temp files no write or persist can still use: those of files that are gone or no
   * longer wait for data, and those not modified for a whole cleanup interval. Names that are
   * not ours are left alone.
   */
  async cleanTemp(): Promise<number> {
    const names = await fs.readdir(this.tempDir).catch(() => [] as string[]);
    const staleMs = this.m.conf.getMs('alluxio.underfs.cleanup.interval');
    let removed = 0;
    for (const name of names) {
      const fileId = fileIdOfTempName(name);
      if (fileId === undefined) continue;
      const file = path.join(this.tempDir, name);
      await this.queue.run(async () => {
        const f = this.m.ns.byId(fileId);
        const pending = !!f && !f.dir && (!f.completed || f.persistence === 'TO_BE_PERSISTED');
        const st = await fs.stat(file).catch(() => undefined);
        if (!st || (pending && Date.now() - st.mtimeMs < staleMs)) return;
        await fs.rm(file, { force: true });
        removed++;
      }).catch((e) => this.m.log.warn(`UFS temp cleanup of ${file} failed: ${(e as Error).message}`));
    }
    if (removed) this.m.log.info(`Removed ${removed} unused temp files from ${this.tempDir}`);
    return removed;
  }

  /**
   * Carry out, in order, every UFS change the namespace holds (renames and deletes applied but
   * not yet done in the UFS), journaling each as done. Runs in the queue: before any data is
   * placed, after each rename or delete, and when this master starts leading (what a previous
   * leader applied but did not finish). Each change is safe to repeat: a rename whose source is
   * gone was done, a delete deletes what the namespace no longer has. A failure to journal one
   * stops the drain (and the placement behind it), so data is never placed at a path that a
   * pending delete or rename could still touch.
   */
  private async drain(): Promise<void> {
    for (const seq of [...this.m.ns.ufsOps.keys()].sort((a, b) => a - b)) {
      const op = this.m.ns.ufsOps.get(seq);
      if (!op) continue;
      // A deposed leader stops here: the new one drains (the UFS itself has no fencing).
      if (!this.m.isLeader()) throw new NotLeaderError(undefined, 'no longer the leader: the UFS changes left are the next leader\'s');
      try {
        if (op.op === 'delete') {
          await fs.rm(this.ufs(op.path), { recursive: true, force: true });
        } else if (await fs.stat(this.ufs(op.src)).then(() => true, () => false)) {
          await fs.mkdir(parentOf(this.ufs(op.dst)), { recursive: true });
          await fs.rename(this.ufs(op.src), this.ufs(op.dst));
        }
      } catch (e) {
        this.m.log.warn(`UFS ${op.op === 'delete' ? `delete of ${op.path}` : `rename ${op.src} -> ${op.dst}`} failed: ${(e as Error).message}`);
      }
      await this.m.propose({ type: 'ufsDone', seq });
    }
  }

  /** A temp file a worker names: ours (in the temp folder, named for `fileId`), or an error. */
  private tempFileOf(fileId: number, tempUfsPath: string): string {
    const abs = path.resolve(String(tempUfsPath));
    if (path.dirname(abs) !== this.tempDir || fileIdOfTempName(path.basename(abs)) !== fileId) {
      throw new InvalidPathError(`"${tempUfsPath}" is not a temp file of file ${fileId} in ${this.tempDir}`);
    }
    return abs;
  }

  /**
   * Move a worker's temp file to the *current* path of file `fileId` (it may have been renamed
   * since the data was written), then `journal` it. In the queue with every other UFS change, so
   * a rename or delete of the file lands after (and moves or deletes the placed data) or before
   * (and the data is placed at the new path). Returns false when the file is gone or no longer
   * wants the data: the temp file is deleted.
   */
  private place(fileId: number, temp: string, wanted: (f: Inode) => boolean, journal: () => Promise<unknown>, expectLength?: number): Promise<boolean> {
    return this.queue.run(async () => {
      await this.drain();
      const f = this.m.ns.byId(fileId);
      if (!f || f.dir || !wanted(f)) { await fs.rm(temp, { force: true }); return false; }
      const dest = this.ufs(this.m.ns.pathOf(f));
      try {
        await fs.mkdir(path.dirname(dest), { recursive: true }).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'EEXIST') throw e;
          throw Object.assign(new Error(`ENOTDIR: cannot create the UFS directory ${path.dirname(dest)}: it or one of its parents is a file`), { code: 'ENOTDIR' });
        });
        await fs.rename(temp, dest);
      } catch (e) {
        // A retried completion: the first attempt placed the data already.
        const placed = (e as NodeJS.ErrnoException).code === 'ENOENT' && expectLength !== undefined && (await fs.stat(dest).catch(() => undefined))?.size === expectLength;
        if (!placed) { await fs.rm(temp, { force: true }).catch(() => {}); throw e; }
      }
      await journal();
      return true;
    });
  }

  /** Back off before the next attempt; give up (journaled, shown by fs stat) after max.total.wait.time. */
  private async persistFailed(fileId: number, error: string): Promise<void> {
    const conf = this.m.conf;
    const now = Date.now();
    const r = this.retries.get(fileId) ?? { attempts: 0, firstFailureMs: now, nextAttemptMs: now, lastError: '' };
    r.attempts++;
    r.lastError = error;
    const wait = Math.min(conf.getMs('alluxio.master.persistence.initial.interval') * 2 ** Math.min(r.attempts - 1, 30), conf.getMs('alluxio.master.persistence.max.interval'));
    r.nextAttemptMs = now + wait;
    this.retries.set(fileId, r);
    const f = this.m.ns.byId(fileId);
    const where = f ? `"${this.m.ns.pathOf(f)}"` : `${fileId}`;
    if (now - r.firstFailureMs >= conf.getMs('alluxio.master.persistence.max.total.wait.time')) {
      this.retries.delete(fileId);
      this.m.log.error(`Giving up persisting file ${where} after ${r.attempts} attempts: ${error}`);
      await this.m.propose({ type: 'persistFailed', fileId, error });
    } else {
      this.m.log.warn(`Persisting file ${where} failed (attempt ${r.attempts}, next in ${wait} ms): ${error}`);
    }
  }
}
