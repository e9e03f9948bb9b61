/**
 * The master's Journal/HA page (`/journal`) and its JSON (`/api/v1/master/webui_journal`): the HA
 * state Alluxio's UI does not show. What the journal of this master knows right now (type, term,
 * commit and applied index, the quorum with each member's match index, lag and last contact),
 * the events it saw since it started (journal/events.ts: leader changes and why, transfers,
 * membership changes, snapshots, ZooKeeper elections; newest first), and the last lines of the
 * cluster-command audit log that the CLI's orchestrator appends on this host.
 *
 * A leader knows every member's progress; a standby shows what it knows itself: the leader it
 * follows, when it last heard from it, and the entries it knows committed but has not applied.
 */
import fs from 'node:fs';
import { readLastLines } from '../../fsutil.js';
import path from 'node:path';
import type { AlluxioMaster } from './master.js';
import type { JournalEvent } from '../../journal/events.js';
import type { UfsJournalStats } from '../../journal/ufs/journal.js';
import { esc, kvTable, link, page, table, type Route } from '../web.js';

/** Audit lines the page shows (the newest). */
export const AUDIT_LINES_SHOWN = 50;
/** Bytes read from the end of the audit log to find them (a longer line is cut at its start). */
const AUDIT_TAIL_BYTES = 64 * 1024;

export interface JournalMemberView {
  /** The member's journal address (host:embedded journal port). */
  id: string;
  /** Its rpc and web addresses, once it announced them by leading (else ''). */
  rpcAddress: string;
  webAddress: string;
  /** learner: a member that lost its log and catches up; it neither votes nor counts toward the quorum. */
  role: 'leader' | 'follower' | 'learner';
  available: boolean;
  /** The last index the leader knows it holds (null when this master does not know: a standby). */
  matchIndex: number | null;
  /** The leader's last index minus matchIndex (null when unknown). */
  lag: number | null;
  /** Milliseconds since this master last heard from it (0 for itself; null: never since start). */
  lastContactMs: number | null;
}

export interface JournalView {
  /** alluxio.master.journal.type as configured. */
  journalType: string;
  /** What runs: EMBEDDED (Raft quorum), UFS (ZooKeeper election over a shared folder) or LOCAL (one master). */
  journal: string;
  masterAddress: string;
  /** This master's journal address (Raft), '' otherwise. */
  memberId: string;
  isLeader: boolean;
  /** The leader as the journal names it (Raft: its journal address; ZooKeeper: its rpc address); '' when unknown. */
  leader: string;
  leaderRpcAddress: string;
  leaderWebAddress: string;
  /** Raft term; ZooKeeper mode: the newest epoch in the shared folder; null for the local journal. */
  term: number | null;
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  checkpointIndex: number;
  /** Entries this master knows committed but has not applied yet. */
  applyLag: number;
  /** Milliseconds since this master last heard from the leader (0 on the leader; null when unknown or not tracked: no quorum). */
  leaderContactMs: number | null;
  /** The quorum (Raft only; complete on the leader, what this master saw on a standby). */
  members: JournalMemberView[];
  events: JournalEvent[];
  eventsKept: number;
  eventsDropped: number;
  audit: { file: string; lines: string[]; error?: string };
}

/** Where the CLI's orchestrator appends its audit lines on this host (cluster.ts, rolling.ts, membership.ts). */
export function auditLogFile(m: AlluxioMaster): string {
  return path.join(m.conf.get('alluxio.logs.dir'), 'audit.log');
}

export function journalView(m: AlluxioMaster): JournalView {
  const st = m.journal.stats();
  const newestEpoch = (st as Partial<UfsJournalStats>).newestEpoch; // the shared (ZooKeeper-mode) journal's
  const q = m.journal.quorum?.info();
  const isLeader = m.isLeader();
  const memberId = st.memberId ?? '';
  const announced = (id: string) => m.ns.masters.get(id);
  const members: JournalMemberView[] = (q?.members ?? []).map((x) => ({
    id: x.id, rpcAddress: announced(x.id)?.rpc ?? '', webAddress: announced(x.id)?.web ?? '',
    role: x.role === 'leader' ? 'leader' : x.recovering ? 'learner' : 'follower',
    available: x.available, matchIndex: x.match ?? null, lag: x.lag ?? null, lastContactMs: x.lastContactMs ?? null,
  }));
  const leader = q ? q.leader : st.type === 'LOCAL' ? m.address : m.leaderRpcAddress();
  const leaderMember = members.find((x) => x.id === leader);
  const audit = auditLogFile(m);
  const events = m.journal.events;
  return {
    journalType: m.conf.getEnum('alluxio.master.journal.type'),
    journal: st.type,
    masterAddress: m.address,
    memberId,
    isLeader,
    leader,
    leaderRpcAddress: m.leaderRpcAddress(),
    leaderWebAddress: m.leaderWebAddress(),
    term: q ? q.term : newestEpoch ?? null,
    commitIndex: st.commitIndex,
    appliedIndex: st.appliedIndex,
    lastIndex: st.lastIndex,
    checkpointIndex: st.checkpointIndex,
    applyLag: Math.max(0, st.commitIndex - st.appliedIndex),
    leaderContactMs: isLeader || (memberId !== '' && memberId === leader) ? 0 : leaderMember?.lastContactMs ?? null,
    members,
    events: events?.list() ?? [],
    eventsKept: events?.capacity ?? 0,
    eventsDropped: events?.dropped ?? 0,
    audit: { file: audit, ...readLastLines(audit, AUDIT_LINES_SHOWN, AUDIT_TAIL_BYTES) },
  };
}

