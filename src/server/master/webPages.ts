/**
 * The master's web UI pages as HTML, made from the data of webPagesData.ts (pure: no I/O, no
 * clock but the data's). Everything that comes from paths, hosts, configuration or logs goes
 * through esc (text and attributes) and encodeURIComponent (query values in links).
 */
import { esc, formatBytes, hrefWith, html, kvTable, link, pager, table, uptime, type Html } from '../web.js';
import { LOG_MAX_LINES } from './webPagesData.js';
import type { BrowseData, BrowseEntry, ConfigData, LogsData, MasterView, OverviewData, WorkersData, WorkerView } from './webPagesData.js';

/** A link to another server's web UI at host:port ('' gives the text alone). */
export function webLink(address: string, text: string = address, pathAndQuery = '/'): Html | string {
  return address ? link(`http://${address}${pathAndQuery}`, text) : text || 'unknown';
}

/** The browse page of `path` (and more parameters), every value percent-encoded. */
export function browseHref(path: string, params: Record<string, string | number | undefined> = {}): string {
  return hrefWith('/browse', { path, ...params });
}

const htmlOf = (x: Html | string): string => (typeof x === 'string' ? esc(x) : x.html);
const date = (ms: number | undefined): string => (ms ? new Date(ms).toISOString() : 'unknown');
const opt = (v: number | string | undefined): string | number => (v === undefined || v === '' ? 'unknown' : v);

function mastersTable(masters: readonly MasterView[]): string {
  return table(['Master (rpc)', 'Web UI', 'Journal address', 'Role', 'Quorum', 'Applied index', 'Index held (leader\'s view)', 'Lag', 'Uptime', 'Version'],
    masters.map((r) => [
      (r.rpcAddress || 'unknown') + (r.self ? ' (this master)' : ''), webLink(r.webAddress, r.webAddress || 'unknown'), r.journalAddress || '-', r.role,
      r.quorumState ?? '-', opt(r.appliedIndex), opt(r.matchIndex), opt(r.lag), r.uptimeMs === undefined ? 'unknown' : uptime(r.uptimeMs), opt(r.version),
    ]));
}

function tiersTable(tiers: OverviewData['tiers']): string {
  return table(['Tier', 'Capacity', 'Used', 'Free'], tiers.map((t) => [t.alias, formatBytes(t.capacityBytes), formatBytes(t.usedBytes), formatBytes(t.capacityBytes - t.usedBytes)]));
}

export function renderOverview(o: OverviewData): string {
  return `
${kvTable([
    ['Cluster Id', o.clusterId || 'unknown'], ['Master Address', o.masterAddress], ['Role', o.isLeader ? 'LEADER' : 'STANDBY'],
    ['Leader', o.leaderAddress ? (o.isLeader ? o.leaderAddress : webLink(o.leaderWebAddress, o.leaderAddress)) : 'unknown'],
    ['Started', date(o.startTimeMs)], ['Uptime', uptime(o.uptimeMs)], ['Version', o.version],
    ['Journal Type', o.journalType], ['Last Applied Index', o.journalAppliedIndex], ['Commit Index', o.journalCommitIndex], ['Last Index', o.journalLastIndex],
    ['Files and Directories', o.inodeCount], ['Files Failed To Persist', o.filesFailedToPersist],
    ['Live Workers', o.liveWorkers], ['Lost Workers', o.lostWorkers],
    ['Total Capacity', formatBytes(o.capacityBytes)], ['Used Capacity', formatBytes(o.usedBytes)], ['Free Capacity', formatBytes(o.freeBytes)],
  ])}
${o.journalWriteError ? `<p class="error"><b>Journal writes refused:</b> ${esc(o.journalWriteError)}</p>` : ''}
<h2>Masters</h2>
${mastersTable(o.masters)}
${o.quorumError ? `<p class="error">The journal quorum could not be read: ${esc(o.quorumError)}</p>` : ''}
<p>Uptime and version are known for this master only; the index held and the lag are the leader's view of the embedded journal.</p>
<h2>Storage</h2>
${tiersTable(o.tiers)}
<p>${link('/api/v1/master/webui_overview', 'JSON').html}</p>`;
}

function workersTable(list: readonly WorkerView[]): string {
  return table(['Id', 'Address', 'Web UI', 'State', 'Last Heartbeat (s ago)', 'Started', 'Capacity', 'Used', 'Capacity per Tier', 'Used per Tier', 'Blocks'],
    list.map((w) => [
      w.id, w.address, webLink(w.webAddress), w.state, w.lastContactSec, date(w.startTimeMs), formatBytes(w.capacityBytes), formatBytes(w.usedBytes),
      w.tiers.map((t) => `${t.alias}: ${formatBytes(t.capacityBytes)}`).join(', '), w.tiers.map((t) => `${t.alias}: ${formatBytes(t.usedBytes)}`).join(', '), w.blockCount,
    ]));
}

