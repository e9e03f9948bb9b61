/**
 * Master web UI: an HTML overview and the same data as JSON at /api/v1/master/info; the effective
 * configuration at /api/v1/master/config.
 *
 * With alluxio.standby.master.web.enabled=false a master serves its UI pages only while it leads:
 * a standby answers them with 503 and where the leader's UI is. The /api/v1 endpoints answer on
 * every master whatever its role: readiness, the orchestrator and `fsadmin doctor` ask standbys too.
 */
import type { AlluxioMaster } from './master.js';
import { startWeb, page, table, uptime, formatBytes, esc, processIdentity, confSummary, logLevelRoute, type Route } from '../web.js';
import { clusterSecret } from '../../clusterSecret.js';
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
<p>${leader ? `The leader's web UI: <a href="http://${esc(leader)}/">${esc(leader)}</a>.` : 'No leader is known right now.'}</p>`;
    return { status: 503, type: 'html', body: page(`Alluxio Master ${esc(m.address)} (standby)`, body) };
  };
}

export function startMasterWeb(m: AlluxioMaster, host: string, port: number) {
  return startWeb(host, port, {
    '/api/v1/master/info': () => ({ type: 'json', body: masterOverview(m) }),
    '/api/v1/master/config': () => ({ type: 'json', body: confSummary(m.conf) }),
    // The applied namespace's digest (O(inodes); for consistency checks across masters).
    '/api/v1/master/namespace/digest': () => ({ type: 'json', body: { digest: m.ns.digest(), inodeCount: m.ns.inodeCount, journalLastIndex: m.journal.stats().lastIndex } }),
    // The Journal/HA page and its JSON (webJournal.ts).
    ...journalRoutes(m, (render) => uiPage(m, render)),
    '/': uiPage(m, () => {
      const o = masterOverview(m);
      const workers = (list: any[]) => table(['Id', 'Address', 'State', 'Last heartbeat (s)', 'Capacity', 'Used', 'Blocks'],
        list.map((w) => [w.id, w.address, w.state, w.lastContactSec, formatBytes(w.capacityBytes), formatBytes(w.usedBytes), w.blockCount]));
      const body = `
<h2>Overview</h2>
${table(['', ''], [
        ['Role', o.isLeader ? 'LEADER' : 'STANDBY'],
        ['Cluster Id', o.clusterId], ['Master Address', o.masterAddress], ['Leader Address', o.leaderAddress || 'unknown'],
        ['Started', new Date(o.startTimeMs).toISOString()], ['Uptime', uptime(o.uptimeMs)], ['Version', o.version],
        ['Journal', `${o.journalType} (last index ${o.journalLastIndex})`], ['Files and directories', o.inodeCount],
        ['Live Workers', o.liveWorkers.length], ['Lost Workers', o.lostWorkers.length],
        ['Total Capacity', formatBytes(o.capacityBytes)], ['Used Capacity', formatBytes(o.usedBytes)], ['Free Capacity', formatBytes(o.freeBytes)],
      ])}
${o.journalWriteError ? `<p class="error"><b>Journal writes refused:</b> ${esc(o.journalWriteError)}</p>` : ''}
${o.isLeader ? '' : `<p><b>This master is a standby.</b> ${o.leaderWebAddress ? `The leader is <a href="http://${esc(o.leaderWebAddress)}/">${esc(o.leaderAddress)}</a>.` : 'No leader is known right now.'}</p>`}
<h2>Live Workers</h2>${workers(o.liveWorkers)}
<h2>Lost Workers</h2>${workers(o.lostWorkers)}
<p><a href="/api/v1/master/info">JSON</a></p>`;
      return { type: 'html', body: page(`Alluxio Master ${esc(o.masterAddress)}`, body) };
    }),
  }, { '/api/v1/master/logLevel': logLevelRoute(clusterSecret(m.conf)) });
}