const orDash = (v: unknown) => (v === null || v === undefined || v === '' ? '-' : v);
const ago = (ms: number | null) => (ms === null ? 'never' : `${(ms / 1000).toFixed(1)} s ago`);

/** The page's body (everything escaped). */
export function renderJournal(v: JournalView): string {
  const leaderLink = v.leaderWebAddress
    ? link(`http://${v.leaderWebAddress}/journal`, v.leader || v.leaderRpcAddress).html
    : esc(v.leader || 'unknown');
  const kind = v.journal === 'EMBEDDED' ? 'embedded (Raft quorum)' : v.journal === 'UFS' ? 'UFS shared folder, ZooKeeper election' : v.journal === 'LOCAL' ? 'local (single master)' : v.journal;
  const summary = kvTable([
    ['Role', v.isLeader ? 'LEADER' : 'STANDBY'],
    ['Journal', `${v.journalType}: ${kind}`],
    ['This master', v.memberId ? `${v.masterAddress} (journal ${v.memberId})` : v.masterAddress],
    [v.journal === 'UFS' ? 'Epoch' : 'Term', orDash(v.term)],
    ['Commit index', v.commitIndex], ['Applied index', v.appliedIndex], ['Last index', v.lastIndex], ['Checkpoint index', v.checkpointIndex],
    ['Committed, not yet applied', v.applyLag],
    ['Last contact with the leader', v.isLeader ? 'this master leads' : v.journal !== 'EMBEDDED' ? 'not tracked (no quorum)' : ago(v.leaderContactMs)],
  ]);
  const members = v.members.length
    ? table(['Member', 'RPC address', 'Role', 'Available', 'Match index', 'Lag (entries)', 'Last contact'],
      v.members.map((x) => [x.id, orDash(x.rpcAddress), x.role.toUpperCase(), x.available ? 'yes' : 'NO', orDash(x.matchIndex), orDash(x.lag), x.id === v.memberId ? 'this master' : ago(x.lastContactMs)]))
    : `<p>${v.journal === 'EMBEDDED' ? 'No quorum information.' : 'No quorum: this journal has no members (only the embedded journal has one).'}</p>`;
  const standbyNote = !v.isLeader && v.journal === 'EMBEDDED'
    ? '<p>A standby does not know the other members\' progress: match index and lag are the leader\'s view (open the leader\'s page).</p>' : '';
  const events = v.events.length
    ? table(['Time', 'Event', 'Term', 'Old leader', 'New leader', 'Why / detail'],
      v.events.map((e) => [new Date(e.timeMs).toISOString(), e.kind, orDash(e.term), orDash(e.oldLeader), orDash(e.newLeader), e.detail]))
    : '<p>No journal event since this master started.</p>';
  const audit = v.audit.lines.length ? `<pre>${esc(v.audit.lines.join('\n'))}</pre>` : v.audit.error ? '' : '<p>No audit line on this host.</p>';
  return `
<h2>Journal</h2>
<p>Leader: ${leaderLink}</p>
${summary}
<h2>Quorum</h2>
${members}
${standbyNote}
<h2>Events seen by this master (newest first)</h2>
<p>The last ${esc(v.eventsKept)} are kept in memory${v.eventsDropped ? `; ${esc(v.eventsDropped)} older ones were dropped` : ''}.</p>
${events}
<h2>Cluster command audit log</h2>
<p>The last lines (at most ${AUDIT_LINES_SHOWN}, oldest first) of <code>${esc(v.audit.file)}</code> on this host: the CLI appends one there for each cluster command that touched this host (start, stop, format, rolling restarts, quorum membership ...).</p>
${v.audit.error ? `<p class="error">Could not read it: ${esc(v.audit.error)}</p>` : ''}
${audit}
<p><a href="/api/v1/master/webui_journal">JSON</a></p>`;
}

/**
 * The routes of this part: the JSON answers on every master; the page goes through `uiPage`
 * (the standby rule of web.ts).
 */
export function journalRoutes(m: AlluxioMaster, uiPage: (render: Route) => Route): Record<string, Route> {
  return {
    '/api/v1/master/webui_journal': () => ({ type: 'json', body: journalView(m) }),
    '/journal': uiPage(() => ({ type: 'html', body: page(`Alluxio Master ${m.address}: Journal`, renderJournal(journalView(m))) })),
  };
}
