/**
 * Tiered block store of a worker. Each tier (MEM, SSD, HDD, ...) has one or more directories
 * with a quota; a block is a file `<dir>/<alluxio.worker.data.folder>/<blockId>`. Writes go to
 * a temp file and become visible on commit. When a directory is full the least recently used
 * unlocked blocks are moved to the next tier (if it has room) or evicted.
 *
 * Pinned blocks are the only copy of data not yet in the UFS (MUST_CACHE files, ASYNC_THROUGH
 * files until persisted): they may move down a tier but are never evicted; a write that would
 * need their space fails with "worker storage full of unpersisted data". A pin is an empty
 * marker file `<dir>/<data folder>/.pinned/<blockId>` beside the block (so it survives a restart
 * and moves with the block); the master lifts it once the file is persisted.
 *
 * Read locks (lockForRead) keep a block's file where it is: a locked block is never moved or
 * evicted, and a remove (the master freeing it, a delete) while it is locked takes it out of the
 * store at once but deletes its file, and frees its space, only when the last reader releases it.
 * Short-circuit readers read the file by its path, so the path must stay valid while they hold it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { ResourceExhaustedError, BlockDoesNotExistError, FailedPreconditionError } from '../../errors.js';
import { workerMetrics } from '../../metrics/worker.js';

export interface TierSpec { alias: string; dirs: { path: string; quota: number }[] }

export interface StoreDir { tier: Tier; root: string; dataDir: string; capacity: number; used: number }
export interface Tier { alias: string; level: number; dirs: StoreDir[] }

export interface BlockMeta {
  id: number; length: number; dir: StoreDir; lastAccess: number; readers: number; pinned: boolean;
  /** Being moved to another tier: lockForReadSettled waits for it. */
  moving?: Promise<void>;
}

export interface TempBlock { blockId: number; dir: StoreDir; file: string; reserved: number; written: number; pinned: boolean }

const PINNED = '.pinned';
const pinFile = (dir: StoreDir, id: number): string => path.join(dir.dataDir, PINNED, String(id));

export class BlockStore {
  readonly tiers: Tier[];
  private blocks = new Map<number, BlockMeta>();
  private temps = new Map<number, TempBlock>();
  private clock = 0;
  /** Changes since the last drain, reported to the master with the next heartbeat. */
  private added = new Map<number, BlockMeta>();
  private removed = new Set<number>();
  /** Blocks removed while read-locked: their files go when the last reader releases them. */
  private removing = new Map<number, BlockMeta>();

  constructor(specs: TierSpec[], dataFolder: string) {
    this.tiers = specs.map((s, level) => {
      const tier: Tier = { alias: s.alias, level, dirs: [] };
      tier.dirs = s.dirs.map((d) => ({ tier, root: d.path, dataDir: path.join(d.path, dataFolder), capacity: d.quota, used: 0 }));
      return tier;
    });
  }

  /** Create data folders if missing, drop stale temp files and load existing blocks and their pins. */
  async open(): Promise<void> {
    for (const t of this.tiers) for (const d of t.dirs) {
      await fs.mkdir(d.dataDir, { recursive: true });
      await fs.rm(path.join(d.dataDir, '.tmp'), { recursive: true, force: true });
      await fs.mkdir(path.join(d.dataDir, '.tmp'), { recursive: true });
      await fs.mkdir(path.join(d.dataDir, PINNED), { recursive: true });
      for (const name of await fs.readdir(d.dataDir)) {
        if (!/^\d+$/.test(name)) continue;
        const st = await fs.stat(path.join(d.dataDir, name));
        const id = Number(name);
        this.blocks.set(id, { id, length: st.size, dir: d, lastAccess: ++this.clock, readers: 0, pinned: false });
        d.used += st.size;
      }
      for (const name of await fs.readdir(path.join(d.dataDir, PINNED))) {
        const m = /^\d+$/.test(name) ? this.blocks.get(Number(name)) : undefined;
        if (m && m.dir === d) m.pinned = true;
        else await fs.rm(path.join(d.dataDir, PINNED, name), { force: true }); // its block is gone (crash mid-move or mid-remove)
      }
    }
  }

