/**
 * The Journal/HA page (src/server/master/webJournal.ts): the renderer (exact HTML, everything
 * escaped), the audit log's tail, and a real 3-master embedded-journal cluster: kill -9 of the
 * leader, then `fsadmin journal quorum elect` of another member; the new leader's
 * /api/v1/master/webui_journal and /journal show both leader changes with their old and new
 * leaders and terms, the quorum with lags, the audit lines (escaped); a standby answers the JSON
 * with what it knows itself, and no page (alluxio.standby.master.web.enabled=false: 503 with the
 * leader's link). On both survivors Master.JournalLeaderChanges equals the leader events recorded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderJournal, type JournalView } from '../../src/server/master/webJournal.js';
import { readLastLines } from '../../src/fsutil.js';
import { auditAppend } from '../../src/orchestrate/builders/remote.js';
import { TestCluster, getJson, waitFor } from '../harness/cluster.js';

/** Master.JournalLeaderChanges from a master's /metrics/json/ (0 before the first count). */
const leaderChanges = async (web: string): Promise<number> => (await getJson(`${web}/metrics/json/`)).counters['Master.JournalLeaderChanges']?.count ?? 0;

/** A leader's view: one member down, one learner catching up; a `<script>` in an event and an audit line. */
const EXPECTED = `
<h2>Journal</h2>
<p>Leader: <a href="http://m2:19999/journal">m2:19200</a></p>
<table class="kv"><tr><th>Role</th><td>LEADER</td></tr><tr><th>Journal</th><td>EMBEDDED: embedded (Raft quorum)</td></tr><tr><th>This master</th><td>m2:19998 (journal m2:19200)</td></tr><tr><th>Term</th><td>7</td></tr><tr><th>Commit index</th><td>120</td></tr><tr><th>Applied index</th><td>120</td></tr><tr><th>Last index</th><td>121</td></tr><tr><th>Checkpoint index</th><td>100</td></tr><tr><th>Committed, not yet applied</th><td>0</td></tr><tr><th>Last contact with the leader</th><td>this master leads</td></tr></table>
<h2>Quorum</h2>
<table><tr><th>Member</th><th>RPC address</th><th>Role</th><th>Available</th><th>Match index</th><th>Lag (entries)</th><th>Last contact</th></tr><tr><td>m1:19200</td><td>-</td><td>FOLLOWER</td><td>NO</td><td>90</td><td>31</td><td>never</td></tr><tr><td>m2:19200</td><td>m2:19998</td><td>LEADER</td><td>yes</td><td>121</td><td>0</td><td>this master</td></tr><tr><td>m3:19200</td><td>m3:19998</td><td>LEARNER</td><td>yes</td><td>120</td><td>1</td><td>0.3 s ago</td></tr></table>

<h2>Events seen by this master (newest first)</h2>
<p>The last 100 are kept in memory; 3 older ones were dropped.</p>
<table><tr><th>Time</th><th>Event</th><th>Term</th><th>Old leader</th><th>New leader</th><th>Why / detail</th></tr><tr><td>2026-01-02T03:04:05.006Z</td><td>leader</td><td>7</td><td>m1:19200</td><td>m2:19200</td><td>leader m1:19200 -&gt; m2:19200 in term 7: leadership transfer from m1:19200</td></tr><tr><td>2026-01-02T03:04:00.000Z</td><td>snapshot-taken</td><td>-</td><td>-</td><td>-</td><td>took a snapshot at index 100 (term 6) &lt;script&gt;</td></tr></table>
<h2>Cluster command audit log</h2>
<p>The last lines (at most 50, oldest first) of <code>/var/log/alluxio/audit.log</code> on this host: the CLI appends one there for each cluster command that touched this host (start, stop, format, rolling restarts, quorum membership ...).</p>

<pre>2026-01-02T03:00:00.000Z root@cli &quot;alluxio-start.sh all&quot; OK
&lt;script&gt;alert(1)&lt;/script&gt;</pre>
<p><a href="/api/v1/master/webui_journal">JSON</a></p>`;


