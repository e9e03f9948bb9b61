/**
 * Soft state of the block master: which workers exist, their capacity, and which blocks each
 * holds. Not journaled: workers re-register and report their blocks after a master restart.
 */

export interface NetAddress { host: string; rpcPort: number; webPort: number }
export interface TierUsage { alias: string; capacityBytes: number; usedBytes: number }

export interface WorkerRecord {
  id: number;
  address: NetAddress;
  tiers: TierUsage[];
  /** blockId -> tier alias */
  blocks: Map<number, string>;
  lastContactMs: number;
  startTimeMs: number;
  registeredMs: number;
  state: 'LIVE' | 'LOST';
  /** Blocks this worker must delete (sent with the next heartbeat). */
  pendingFree: Set<number>;
  /** Files this worker was asked to persist and has not reported yet. */
  persisting: Set<number>;
  /** Blocks whose file was persisted: the worker may unpin them (sent with the next heartbeat). */
  pendingUnpin: Set<number>;
  /** sha256 of the worker's effective configuration, as it registered ('' from an older worker). */
  configHash?: string;
  /** The same over the keys every server should agree on (sharedConfigHash). */
  sharedConfigHash?: string;
}

const addrKey = (a: NetAddress) => `${a.host}:${a.rpcPort}`;

export class BlockRegistry {
  readonly workers = new Map<number, WorkerRecord>();
  private locations = new Map<number, Set<number>>();
  private nextId = 1;

  constructor(private readonly now: () => number = Date.now) {}

  /** Register (or re-register) a worker; keeps its previous id when no other worker holds it. */
  register(address: NetAddress, previousId: number, tiers: TierUsage[], blocks: { blockId: number; alias: string }[], startTimeMs: number): WorkerRecord {
    // The same address re-registering replaces its old record.
    let id = 0;
    for (const w of this.workers.values()) if (addrKey(w.address) === addrKey(address)) { id = w.id; this.remove(w.id); }
    if (!id && previousId > 0 && !this.workers.has(previousId)) id = previousId;
    if (!id) { while (this.workers.has(this.nextId)) this.nextId++; id = this.nextId++; }
    if (id >= this.nextId) this.nextId = id + 1;
    const t = this.now();
    const rec: WorkerRecord = {
      id, address, tiers, blocks: new Map(), lastContactMs: t, startTimeMs, registeredMs: t, state: 'LIVE',
      pendingFree: new Set(), persisting: new Set(), pendingUnpin: new Set(),
    };
    this.workers.set(id, rec);
    for (const b of blocks) this.addLocation(rec, b.blockId, b.alias);
    return rec;
  }

  get(id: number): WorkerRecord | undefined { return this.workers.get(id); }

  addLocation(w: WorkerRecord, blockId: number, alias: string): void {
    w.blocks.set(blockId, alias);
    let s = this.locations.get(blockId);
    if (!s) this.locations.set(blockId, (s = new Set()));
    s.add(w.id);
  }

  removeLocation(w: WorkerRecord, blockId: number): void {
    w.blocks.delete(blockId);
    const s = this.locations.get(blockId);
    if (s) { s.delete(w.id); if (s.size === 0) this.locations.delete(blockId); }
  }

  /** Live workers holding `blockId`, with the tier each holds it in. */
  locationsOf(blockId: number): { worker: WorkerRecord; alias: string }[] {
    return this.holders(blockId, 'LIVE');
  }

  /**
   * LOST workers that held `blockId` when last heard of: their copy is unreachable but may come
   * back (a restarted worker re-registers with its blocks). Clients name them in the error.
   */
  lostLocationsOf(blockId: number): { worker: WorkerRecord; alias: string }[] {
    return this.holders(blockId, 'LOST');
  }

  private holders(blockId: number, state: WorkerRecord['state']): { worker: WorkerRecord; alias: string }[] {
    const out: { worker: WorkerRecord; alias: string }[] = [];
    for (const id of this.locations.get(blockId) ?? []) {
      const w = this.workers.get(id);
      if (w && w.state === state) out.push({ worker: w, alias: w.blocks.get(blockId) ?? '' });
    }
    return out;
  }

  /**
   * Forget blocks everywhere (file deleted) and ask their workers to free them. A block with no
   * known location may still sit uncommitted on some worker (its commit never arrived), so every
   * live worker is asked to drop it; workers ignore blocks they do not have.
   */
  freeBlocks(blockIds: Iterable<number>): void {
    for (const b of blockIds) {
      const holders = this.locations.get(b);
      const targets = holders?.size ? [...holders].map((id) => this.workers.get(id)) : this.live();
      for (const w of targets) {
        if (w) { w.blocks.delete(b); w.pendingFree.add(b); }
      }
      this.locations.delete(b);
    }
  }

  private remove(id: number): void {
    const w = this.workers.get(id);
    if (!w) return;
    for (const b of [...w.blocks.keys()]) this.removeLocation(w, b);
    this.workers.delete(id);
  }

  /** Mark workers not heard from within `timeoutMs` as LOST; returns the newly lost. */
  detectLost(timeoutMs: number): WorkerRecord[] {
    const t = this.now();
    const lost: WorkerRecord[] = [];
    for (const w of this.workers.values()) {
      if (w.state === 'LIVE' && t - w.lastContactMs > timeoutMs) { w.state = 'LOST'; lost.push(w); }
    }
    return lost;
  }

  live(): WorkerRecord[] { return [...this.workers.values()].filter((w) => w.state === 'LIVE'); }
  lost(): WorkerRecord[] { return [...this.workers.values()].filter((w) => w.state === 'LOST'); }

  capacity(): { capacityBytes: number; usedBytes: number; tiers: TierUsage[] } {
    const byAlias = new Map<string, TierUsage>();
    let capacityBytes = 0, usedBytes = 0;
    for (const w of this.live()) {
      for (const t of w.tiers) {
        capacityBytes += t.capacityBytes; usedBytes += t.usedBytes;
        const a = byAlias.get(t.alias) ?? { alias: t.alias, capacityBytes: 0, usedBytes: 0 };
        a.capacityBytes += t.capacityBytes; a.usedBytes += t.usedBytes;
        byAlias.set(t.alias, a);
      }
    }
    return { capacityBytes, usedBytes, tiers: [...byAlias.values()] };
  }
}