export function renderWorkers(d: WorkersData): string {
  return `${d.isLeader ? '' : '<p>A standby master knows no workers: they register with the leader.</p>'}
<h2>Live Workers (${d.liveWorkers.length})</h2>${workersTable(d.liveWorkers)}
<h2>Lost Workers (${d.lostWorkers.length})</h2>${workersTable(d.lostWorkers)}
<p>${link('/api/v1/master/webui_workers', 'JSON').html}</p>`;
}

function entryRow(e: BrowseEntry): unknown[] {
  return [
    link(browseHref(e.absolutePath), e.name), e.isDirectory ? '' : e.size, e.isDirectory ? '' : formatBytes(e.blockSizeBytes),
    e.isDirectory ? 'DIR' : `${e.inAlluxioPercentage}%`, e.persistenceState, e.owner, e.group, e.mode, date(e.lastModificationTimeMs),
  ];
}

const ENTRY_HEADERS = ['Name', 'Size (bytes)', 'Block Size', 'In Alluxio', 'Persistence State', 'Owner', 'Group', 'Mode', 'Modification Time'];

/** Breadcrumbs: each directory above a link, the last one text. */
export function crumbs(d: BrowseData): string {
  return `<p class="crumbs">${d.pathInfos.map((p, i) => (i === d.pathInfos.length - 1 ? `<b>${esc(p.name)}</b>` : link(browseHref(p.absolutePath), p.name).html)).join(' / ')}</p>`;
}

export function renderBrowse(d: BrowseData): string {
  if (d.status !== 'ok') {
    return `${d.pathInfos.length ? crumbs(d) : ''}<p class="error">${esc(d.error)}</p><p>${link(browseHref('/'), 'Back to /').html}</p>`;
  }
  const c = d.currentDirectory!;
  if (c.isDirectory) {
    return `${crumbs(d)}
${table(ENTRY_HEADERS, d.fileInfos.map(entryRow))}
${d.ntotalFile === 0 ? '<p>(empty directory)</p>' : ''}${pager('/browse', { path: d.currentPath }, d.ntotalFile, d.offset, d.limit)}
<p>${link(hrefWith('/api/v1/master/webui_browse', { path: d.currentPath, offset: d.offset, limit: d.limit }), 'JSON').html}</p>`;
  }
  const locations = (ls: BrowseData['fileBlocks'][number]['locations']) => html(ls.map((l) => `${htmlOf(webLink(l.workerWebAddress, l.workerAddress))} (${esc(l.tierAlias)})`).join('<br>'));
  return `${crumbs(d)}
<h2>File Status</h2>
${kvTable([
    ['Path', c.absolutePath], ['Size (bytes)', c.size], ['Block Size', formatBytes(c.blockSizeBytes)], ['In Alluxio', `${c.inAlluxioPercentage}%`],
    ['Completed', c.completed ? 'yes' : 'no'], ['Persistence State', c.persistenceState], ['UFS Path', d.ufsPath],
    ['Owner', c.owner], ['Group', c.group], ['Mode', c.mode], ['Creation Time', date(c.creationTimeMs)], ['Modification Time', date(c.lastModificationTimeMs)],
    ...(d.persistError ? [['Persist Error', d.persistError] as [string, unknown]] : []),
  ])}
<h2>Blocks (${d.fileBlocks.length})</h2>
${table(['Block Id', 'Offset', 'Length (bytes)', 'Locations (worker, tier)', 'On Lost Workers'],
    d.fileBlocks.map((b) => [b.blockId, b.offset, b.length, b.locations.length ? locations(b.locations) : 'not cached', b.lostLocations.length ? locations(b.lostLocations) : '']))}
<p>${link(hrefWith('/api/v1/master/webui_browse', { path: d.currentPath }), 'JSON').html}</p>`;
}

export function renderConfig(d: ConfigData): string {
  return `<p>Every key's value and where it comes from, as <code>alluxio getConf --source</code> prints them for this master's configuration (hash ${esc(d.configHash.slice(0, 12))}).</p>
${table(['Property', 'Value', 'Source'], d.configuration.map((c) => [c.key, c.value, c.source]))}
<p>${link('/api/v1/master/webui_config', 'JSON').html}</p>`;
}

export function renderLogs(d: LogsData): string {
  return `<p>Log file: ${esc(d.logFile || 'none')}; the last ${d.lines} lines (${link(hrefWith('/logs', { lines: Math.min(d.lines * 5, LOG_MAX_LINES) }), 'more').html}).</p>
${d.note ? `<p>${esc(d.note)}</p>` : ''}<pre>${esc(d.tail.join('\n'))}</pre>
<p>${link(hrefWith('/api/v1/master/webui_logs', { lines: d.lines }), 'JSON').html}</p>`;
}