const FIXTURE: JournalView = {
  journalType: 'EMBEDDED', journal: 'EMBEDDED', masterAddress: 'm2:19998', memberId: 'm2:19200', isLeader: true,
  leader: 'm2:19200', leaderRpcAddress: 'm2:19998', leaderWebAddress: 'm2:19999', term: 7, commitIndex: 120, appliedIndex: 120, lastIndex: 121, checkpointIndex: 100,
  applyLag: 0, leaderContactMs: 0,
  members: [
    { id: 'm1:19200', rpcAddress: '', webAddress: '', role: 'follower', available: false, matchIndex: 90, lag: 31, lastContactMs: null },
    { id: 'm2:19200', rpcAddress: 'm2:19998', webAddress: 'm2:19999', role: 'leader', available: true, matchIndex: 121, lag: 0, lastContactMs: 0 },
    { id: 'm3:19200', rpcAddress: 'm3:19998', webAddress: 'm3:19999', role: 'learner', available: true, matchIndex: 120, lag: 1, lastContactMs: 250 },
  ],
  events: [
    { seq: 2, timeMs: Date.UTC(2026, 0, 2, 3, 4, 5, 6), kind: 'leader', term: 7, oldLeader: 'm1:19200', newLeader: 'm2:19200', reason: 'leadership transfer from m1:19200', detail: 'leader m1:19200 -> m2:19200 in term 7: leadership transfer from m1:19200' },
    { seq: 1, timeMs: Date.UTC(2026, 0, 2, 3, 4, 0, 0), kind: 'snapshot-taken', index: 100, detail: 'took a snapshot at index 100 (term 6) <script>' },
  ],
  eventsKept: 100, eventsDropped: 3,
  audit: { file: '/var/log/alluxio/audit.log', lines: ['2026-01-02T03:00:00.000Z root@cli "alluxio-start.sh all" OK', '<script>alert(1)</script>'] },
};

test('renderJournal: the exact page body, everything escaped', () => {
  assert.equal(renderJournal(FIXTURE), EXPECTED);
});

test('renderJournal: a ZooKeeper-mode standby without quorum, events or a readable audit log', () => {
  const v: JournalView = {
  journalType: 'UFS', journal: 'UFS', masterAddress: 'm1:19998', memberId: '', isLeader: false,
  leader: 'm2:19998', leaderRpcAddress: 'm2:19998', leaderWebAddress: '', term: 4, commitIndex: 10, appliedIndex: 10, lastIndex: 10, checkpointIndex: 0,
  applyLag: 0, leaderContactMs: null, members: [], events: [], eventsKept: 100, eventsDropped: 0,
  audit: { file: '/opt/alluxio/logs/audit.log', lines: [], error: 'EACCES: permission denied, open \'/opt/alluxio/logs/audit.log\'' },
};
  assert.equal(renderJournal(v), `
<h2>Journal</h2>
<p>Leader: m2:19998</p>
<table class="kv"><tr><th>Role</th><td>STANDBY</td></tr><tr><th>Journal</th><td>UFS: UFS shared folder, ZooKeeper election</td></tr><tr><th>This master</th><td>m1:19998</td></tr><tr><th>Epoch</th><td>4</td></tr><tr><th>Commit index</th><td>10</td></tr><tr><th>Applied index</th><td>10</td></tr><tr><th>Last index</th><td>10</td></tr><tr><th>Checkpoint index</th><td>0</td></tr><tr><th>Committed, not yet applied</th><td>0</td></tr><tr><th>Last contact with the leader</th><td>not tracked (no quorum)</td></tr></table>
<h2>Quorum</h2>
<p>No quorum: this journal has no members (only the embedded journal has one).</p>

<h2>Events seen by this master (newest first)</h2>
<p>The last 100 are kept in memory.</p>
<p>No journal event since this master started.</p>
<h2>Cluster command audit log</h2>
<p>The last lines (at most 50, oldest first) of <code>/opt/alluxio/logs/audit.log</code> on this host: the CLI appends one there for each cluster command that touched this host (start, stop, format, rolling restarts, quorum membership ...).</p>
<p class="error">Could not read it: EACCES: permission denied, open &#39;/opt/alluxio/logs/audit.log&#39;</p>

<p><a href="/api/v1/master/webui_journal">JSON</a></p>`);
});

