/** Master web UI: an HTML overview and the same data as JSON at /api/v1/master/info. */
import type { AlluxioMaster } from './master.js';
import { startWeb, page, table, uptime, formatBytes, esc } from '../web.js';

export function masterOverview(m: AlluxioMaster) {
  const info = m.masterInfo();
  const cap = m.registry.capacity();
  const worker = (w: any) => ({
    id: w.id, address: `${w.address.host}:${w.address.rpcPort}`, webPort: w.address.webPort, state: w.state,
    lastContactSec: w.lastContactSec, capacityBytes: w.capacityBytes, usedBytes: w.usedBytes, blockCount: w.blockCount,
  });
  return {
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

export function startMasterWeb(m: AlluxioMaster, host: string, port: number) {
  return startWeb(host, port, {
    '/api/v1/master/info': () => ({ type: 'json', body: masterOverview(m) }),
    // The applied namespace's digest (O(inodes); for consistency checks across masters).
    '/api/v1/master/namespace/digest': () => ({ type: 'json', body: { digest: m.ns.digest(), inodeCount: m.ns.inodeCount, journalLastIndex: m.journal.stats().lastIndex } }),
    '/': () => {
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
    },
  });
}
