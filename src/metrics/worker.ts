/**
 * The worker's metrics: bytes it served and stored (by path: the data channel, short-circuit
 * sessions, the UFS), blocks evicted, blocks held and capacity per tier. The byte counters'
 * running totals travel to the leading master in every heartbeat (heartbeatMetrics), which sums
 * them into the Cluster.* counters (master.ts, ClusterMetrics).
 */
import type { AlluxioWorker } from '../server/worker/worker.js';
import { type Counter, counter, gauge } from './registry.js';
import { metricsState, registry } from './index.js';

export const workerMetrics = {
  bytesReadRemote: counter('Worker.BytesReadRemote', 'Bytes of block reads served over the data channel (port 29999), counted when the read is opened'),
  bytesReadDomain: counter('Worker.BytesReadDomain', 'Bytes of blocks lent to short-circuit readers on this host (the client reads the block file itself), counted when lent'),
  bytesWrittenRemote: counter('Worker.BytesWrittenRemote', 'Bytes of blocks written through the data channel and committed'),
  bytesWrittenDomain: counter('Worker.BytesWrittenDomain', 'Bytes of blocks written by short-circuit writers on this host and committed'),
  bytesReadUfs: counter('Worker.BytesReadUfs', 'Bytes read from the UFS for clients (ReadUfsBlock)'),
  bytesWrittenUfs: counter('Worker.BytesWrittenUfs', 'Bytes written to the UFS (THROUGH/CACHE_THROUGH writes and asynchronous persists)'),
  blocksAccessed: counter('Worker.BlocksAccessed', 'Block reads opened on this worker (data channel and short-circuit)'),
  blocksWritten: counter('Worker.BlocksWritten', 'Blocks written to this worker and committed (data channel and short-circuit)'),
  blocksEvicted: counter('Worker.BlocksEvicted', 'Blocks evicted from this worker\'s storage to make room (moves to a lower tier are not counted)'),
};

/** A block read opened: `bytes` more on `c` (one of the BytesRead counters), one more block accessed. */
export function blockRead(c: Counter, bytes: number): void { c.count += bytes; workerMetrics.blocksAccessed.count++; }

/** A block committed: `bytes` more on `c` (one of the BytesWritten counters), one more block written. */
export function blockWritten(c: Counter, bytes: number): void { c.count += bytes; workerMetrics.blocksWritten.count++; }

/** Worker counter -> the Cluster.* counter the leader sums it into (Alluxio's names). */
export const CLUSTER_OF_WORKER: Readonly<Record<string, { name: string; help: string }>> = {
  'Worker.BytesReadRemote': { name: 'Cluster.BytesReadRemote', help: 'Bytes read from workers over the data channel, all workers' },
  'Worker.BytesReadDomain': { name: 'Cluster.BytesReadLocal', help: 'Bytes read short-circuit (a client on the worker\'s host reads the block file), all workers' },
  'Worker.BytesWrittenRemote': { name: 'Cluster.BytesWrittenRemote', help: 'Bytes written to workers over the data channel, all workers' },
  'Worker.BytesWrittenDomain': { name: 'Cluster.BytesWrittenLocal', help: 'Bytes written short-circuit, all workers' },
  'Worker.BytesReadUfs': { name: 'Cluster.BytesReadUfsAll', help: 'Bytes workers read from the UFS, all workers' },
  'Worker.BytesWrittenUfs': { name: 'Cluster.BytesWrittenUfsAll', help: 'Bytes workers wrote to the UFS, all workers' },
};

const reported: readonly Counter[] = Object.values(workerMetrics).filter((c) => Object.hasOwn(CLUSTER_OF_WORKER, c.name));

/** The running totals a heartbeat carries (none with metrics off). */
export function heartbeatMetrics(): { name: string; value: number }[] {
  return metricsState.enabled ? reported.map((c) => ({ name: c.name, value: c.count })) : [];
}

/** Register the worker's metrics and gauges reading `w`'s store; call once when the worker starts. */
export function installWorkerMetrics(w: AlluxioWorker, enabled: boolean): void {
  metricsState.enabled = enabled;
  if (!enabled) return;
  registry.add(...Object.values(workerMetrics));
  registry.add(gauge('Worker.BlocksCached', 'Blocks held in this worker\'s storage', () => w.store.all().length));
  registry.onRead(() => {
    const usage = w.store.usage();
    const total = usage.reduce((s, t) => s + t.capacityBytes, 0);
    const used = usage.reduce((s, t) => s + t.usedBytes, 0);
    registry.removePrefix('Worker.Capacity');
    registry.add(
      gauge('Worker.CapacityTotal', 'Capacity of this worker\'s storage, bytes', () => total),
      gauge('Worker.CapacityUsed', 'Used storage of this worker, bytes', () => used),
      gauge('Worker.CapacityFree', 'Free storage of this worker, bytes', () => total - used),
    );
    for (const t of usage) {
      registry.add(
        gauge(`Worker.CapacityTotalTier${t.alias}`, 'Capacity of this worker\'s storage per tier, bytes', () => t.capacityBytes, { tier: t.alias }, 'Worker.CapacityTotalTier'),
        gauge(`Worker.CapacityUsedTier${t.alias}`, 'Used storage of this worker per tier, bytes', () => t.usedBytes, { tier: t.alias }, 'Worker.CapacityUsedTier'),
        gauge(`Worker.CapacityFreeTier${t.alias}`, 'Free storage of this worker per tier, bytes', () => t.capacityBytes - t.usedBytes, { tier: t.alias }, 'Worker.CapacityFreeTier'),
      );
    }
  });
}
