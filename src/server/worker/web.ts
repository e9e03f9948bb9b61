/**
 * Worker web UI: capacity, usage and blocks, as HTML and as JSON at /api/v1/worker/info; the
 * effective configuration at /api/v1/worker/config.
 */
import type { AlluxioWorker } from './worker.js';
import { startWeb, page, table, uptime, formatBytes, esc, processIdentity, confSummary, logLevelRoute } from '../web.js';
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
  return startWeb(host, port, {
    ...workerMetricsRoutes(w),
    '/api/v1/worker/info': () => ({ type: 'json', body: workerOverview(w) }),
    '/api/v1/worker/config': () => ({ type: 'json', body: confSummary(w.conf) }),
    '/': () => {
      const o = workerOverview(w);
      const body = `
${table(['', ''], [
        ['Worker Id', o.workerId], ['Address', o.address], ['Registered', o.registered ? 'yes' : 'no'],
        ['Started', new Date(o.startTimeMs).toISOString()], ['Uptime', uptime(o.uptimeMs)],
        ['Capacity', formatBytes(o.capacityBytes)], ['Used', formatBytes(o.usedBytes)], ['Blocks', o.blockCount],
      ])}
<h2>Storage directories</h2>
${table(['Tier', 'Path', 'Capacity', 'Used'], o.tiers.flatMap((t) => t.dirs.map((d) => [t.alias, d.path, formatBytes(d.capacityBytes), formatBytes(d.usedBytes)])))}
<p><a href="/api/v1/worker/info">JSON</a></p>`;
      return { type: 'html', body: page(`Alluxio Worker ${esc(o.address)}`, body) };
    },
  }, { '/api/v1/worker/logLevel': logLevelRoute(clusterSecret(w.conf)) });
}
