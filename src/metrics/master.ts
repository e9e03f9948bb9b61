/**
 * The master's metrics: namespace operations (Alluxio's Master.FilesCreated ...), RPCs (a count
 * and a latency histogram per method, from one wrapper around the service handlers where they are
 * registered), the journal (indexes, lag, flushes, snapshots, leader changes) and the cluster's
 * (capacity, workers, and the byte counters the workers report in their heartbeats, summed as
 * Alluxio's master aggregates Cluster.* metrics).
 */
import type * as grpc from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import type { AlluxioMaster } from '../server/master/master.js';
import { Counter, Rates, Timer, counter, gauge } from './registry.js';
import { journalMetrics, metricsState, registry } from './index.js';
import { CLUSTER_OF_WORKER } from './worker.js';

export const masterMetrics = {
  totalRpcs: counter('Master.TotalRpcs', 'RPCs this master answered (every method, failed ones too; the mux stream\'s calls each count)'),
  filesCreated: counter('Master.FilesCreated', 'Successful CreateFile operations'),
  directoriesCreated: counter('Master.DirectoriesCreated', 'Successful CreateDirectory operations'),
  pathsDeleted: counter('Master.PathsDeleted', 'Successful Delete operations (a recursive delete counts once)'),
  pathsRenamed: counter('Master.PathsRenamed', 'Successful Rename operations'),
  filesCompleted: counter('Master.FilesCompleted', 'Successful CompleteFile operations'),
  fileInfosGot: counter('Master.FileInfosGot', 'Successful GetStatus operations'),
  newBlocksGot: counter('Master.NewBlocksGot', 'Successful GetNewBlockIdForFile operations'),
};

/** The method whose successful call a counter counts. */
const ON_SUCCESS: Readonly<Record<string, Counter>> = {
  CreateFile: masterMetrics.filesCreated,
  CreateDirectory: masterMetrics.directoriesCreated,
  Remove: masterMetrics.pathsDeleted,
  Rename: masterMetrics.pathsRenamed,
  CompleteFile: masterMetrics.filesCompleted,
  GetStatus: masterMetrics.fileInfosGot,
  GetNewBlockIdForFile: masterMetrics.newBlocksGot,
};

type Services = [grpc.ServiceDefinition, grpc.UntypedServiceImplementation][];

/**
 * The services with every unary handler timed (Master.RpcLatency.<Method>) and counted
 * (Master.TotalRpcs, and the method's success counter). Registered once, where the master adds
 * its services: the plain gRPC methods and the multiplexed ones (mux.ts) share these handlers.
 * With metrics off the services are returned as they are.
 */
export function instrumentServices(services: Services): Services {
  if (!metricsState.enabled) return services;
  return services.map(([def, impl]) => {
    const out: grpc.UntypedServiceImplementation = { ...impl };
    for (const [name, md] of Object.entries(def)) {
      const handler = impl[name];
      if (md.requestStream || md.responseStream || typeof handler !== 'function') continue;
      const timer = new Timer(`Master.RpcLatency.${name}`, { help: 'Latency of the master\'s RPCs per method, from the call\'s arrival to its answer (failed calls too)', family: 'Master.RpcLatency', labels: { method: name } });
      registry.add(timer);
      const ok = ON_SUCCESS[name];
      const total = masterMetrics.totalRpcs;
      const h = handler as grpc.handleUnaryCall<unknown, unknown>;
      out[name] = ((call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        const t0 = performance.now();
        h(call, (err, res, ...rest) => {
          timer.observe(performance.now() - t0);
          total.count++;
          if (!err && ok) ok.count++;
          cb(err, res, ...rest);
        });
      }) as grpc.UntypedHandleCall;
    }
    return [def, out];
  });
}

/**
 * Cluster.* byte counters from the workers' heartbeats. Workers send their own counters' running
 * totals; the master adds each one's increase since that worker's previous report (a total lower
 * than before is a restarted worker: all of it is new). A new leader starts from nothing and adds
 * every worker's whole total with its first heartbeat (Alluxio's cluster metrics are not
 * journaled either).
 */
