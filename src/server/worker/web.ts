/**
 * Worker web UI: the pages of its navigation bar (Overview `/`, Blocks `/blocks`; Metrics comes
 * from its own module) with their JSON at /api/v1/worker/webui_<page> (webPages.ts); the
 * process's info at /api/v1/worker/info (readiness, the orchestrator) and the effective
 * configuration at /api/v1/worker/config, as before.
 */
import type { AlluxioWorker } from './worker.js';
import { startWeb, refreshSec, processIdentity, confSummary, logLevelRoute, htmlOrJson, queryOf, WORKER_NAV, type Route } from '../web.js';
import { renderWorkerBlocks, renderWorkerOverview, workerBlocksData, workerOverviewData } from './webPages.js';
import { clusterSecret } from '../../clusterSecret.js';
import { workerMetricsRoutes } from '../../metrics/web.js';

export function workerOverview(w: AlluxioWorker) {
  const tiers = w.store.tiers.map((t) => ({
    alias: t.alias,
    dirs: t.dirs.map((d) => ({ path: d.root, capacityBytes: d.capacity, usedBytes: d.used })),
  }));
  const usage = w.store.usage();
  return {
    ...processIdentity(w.conf),
    workerId: w.workerId,
    address: `${w.hostname}:${w.rpcPort}`,
    registered: w.registered,
    lastHeartbeatMs: w.lastHeartbeatMs,
    startTimeMs: w.startTimeMs,
    uptimeMs: Date.now() - w.startTimeMs,
    capacityBytes: usage.reduce((s, t) => s + t.capacityBytes, 0),
    usedBytes: usage.reduce((s, t) => s + t.usedBytes, 0),
    usageOnTiers: usage,
    tiers,
    blockCount: w.store.all().length,
    shortCircuit: { ...w.localSessions.stats, lockedBlocks: w.store.lockedBlocks() },
  };
}

export function startWorkerWeb(w: AlluxioWorker, host: string, port: number) {
  const title = (what: string) => `Alluxio Worker ${w.hostname}:${w.rpcPort}: ${what}`;
  const overview = (json: boolean): Route => () => htmlOrJson(json, title('Overview'), () => workerOverviewData(w), renderWorkerOverview, refreshSec(w.conf));
  const blocks = (json: boolean): Route => (req) => htmlOrJson(json, title('Blocks'), () => workerBlocksData(w, queryOf(req)), renderWorkerBlocks, 0);
  return startWeb(host, port, {
    ...workerMetricsRoutes(w),
    '/api/v1/worker/info': () => ({ type: 'json', body: workerOverview(w) }),
    '/api/v1/worker/config': () => ({ type: 'json', body: confSummary(w.conf) }),
    '/': overview(false),
    '/api/v1/worker/webui_overview': overview(true),
    '/blocks': blocks(false),
    '/api/v1/worker/webui_blocks': blocks(true),
  }, { '/api/v1/worker/logLevel': logLevelRoute(clusterSecret(w.conf)) }, { brand: 'Alluxio Worker', nav: WORKER_NAV });
}