  has(id: number): boolean { return this.blocks.has(id); }
  get(id: number): BlockMeta | undefined { return this.blocks.get(id); }
  blockPath(m: BlockMeta): string { return path.join(m.dir.dataDir, String(m.id)); }
  all(): BlockMeta[] { return [...this.blocks.values()]; }
  pinnedIds(): number[] { return [...this.blocks.values()].filter((m) => m.pinned).map((m) => m.id); }

  /** The file of these blocks is persisted now: they may be evicted. Unknown ids are ignored. */
  async unpin(ids: readonly number[]): Promise<void> {
    for (const id of ids) {
      const m = this.blocks.get(id);
      if (!m?.pinned) continue;
      m.pinned = false;
      await fs.rm(pinFile(m.dir, id), { force: true });
    }
  }

  usage(): { alias: string; capacityBytes: number; usedBytes: number }[] {
    return this.tiers.map((t) => ({
      alias: t.alias,
      capacityBytes: t.dirs.reduce((s, d) => s + d.capacity, 0),
      usedBytes: t.dirs.reduce((s, d) => s + d.used, 0),
    }));
  }

  /** Report and forget the changes since the previous call. */
  drainChanges(): { added: BlockMeta[]; removed: number[] } {
    const out = { added: [...this.added.values()].filter((m) => this.blocks.get(m.id) === m), removed: [...this.removed] };
    this.added.clear();
    this.removed.clear();
    return out;
  }

  // ----------------------------------------------------------- writing
  /** A new block being written; `pinned`: it will be the only copy of unpersisted data. */
  async createTemp(blockId: number, initialReserve: number, preferredAlias = '', pinned = false): Promise<TempBlock> {
    if (this.blocks.has(blockId) || this.temps.has(blockId)) throw new FailedPreconditionError(`block ${blockId} already exists on this worker`);
    if (this.removing.has(blockId)) throw new FailedPreconditionError(`block ${blockId} is being removed from this worker (a reader still holds it)`);
    const start = Math.max(0, this.tiers.findIndex((t) => t.alias === preferredAlias));
    let dir: StoreDir | undefined;
    for (let i = start; i < this.tiers.length && !dir; i++) dir = await this.makeRoom(this.tiers[i]!, initialReserve);
    if (!dir) {
      throw this.fullError(this.tiers.slice(start).flatMap((t) => t.dirs), `no space for block ${blockId}: ${initialReserve} bytes needed, all tiers full of blocks in use`);
    }
    dir.used += initialReserve;
    const tb: TempBlock = { blockId, dir, file: path.join(dir.dataDir, '.tmp', String(blockId)), reserved: initialReserve, written: 0, pinned };
    this.temps.set(blockId, tb);
    await fs.writeFile(tb.file, '');
    return tb;
  }

  /** Grow a temp block's reservation so that `more` bytes fit, evicting in its directory. */
  async reserve(tb: TempBlock, more: number): Promise<void> {
    const need = tb.written + more - tb.reserved;
    if (need <= 0) return;
    const free = tb.dir.capacity - tb.dir.used;
    if (free < need && !(await this.evictIn(tb.dir, need - free))) {
      throw this.fullError([tb.dir], `no space left for block ${tb.blockId} in ${tb.dir.root} (${tb.dir.tier.alias}): capacity ${tb.dir.capacity}, used ${tb.dir.used}`);
    }
    tb.dir.used += need;
    tb.reserved += need;
  }

  /**
   * The error for a write that found no room: when unpersisted (pinned) blocks hold the space,
   * say so; they are never evicted (docs/architecture.md, Worker).
   */
  private fullError(dirs: StoreDir[], plain: string): ResourceExhaustedError {
    const pinned = [...this.blocks.values()].filter((m) => m.pinned && dirs.includes(m.dir)).reduce((s, m) => s + m.length, 0);
    if (!pinned) return new ResourceExhaustedError(plain);
    return new ResourceExhaustedError(
      `worker storage full of unpersisted data: ${plain}; ${pinned} bytes there are the only copy of files not yet persisted (MUST_CACHE, or ASYNC_THROUGH waiting for persistence), which are never evicted`,
      { hint: 'delete or persist such files, write with CACHE_THROUGH or THROUGH, or add worker capacity' },
    );
  }