test('readLastLines: the last n lines; a cut first line dropped; a missing file is no lines', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-tail-'));
  try {
    const f = path.join(dir, 'audit.log');
    assert.deepEqual(readLastLines(f, 5), { lines: [] });
    fs.writeFileSync(f, Array.from({ length: 10 }, (_, i) => `line ${i}`).join('\n') + '\n');
    assert.deepEqual(readLastLines(f, 3), { lines: ['line 7', 'line 8', 'line 9'] });
    assert.deepEqual(readLastLines(f, 50), { lines: Array.from({ length: 10 }, (_, i) => `line ${i}`) });
    // The last 16 bytes are "7\nline 8\nline 9\n": the cut line ("7") is dropped.
    assert.deepEqual(readLastLines(f, 50, 16), { lines: ['line 8', 'line 9'] });
    fs.appendFileSync(f, 'no newline yet');
    assert.deepEqual(readLastLines(f, 2), { lines: ['line 9', 'no newline yet'] });
    assert.match(readLastLines(dir, 2).error ?? '', /EISDIR/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** The cells of every row of the first table after heading `h2` in `html` (minimal parse: our own markup). */
function tableAfter(html: string, h2: string): string[][] {
  const at = html.indexOf(`<h2>${h2}`);
  assert.ok(at >= 0, `no heading ${h2}`);
  const t = /<table>(.*?)<\/table>/s.exec(html.slice(at))![1]!;
  return [...t.matchAll(/<tr>(.*?)<\/tr>/gs)].slice(1).map((r) => [...r[1]!.matchAll(/<td>(.*?)<\/td>/gs)].map((c) => c[1]!));
}

test('3 masters: kill -9 of the leader, then quorum elect; the new leader shows both leader changes, the quorum, the audit lines; a standby its own view', async (t) => {
  const c = new TestCluster({ masters: 3, workers: 0, props: { 'alluxio.standby.master.web.enabled': 'false' } });
  t.after(() => c.stop());
  await c.setup();
  await c.start();
  const j = (i: number) => `localhost:${c.masterPorts[i]!.journal}`;
  const web = (i: number) => `http://127.0.0.1:${c.masterPorts[i]!.web}`;
  const view = (i: number) => getJson(`${web(i)}/api/v1/master/webui_journal`);
  const fail = (msg: string) => `${msg}\n${c.logs()}`;

  // Two audit lines written the way the CLI's orchestrator writes them on a master's host.
  const auditFile = path.join(c.dir, 'logs', 'audit.log');
  for (const line of ['2026-01-02T03:00:00.000Z root@cli "alluxio-start.sh masters" OK', '2026-01-02T03:00:01.000Z root@cli "fs <script>alert(1)</script>" OK']) {
    const argv = auditAppend(auditFile, line);
    execFileSync(argv[0]!, argv.slice(1));
  }

  const first = await c.waitLeader();
  // Every master has heard from the first leader before it dies: a master that never saw it cannot
  // record the failover away from it (on a loaded machine the third may still be starting when the
  // first two have elected; CI saw exactly that).
  await waitFor('every master saw the first leader', async (observe) => {
    const views = await Promise.all([0, 1, 2].map((i) => view(i).catch((e: Error) => ({ leader: e.message }))));
    observe(views.map((x) => x.leader));
    return views.every((x) => x.leader === j(first));
  }, 30_000);
  await c.kill('master', first);
  const second = await c.waitLeader(30_000);
  const third = [0, 1, 2].find((i) => i !== first && i !== second)!;
  const elect = await c.cli(['fsadmin', 'journal', 'quorum', 'elect', '-address', j(third)]);
  assert.equal(elect.code, 0, fail(`${elect.stdout}${elect.stderr}`));
  assert.equal(await c.waitLeader(), third);

  // The new leader: both changes, newest first, with old and new leaders and increasing terms.
  const v = await waitFor('the new leader recorded the transfer', async (observe) => {
    const x = await view(third);
    observe(x.events);
    return x.isLeader && x.events.some((e: any) => e.kind === 'leader' && e.newLeader === j(third)) ? x : false;
  }, 20_000);
  const leaderEvents = v.events.filter((e: any) => e.kind === 'leader');
  const transfer = leaderEvents[0];
  const failover = leaderEvents.find((e: any) => e.oldLeader === j(first) && e.newLeader === j(second));
  assert.ok(failover, fail(JSON.stringify(v.events, null, 2)));
  assert.deepEqual([transfer.oldLeader, transfer.newLeader, transfer.reason, transfer.term], [j(second), j(third), `leadership transfer from ${j(second)}`, v.term]);
  assert.ok(failover.term < transfer.term, `failover term ${failover.term}, transfer term ${transfer.term}`);
  assert.ok(v.events.indexOf(transfer) < v.events.indexOf(failover), 'newest first');
  assert.ok(v.events.every((e: any, i: number) => i === 0 || v.events[i - 1].timeMs >= e.timeMs), 'times newest first');
  t.diagnostic(`failover seen by the new leader: ${failover.detail}`);
  // Third saw the first leader's connections reset, or campaigns for the second (under load its own timer may fire first).
  assert.match(failover.reason, new RegExp(`^(pre-vote after the connections to leader ${j(first)} were reset|election started by ${j(second)}|election by ${j(third)} after the election timeout \\(no word from a leader\\))$`));
  assert.deepEqual([v.journalType, v.journal, v.memberId, v.leader, v.leaderWebAddress], ['EMBEDDED', 'EMBEDDED', j(third), j(third), `localhost:${c.masterPorts[third]!.web}`]);
  assert.ok(v.commitIndex > 0 && v.appliedIndex === v.commitIndex, JSON.stringify(v));
  assert.deepEqual(v.audit, { file: auditFile, lines: ['2026-01-02T03:00:00.000Z root@cli "alluxio-start.sh masters" OK', '2026-01-02T03:00:01.000Z root@cli "fs <script>alert(1)</script>" OK'] });

  // The quorum as the leader sees it: the killed master unavailable, the others caught up.
  const q = await waitFor('live members caught up, the killed one unavailable', async (observe) => {
    const x = await view(third);
    observe(x.members);
    return x.members.filter((m: any) => m.available && m.lag === 0).length === 2 && x.members.some((m: any) => m.id === j(first) && !m.available) ? x : false;
  }, 20_000);
  const member = (i: number) => q.members.find((m: any) => m.id === j(i));
  assert.deepEqual([member(third).role, member(third).lastContactMs, member(third).matchIndex], ['leader', 0, q.lastIndex]);
  assert.deepEqual([member(second).role, member(second).available, member(second).lag], ['follower', true, 0]);
  assert.equal(typeof member(second).lastContactMs, 'number');
  assert.deepEqual([member(first).role, member(first).available], ['follower', false]);
  assert.ok(member(first).lag > 0 || member(first).matchIndex < q.lastIndex, JSON.stringify(member(first)));
  assert.equal(member(second).rpcAddress, `localhost:${c.masterPorts[second]!.rpc}`, 'it led once: its addresses are known');

  // The page, over HTTP: both events in the table, the quorum, the audit line escaped.
  const res = await fetch(`${web(third)}/journal`);
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.ok(!html.includes('<script>alert'), 'the audit line is escaped');
  assert.ok(html.includes('fs &lt;script&gt;alert(1)&lt;/script&gt;'));
  const rows = tableAfter(html, 'Events');
  const transferRow = rows.find((r) => r[1] === 'leader' && r[3] === j(second) && r[4] === j(third))!;
  assert.deepEqual(transferRow, [new Date(transfer.timeMs).toISOString(), 'leader', String(transfer.term), j(second), j(third), `leader ${j(second)} -&gt; ${j(third)} in term ${transfer.term}: leadership transfer from ${j(second)}`]);
  assert.ok(rows.some((r) => r[1] === 'leader' && r[3] === j(first) && r[4] === j(second) && r[2] === String(failover.term)), html);
  const members = tableAfter(html, 'Quorum');
  assert.deepEqual(members.map((r) => [r[0], r[2], r[3]]).sort(), [[j(first), 'FOLLOWER', 'NO'], [j(second), 'FOLLOWER', 'yes'], [j(third), 'LEADER', 'yes']].sort());

  // The old leader (now a standby): the transfer it was asked for; its own view; no page.
  const s = await view(second);
  const asked = s.events.find((e: any) => e.kind === 'transfer');
  assert.deepEqual([asked?.oldLeader, asked?.newLeader, asked?.reason], [j(second), j(third), 'requested'], JSON.stringify(s.events));
  assert.deepEqual([s.isLeader, s.leader, s.leaderWebAddress], [false, j(third), `localhost:${c.masterPorts[third]!.web}`]);
  assert.equal(typeof s.leaderContactMs, 'number');
  assert.ok(s.members.every((m: any) => m.matchIndex === null), 'a standby does not know the others\' progress');
  const standbyPage = await fetch(`${web(second)}/journal`);
  assert.equal(standbyPage.status, 503);
  assert.ok((await standbyPage.text()).includes(`<a href="http://localhost:${c.masterPorts[third]!.web}/">`));

  // Master.JournalLeaderChanges counts exactly the leader events the same master recorded: the
  // first leader, the failover and the transfer (3 on each survivor), not the leaderless moments
  // in between (a candidate or a follower between terms knows no leader).
  for (const i of [second, third]) {
    const x = await view(i);
    assert.equal(x.eventsDropped, 0);
    const seen = x.events.filter((e: any) => e.kind === 'leader');
    // Newest first: third, then second, then first (a loaded machine may add a re-election, never drop one).
    const leaders = seen.map((e: any) => e.newLeader).filter((l: string, k: number, a: string[]) => k === 0 || a[k - 1] !== l);
    assert.deepEqual(leaders, [j(third), j(second), j(first)], `master ${i}: ${JSON.stringify(x.events)}`);
    assert.equal(await leaderChanges(web(i)), seen.length, `master ${i}'s Master.JournalLeaderChanges against its leader events ${JSON.stringify(seen)}`);
  }
});
