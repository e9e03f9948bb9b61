/**
 * Master web UI: the pages of the navigation bar (Overview `/`, Browse `/browse`, Workers
 * `/workers`, Configuration `/config`, Logs `/logs`; Metrics and Journal come from their own
 * modules), each with its JSON at /api/v1/master/webui_<page>; the data a page shows is made in
 * webPagesData.ts and rendered in webPages.ts. /api/v1/master/info (the orchestrator's readiness
 * and fsadmin's view), /api/v1/master/config and /api/v1/master/namespace/digest stay as they are.
 *
 * With alluxio.standby.master.web.enabled=false a master serves its UI pages only while it leads:
 * a standby answers them with 503 and where the leader's UI is. The /api/v1 endpoints answer on
 * every master whatever its role: readiness, the orchestrator and `fsadmin doctor` ask standbys too.
 */
import type { AlluxioMaster } from './master.js';
import type http from 'node:http';
import { startWeb, page, link, refreshSec, processIdentity, confSummary, logLevelRoute, htmlOrJson, queryOf, MASTER_NAV, type Route } from '../web.js';
import { browseData, configData, logsData, overviewData, workersData, type BrowseData } from './webPagesData.js';
import { renderBrowse, renderConfig, renderLogs, renderOverview, renderWorkers } from './webPages.js';
import { clusterSecret } from '../../clusterSecret.js';
import { masterMetricsRoutes } from '../../metrics/web.js';
import { journalRoutes } from './webJournal.js';

export function masterOverview(m: AlluxioMaster) {
  const info = m.masterInfo();
  const cap = m.registry.capacity();
  const worker = (w: any) => ({
    id: w.id, address: `${w.address.host}:${w.address.rpcPort}`, webPort: w.address.webPort, state: w.state,
    lastContactSec: w.lastContactSec, capacityBytes: w.capacityBytes, usedBytes: w.usedBytes, blockCount: w.blockCount,
  });
  return {
    ...processIdentity(m.conf),
    clusterId: info.clusterId,
    masterAddress: info.address,
    leaderAddress: info.leaderMasterAddress,
    leaderWebAddress: m.leaderWebAddress(),
    isLeader: info.isLeader,
    startTimeMs: info.startTimeMs,
    uptimeMs: info.upTimeMs,
    version: info.version,
    journalType: info.journalType,
    journalLastIndex: info.journalLastIndex,
    journalWriteError: info.journalWriteError,
    rpcPort: info.rpcPort,
    webPort: info.webPort,
    capacityBytes: cap.capacityBytes,
    usedBytes: cap.usedBytes,
    freeBytes: cap.capacityBytes - cap.usedBytes,
    tiers: cap.tiers,
    inodeCount: m.ns.inodeCount,
    liveWorkers: m.registry.live().map((w) => worker(m.workerInfo(w))),
    lostWorkers: m.registry.lost().map((w) => worker(m.workerInfo(w))),
  };
}

/** A UI page: served by a leader, and by a standby unless alluxio.standby.master.web.enabled=false. */
function uiPage(m: AlluxioMaster, render: Route): Route {
  const standbyUi = m.conf.getBool('alluxio.standby.master.web.enabled');
  return (req) => {
    if (standbyUi || m.isLeader()) return render(req);
    const leader = m.leaderWebAddress();
    const body = `<p>This master is a standby and alluxio.standby.master.web.enabled=false: it serves no web UI.</p>
<p>${leader ? `The leader's web UI: ${link(`http://${leader}/`, leader).html}.` : 'No leader is known right now.'}</p>`;
    return { status: 503, type: 'html', body: page(`Alluxio Master ${m.address} (standby)`, body) };
  };
}

/** The banner of every page of a standby: where the leader's web UI is. */
export function standbyBanner(m: AlluxioMaster): string {
  if (m.isLeader()) return '';
  const leader = m.leaderWebAddress();
  return `<b>This master is a standby</b>; ${leader ? `the leader is ${link(`http://${leader}/`, leader).html}` : 'no leader is known right now'}.`;
}

/** A page of the master's UI at `/<name>` and its JSON at /api/v1/master/webui_<name>. */
function uiRoutes<T>(m: AlluxioMaster, htmlPath: string, name: string, title: string, data: (req: http.IncomingMessage) => T, render: (d: T) => string, reloadSec: number): Record<string, Route> {
  const full = `Alluxio Master ${m.address}: ${title}`;
  return {
    [htmlPath]: uiPage(m, (req) => htmlOrJson(false, full, () => data(req), render, reloadSec)),
    [`/api/v1/master/webui_${name}`]: (req) => htmlOrJson(true, full, () => data(req), render),
  };
}

export function startMasterWeb(m: AlluxioMaster, host: string, port: number) {
  // A missing path is a 404 and an invalid one a 400 (of the same kind: a page or JSON).
  const browseStatus = (d: BrowseData) => (d.status === 'ok' ? 200 : d.status === 'notFound' ? 404 : 400);
  const browse = (json: boolean): Route => (req) => htmlOrJson(json, `Alluxio Master ${m.address}: Browse`, () => browseData(m, queryOf(req)), renderBrowse, 0, browseStatus);
  return startWeb(host, port, {
    ...masterMetricsRoutes(m, (r) => uiPage(m, r)),
    '/api/v1/master/info': () => ({ type: 'json', body: masterOverview(m) }),
    '/api/v1/master/config': () => ({ type: 'json', body: confSummary(m.conf) }),
    // The applied namespace's digest (O(inodes); for consistency checks across masters).
    '/api/v1/master/namespace/digest': () => ({ type: 'json', body: { digest: m.ns.digest(), inodeCount: m.ns.inodeCount, journalLastIndex: m.journal.stats().lastIndex } }),
    ...uiRoutes(m, '/', 'overview', 'Overview', () => overviewData(m), renderOverview, refreshSec(m.conf)),
    ...uiRoutes(m, '/workers', 'workers', 'Workers', () => workersData(m), renderWorkers, refreshSec(m.conf)),
    ...uiRoutes(m, '/config', 'config', 'Configuration', () => configData(m), renderConfig, 0),
    ...uiRoutes(m, '/logs', 'logs', 'Logs', (req) => logsData(queryOf(req)), renderLogs, 0),
    // The Journal/HA page and its JSON (webJournal.ts).
    ...journalRoutes(m, (render) => uiPage(m, render)),
    '/browse': uiPage(m, browse(false)),
    '/api/v1/master/webui_browse': browse(true),
  }, { '/api/v1/master/logLevel': logLevelRoute(clusterSecret(m.conf)) },
  { brand: 'Alluxio Master', nav: MASTER_NAV, banner: () => standbyBanner(m) });
}
