/**
 * The worker's web UI pages: Overview `/` and Blocks `/blocks` as data (their JSON:
 * /api/v1/worker/webui_overview, webui_blocks) and as HTML made from it (pure renderers).
 */
import { VERSION } from '../../version.js';
import { formatBytes, hrefWith, intParam, kvTable, link, pageWindow, pager, table, uptime } from '../web.js';
import type { AlluxioWorker } from './worker.js';

export interface WorkerOverviewData {
  workerId: number;
  address: string;
  webAddress: string;
  registered: boolean;
  startTimeMs: number;
  uptimeMs: number;
  version: string;
  capacityBytes: number;
  usedBytes: number;
  blockCount: number;
  /** Capacity and used per tier, in tier order. */
  usageOnTiers: { alias: string; capacityBytes: number; usedBytes: number }[];
  /** Each storage directory of each tier. */
  tierDirs: { alias: string; path: string; capacityBytes: number; usedBytes: number }[];
}

export function workerOverviewData(w: AlluxioWorker): WorkerOverviewData {
  const usage = w.store.usage();
  return {
    workerId: w.workerId, address: `${w.hostname}:${w.rpcPort}`, webAddress: `${w.hostname}:${w.webPort}`, registered: w.registered,
    startTimeMs: w.startTimeMs, uptimeMs: Date.now() - w.startTimeMs, version: VERSION,
    capacityBytes: usage.reduce((s, t) => s + t.capacityBytes, 0), usedBytes: usage.reduce((s, t) => s + t.usedBytes, 0),
    blockCount: w.store.all().length, usageOnTiers: usage,
    tierDirs: w.store.tiers.flatMap((t) => t.dirs.map((d) => ({ alias: t.alias, path: d.root, capacityBytes: d.capacity, usedBytes: d.used }))),
  };
}

export function renderWorkerOverview(o: WorkerOverviewData): string {
  return `
${kvTable([
    ['Worker Id', o.workerId], ['Address', o.address], ['Registered', o.registered ? 'yes' : 'no'],
    ['Started', new Date(o.startTimeMs).toISOString()], ['Uptime', uptime(o.uptimeMs)], ['Version', o.version],
    ['Capacity', formatBytes(o.capacityBytes)], ['Used', formatBytes(o.usedBytes)], ['Blocks', o.blockCount],
  ])}
<h2>Tiers</h2>
${table(['Tier', 'Capacity', 'Used', 'Free'], o.usageOnTiers.map((t) => [t.alias, formatBytes(t.capacityBytes), formatBytes(t.usedBytes), formatBytes(t.capacityBytes - t.usedBytes)]))}
<h2>Storage Directories</h2>
${table(['Tier', 'Path', 'Capacity', 'Used'], o.tierDirs.map((d) => [d.alias, d.path, formatBytes(d.capacityBytes), formatBytes(d.usedBytes)]))}
<p>${link('/api/v1/worker/webui_overview', 'JSON').html}</p>`;
}

export interface BlockView { blockId: number; tierAlias: string; dir: string; length: number; /** The store's access counter (higher: used more recently; eviction takes the lowest first). */
  lastAccess: number; pinned: boolean }

export interface WorkerBlocksData {
  /** Blocks per tier (all of them), in tier order. */
  tiers: { alias: string; blockCount: number; bytes: number }[];
  /** The blocks from offset (at most limit), by tier then id. */
  blocks: BlockView[];
  total: number;
  offset: number;
  limit: number;
}

export const BLOCKS_LIMIT = 100;
export const BLOCKS_MAX_LIMIT = 10_000;

/** `?offset=&limit=`: this worker's blocks, by tier, then id. */
export function workerBlocksData(w: AlluxioWorker, q: URLSearchParams): WorkerBlocksData {
  const offset = intParam(q, 'offset', 0, Number.MAX_SAFE_INTEGER);
  const limit = Math.max(1, intParam(q, 'limit', BLOCKS_LIMIT, BLOCKS_MAX_LIMIT));
  const all = w.store.all().sort((a, b) => a.dir.tier.level - b.dir.tier.level || a.id - b.id);
  const tiers = w.store.tiers.map((t) => ({ alias: t.alias, blockCount: 0, bytes: 0 }));
  for (const b of all) {
    const t = tiers.find((x) => x.alias === b.dir.tier.alias);
    if (t) { t.blockCount++; t.bytes += b.length; }
  }
  const { start, end } = pageWindow(all.length, offset, limit);
  return {
    tiers, total: all.length, offset, limit,
    blocks: all.slice(start, end).map((b) => ({ blockId: b.id, tierAlias: b.dir.tier.alias, dir: b.dir.root, length: b.length, lastAccess: b.lastAccess, pinned: b.pinned })),
  };
}

export function renderWorkerBlocks(d: WorkerBlocksData): string {
  return `${table(['Tier', 'Blocks', 'Bytes'], d.tiers.map((t) => [t.alias, t.blockCount, formatBytes(t.bytes)]))}
<h2>Blocks</h2>
${table(['Block Id', 'Tier', 'Directory', 'Length (bytes)', 'Access Order', 'Pinned'],
    d.blocks.map((b) => [b.blockId, b.tierAlias, b.dir, b.length, b.lastAccess, b.pinned ? 'yes' : 'no']))}
${d.total === 0 ? '<p>(no blocks)</p>' : ''}${pager('/blocks', {}, d.total, d.offset, d.limit)}
<p>${link(hrefWith('/api/v1/worker/webui_blocks', { offset: d.offset, limit: d.limit }), 'JSON').html}</p>`;
}