  async commit(tb: TempBlock): Promise<BlockMeta> {
    this.temps.delete(tb.blockId);
    tb.dir.used -= tb.reserved - tb.written;
    // The pin first: a crash between the two leaves a marker without a block, which open() drops.
    if (tb.pinned) await fs.writeFile(pinFile(tb.dir, tb.blockId), '');
    await fs.rename(tb.file, path.join(tb.dir.dataDir, String(tb.blockId)));
    const m: BlockMeta = { id: tb.blockId, length: tb.written, dir: tb.dir, lastAccess: ++this.clock, readers: 0, pinned: tb.pinned };
    this.blocks.set(m.id, m);
    this.added.set(m.id, m);
    this.removed.delete(m.id);
    return m;
  }

  async abort(tb: TempBlock): Promise<void> {
    if (this.temps.get(tb.blockId) !== tb) return;
    this.temps.delete(tb.blockId);
    tb.dir.used -= tb.reserved;
    await fs.rm(tb.file, { force: true });
  }

  // ----------------------------------------------------------- reading
  /**
   * Lock a block for reading: it is not moved, evicted or deleted until the returned release()
   * (a remove meanwhile is carried out then).
   */
  lockForRead(id: number): { meta: BlockMeta; release: () => void } {
    const m = this.blocks.get(id);
    if (!m) throw new BlockDoesNotExistError(`block ${id} is not on this worker`);
    m.readers++;
    m.lastAccess = ++this.clock;
    let done = false;
    return {
      meta: m,
      release: () => {
        if (done) return;
        done = true;
        if (--m.readers === 0 && this.removing.get(id) === m) void this.dropRemoved(m);
      },
    };
  }

  /** lockForRead once the block is not moving between tiers (its path is then stable while locked). */
  async lockForReadSettled(id: number): Promise<{ meta: BlockMeta; release: () => void }> {
    for (let i = 0; i < 100; i++) {
      const moving = this.blocks.get(id)?.moving;
      if (!moving) return this.lockForRead(id);
      await moving.catch(() => {});
    }
    throw new FailedPreconditionError(`block ${id} keeps moving between tiers`);
  }

  /** Read locks held now (blocks, not counting how many readers each). */
  lockedBlocks(): number {
    let n = 0;
    for (const m of this.blocks.values()) if (m.readers > 0) n++;
    return n + this.removing.size;
  }

  /** Move a block to the top tier (CACHE_PROMOTE); no-op when already there or no room. */
  async promote(id: number): Promise<void> {
    const m = this.blocks.get(id);
    if (!m || m.dir.tier.level === 0 || m.readers > 0) return;
    const dir = await this.makeRoom(this.tiers[0]!, m.length);
    if (dir && m.readers === 0 && this.blocks.get(id) === m) await this.moveTo(m, dir); // locked or removed meanwhile: stays
  }

  /**
   * Remove a block. A read-locked one leaves the store now (no new reader, reported removed) but
   * keeps its file and its space until the last reader releases it.
   */
  async remove(id: number): Promise<boolean> {
    const m = this.blocks.get(id);
    if (!m) return false;
    this.blocks.delete(id);
    this.removed.add(id);
    this.added.delete(id);
    if (m.readers > 0) { this.removing.set(id, m); return true; }
    await this.dropFiles(m);
    return true;
  }

  private async dropFiles(m: BlockMeta): Promise<void> {
    m.dir.used -= m.length;
    await fs.rm(this.blockPath(m), { force: true });
    if (m.pinned) await fs.rm(pinFile(m.dir, m.id), { force: true });
  }

  /** The last reader of a block removed meanwhile released it. */
  private async dropRemoved(m: BlockMeta): Promise<void> {
    try { await this.dropFiles(m); } catch { /* a file left behind is dropped by open() at the next start: no block without its pin */ } finally {
      if (this.removing.get(m.id) === m) this.removing.delete(m.id);
    }
  }

