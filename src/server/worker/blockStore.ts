/**
 * Tiered block store of a worker. Each tier (MEM, SSD, HDD, ...) has one or more directories
 * with a quota; a block is a file `<dir>/<alluxio.worker.data.folder>/<blockId>`. Writes go to
 * a temp file and become visible on commit. When a directory is full the least recently used
 * unlocked blocks are moved to the next tier (if it has room) or evicted.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { ResourceExhaustedError, BlockDoesNotExistError, FailedPreconditionError } from '../../errors.js';

export interface TierSpec { alias: string; dirs: { path: string; quota: number }[] }

export interface StoreDir { tier: Tier; root: string; dataDir: string; capacity: number; used: number }
export interface Tier { alias: string; level: number; dirs: StoreDir[] }

export interface BlockMeta { id: number; length: number; dir: StoreDir; lastAccess: number; readers: number }

export interface TempBlock { blockId: number; dir: StoreDir; file: string; reserved: number; written: number }

export class BlockStore {
  readonly tiers: Tier[];
  private blocks = new Map<number, BlockMeta>();
  private temps = new Map<number, TempBlock>();
  private clock = 0;
  /** Changes since the last drain, reported to the master with the next heartbeat. */
  private added = new Map<number, BlockMeta>();
  private removed = new Set<number>();

  constructor(specs: TierSpec[], dataFolder: string) {
    this.tiers = specs.map((s, level) => {
      const tier: Tier = { alias: s.alias, level, dirs: [] };
      tier.dirs = s.dirs.map((d) => ({ tier, root: d.path, dataDir: path.join(d.path, dataFolder), capacity: d.quota, used: 0 }));
      return tier;
    });
  }

  /** Create data folders if missing, drop stale temp files and load existing blocks. */
  async open(): Promise<void> {
    for (const t of this.tiers) for (const d of t.dirs) {
      await fs.mkdir(d.dataDir, { recursive: true });
      await fs.rm(path.join(d.dataDir, '.tmp'), { recursive: true, force: true });
      await fs.mkdir(path.join(d.dataDir, '.tmp'), { recursive: true });
      for (const name of await fs.readdir(d.dataDir)) {
        if (!/^\d+$/.test(name)) continue;
        const st = await fs.stat(path.join(d.dataDir, name));
        const id = Number(name);
        this.blocks.set(id, { id, length: st.size, dir: d, lastAccess: ++this.clock, readers: 0 });
        d.used += st.size;
      }
    }
  }

  has(id: number): boolean { return this.blocks.has(id); }
  get(id: number): BlockMeta | undefined { return this.blocks.get(id); }
  blockPath(m: BlockMeta): string { return path.join(m.dir.dataDir, String(m.id)); }
  all(): BlockMeta[] { return [...this.blocks.values()]; }

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
  async createTemp(blockId: number, initialReserve: number, preferredAlias = ''): Promise<TempBlock> {
    if (this.blocks.has(blockId) || this.temps.has(blockId)) throw new FailedPreconditionError(`block ${blockId} already exists on this worker`);
    const start = Math.max(0, this.tiers.findIndex((t) => t.alias === preferredAlias));
    let dir: StoreDir | undefined;
    for (let i = start; i < this.tiers.length && !dir; i++) dir = await this.makeRoom(this.tiers[i]!, initialReserve);
    if (!dir) throw new ResourceExhaustedError(`no space for block ${blockId}: ${initialReserve} bytes needed, all tiers full of blocks in use`);
    dir.used += initialReserve;
    const tb: TempBlock = { blockId, dir, file: path.join(dir.dataDir, '.tmp', String(blockId)), reserved: initialReserve, written: 0 };
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
      throw new ResourceExhaustedError(`no space left for block ${tb.blockId} in ${tb.dir.root} (${tb.dir.tier.alias}): capacity ${tb.dir.capacity}, used ${tb.dir.used}`);
    }
    tb.dir.used += need;
    tb.reserved += need;
  }

  async commit(tb: TempBlock): Promise<BlockMeta> {
    this.temps.delete(tb.blockId);
    tb.dir.used -= tb.reserved - tb.written;
    await fs.rename(tb.file, path.join(tb.dir.dataDir, String(tb.blockId)));
    const m: BlockMeta = { id: tb.blockId, length: tb.written, dir: tb.dir, lastAccess: ++this.clock, readers: 0 };
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
  /** Pin a block for reading; call the returned release() when done. */
  lockForRead(id: number): { meta: BlockMeta; release: () => void } {
    const m = this.blocks.get(id);
    if (!m) throw new BlockDoesNotExistError(`block ${id} is not on this worker`);
    m.readers++;
    m.lastAccess = ++this.clock;
    let done = false;
    return { meta: m, release: () => { if (!done) { done = true; m.readers--; } } };
  }

  /** Move a block to the top tier (CACHE_PROMOTE); no-op when already there or no room. */
  async promote(id: number): Promise<void> {
    const m = this.blocks.get(id);
    if (!m || m.dir.tier.level === 0 || m.readers > 0) return;
    const dir = await this.makeRoom(this.tiers[0]!, m.length);
    if (dir) await this.moveTo(m, dir);
  }

  async remove(id: number): Promise<boolean> {
    const m = this.blocks.get(id);
    if (!m) return false;
    this.blocks.delete(id);
    m.dir.used -= m.length;
    this.removed.add(id);
    this.added.delete(id);
    await fs.rm(this.blockPath(m), { force: true });
    return true;
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

  /** Free `bytes` in `dir` by moving LRU unlocked blocks down a tier or deleting them. */
  private async evictIn(dir: StoreDir, bytes: number): Promise<boolean> {
    const candidates = [...this.blocks.values()].filter((m) => m.dir === dir && m.readers === 0).sort((a, b) => a.lastAccess - b.lastAccess);
    let freed = 0;
    const victims: BlockMeta[] = [];
    for (const m of candidates) { if (freed >= bytes) break; victims.push(m); freed += m.length; }
    if (freed < bytes) return false;
    for (const m of victims) {
      const next = this.tiers[dir.tier.level + 1];
      const target = next?.dirs.find((d) => d.capacity - d.used >= m.length);
      if (target) await this.moveTo(m, target);
      else await this.remove(m.id);
    }
    return true;
  }

  private async moveTo(m: BlockMeta, dir: StoreDir): Promise<void> {
    const from = this.blockPath(m);
    const to = path.join(dir.dataDir, String(m.id));
    dir.used += m.length;
    try {
      await fs.rename(from, to).catch(async (e) => {
        if (e.code !== 'EXDEV') throw e;
        await fs.copyFile(from, to);
        await fs.rm(from, { force: true });
      });
    } catch (e) { dir.used -= m.length; throw e; }
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