export class ClusterMetrics {
  readonly counters: ReadonlyMap<string, Counter>;
  private readonly last = new Map<number, Map<string, number>>();
  constructor() {
    this.counters = new Map(Object.entries(CLUSTER_OF_WORKER).map(([w, c]) => [w, counter(c.name, c.help)]));
  }
  /** One heartbeat's metrics from worker `workerId`; unknown names are ignored (a newer worker). */
  report(workerId: number, metrics: readonly { name: string; value: number }[] | undefined): void {
    if (!metrics?.length) return;
    let prev = this.last.get(workerId);
    if (!prev) { prev = new Map(); this.last.set(workerId, prev); }
    for (const { name, value } of metrics) {
      const c = this.counters.get(name);
      if (!c) continue;
      const before = prev.get(name) ?? 0;
      c.inc(value >= before ? value - before : value);
      prev.set(name, value);
    }
  }
  /** A standby forgets the workers' totals: a later leadership starts over. */
  reset(): void {
    this.last.clear();
    for (const c of this.counters.values()) c.count = 0;
  }
}

/** The leader's aggregation of the workers' heartbeat metrics (the BlockHeartbeat handler feeds it). */
export const clusterMetrics = new ClusterMetrics();

/** Register the master's metrics and gauges reading `m`'s state; call once when the master starts. */
export function installMasterMetrics(m: AlluxioMaster, enabled: boolean): void {
  metricsState.enabled = enabled;
  if (!enabled) return;
  registry.add(...Object.values(masterMetrics), ...Object.values(journalMetrics), ...clusterMetrics.counters.values());
  registry.add(
    gauge('Master.TotalPaths', 'Files and directories in the namespace', () => m.ns.inodeCount),
    gauge('Master.IsLeader', '1 while this master serves as the leader, else 0', () => (m.isLeader() ? 1 : 0)),
    gauge('Master.JournalLastAppliedCommitIndex', 'Index of the last journal entry applied to this master\'s namespace', () => m.journal.stats().appliedIndex),
    gauge('Master.JournalCommitIndex', 'Index of the last journal entry this master knows committed', () => m.journal.stats().commitIndex),
    gauge('Master.JournalApplyLag', 'Committed journal entries this master has not applied yet (commit index minus applied index)', () => { const s = m.journal.stats(); return Math.max(0, s.commitIndex - s.appliedIndex); }),
    gauge('Master.JournalEntriesSinceCheckPoint', 'Journal entries written since the newest checkpoint', () => { const s = m.journal.stats(); return Math.max(0, s.lastIndex - s.checkpointIndex); }),
    gauge('Cluster.Workers', 'Live workers (the leader\'s view)', () => m.registry.live().length),
    gauge('Cluster.LostWorkers', 'Lost workers: no heartbeat within alluxio.master.worker.timeout', () => m.registry.lost().length),
  );
  const rates = new Rates([...clusterMetrics.counters.values()].map((c) => () => c.count));
  [...clusterMetrics.counters.values()].forEach((c, i) => {
    registry.add(gauge(`${c.name.replace(/All$/, '')}Throughput`, `${c.help}, per minute over the last minute`, () => rates.perMinute(i)));
  });
  rates.start();
  // Capacity, in all and per tier (Alluxio: Cluster.CapacityUsedTierMEM), made again at each read.
  registry.onRead(() => {
    const cap = m.registry.capacity();
    registry.removePrefix('Cluster.Capacity');
    registry.add(
      gauge('Cluster.CapacityTotal', 'Capacity of the live workers\' storage, bytes', () => cap.capacityBytes),
      gauge('Cluster.CapacityUsed', 'Used storage of the live workers, bytes', () => cap.usedBytes),
      gauge('Cluster.CapacityFree', 'Free storage of the live workers, bytes', () => cap.capacityBytes - cap.usedBytes),
    );
    for (const t of cap.tiers) {
      registry.add(
        gauge(`Cluster.CapacityTotalTier${t.alias}`, 'Capacity of the live workers\' storage per tier, bytes', () => t.capacityBytes, { tier: t.alias }, 'Cluster.CapacityTotalTier'),
        gauge(`Cluster.CapacityUsedTier${t.alias}`, 'Used storage of the live workers per tier, bytes', () => t.usedBytes, { tier: t.alias }, 'Cluster.CapacityUsedTier'),
        gauge(`Cluster.CapacityFreeTier${t.alias}`, 'Free storage of the live workers per tier, bytes', () => t.capacityBytes - t.usedBytes, { tier: t.alias }, 'Cluster.CapacityFreeTier'),
      );
    }
  });
}