  // ----------------------------------------------------------- space management
  /** A directory of `tier` with `bytes` free, evicting LRU blocks if needed; undefined if impossible. */
  private async makeRoom(tier: Tier, bytes: number): Promise<StoreDir | undefined> {
    const fits = tier.dirs.filter((d) => d.capacity >= bytes).sort((a, b) => (b.capacity - b.used) - (a.capacity - a.used));
    if (!fits.length) return undefined;
    if (fits[0]!.capacity - fits[0]!.used >= bytes) return fits[0];
    for (const d of fits) if (await this.evictIn(d, bytes - (d.capacity - d.used))) return d;
    return undefined;
  }

  /**
   * Free `bytes` in `dir` by moving LRU unlocked blocks down a tier or deleting them; a pinned
   * block only moves. Planned first: nothing changes when the whole amount cannot be freed.
   */
  private async evictIn(dir: StoreDir, bytes: number): Promise<boolean> {
    const candidates = [...this.blocks.values()].filter((m) => m.dir === dir && m.readers === 0).sort((a, b) => a.lastAccess - b.lastAccess);
    const next = this.tiers[dir.tier.level + 1];
    const room = new Map((next?.dirs ?? []).map((d) => [d, d.capacity - d.used]));
    let freed = 0;
    const plan: { m: BlockMeta; target: StoreDir | undefined }[] = [];
    for (const m of candidates) {
      if (freed >= bytes) break;
      const target = next?.dirs.find((d) => room.get(d)! >= m.length);
      if (target) room.set(target, room.get(target)! - m.length);
      else if (m.pinned) continue;
      plan.push({ m, target });
      freed += m.length;
    }
    if (freed < bytes) return false;
    // A block locked or removed since the plan was made (the moves await) is left alone.
    let done = 0;
    for (const { m, target } of plan) {
      if (m.readers > 0 || this.blocks.get(m.id) !== m) continue;
      if (target) await this.moveTo(m, target);
      else if (await this.remove(m.id)) workerMetrics.blocksEvicted.inc();
      done += m.length;
    }
    return done >= bytes;
  }

  private async moveTo(m: BlockMeta, dir: StoreDir): Promise<void> {
    let moved!: () => void;
    m.moving = new Promise<void>((r) => { moved = r; });
    try { await this.move(m, dir); } finally { m.moving = undefined; moved(); }
  }

  private async move(m: BlockMeta, dir: StoreDir): Promise<void> {
    const from = this.blockPath(m);
    const to = path.join(dir.dataDir, String(m.id));
    dir.used += m.length;
    try {
      if (m.pinned) await fs.writeFile(pinFile(dir, m.id), ''); // pinned in both places while it moves
      await fs.rename(from, to).catch(async (e) => {
        if (e.code !== 'EXDEV') throw e;
        await fs.copyFile(from, to);
        await fs.rm(from, { force: true });
      });
    } catch (e) { dir.used -= m.length; throw e; }
    if (m.pinned) await fs.rm(pinFile(m.dir, m.id), { force: true });
    m.dir.used -= m.length;
    m.dir = dir;
    this.added.set(m.id, m);
  }
}

/** Read the tier layout from the configuration (levels, dirs.path, dirs.quota, alias). */
export function tierSpecsFromConf(conf: { getInt(k: string): number; get(k: string): string; getList(k: string): string[] }, parseBytes: (s: string) => number): TierSpec[] {
  const levels = conf.getInt('alluxio.worker.tieredstore.levels');
  const specs: TierSpec[] = [];
  for (let i = 0; i < levels; i++) {
    const k = `alluxio.worker.tieredstore.level${i}`;
    const paths = conf.getList(`${k}.dirs.path`);
    const quotas = conf.getList(`${k}.dirs.quota`).map(parseBytes);
    specs.push({
      alias: conf.get(`${k}.alias`),
      dirs: paths.map((p, j) => ({ path: p, quota: quotas[j] ?? quotas[quotas.length - 1] ?? 0 })),
    });
  }
  return specs;
}

