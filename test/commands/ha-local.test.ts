/**
 * End to end through the real CLI: three masters of one embedded journal and a worker on this
 * host (a one-machine HA cluster), in a temp installation on free ports. format formats three
 * journals, start local starts four processes and waits for a leader, stop local stops all four.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../harness/cluster.js';
import { cli, freePortPair, killFromPidFiles, makeCliEnv, type CliEnv, type CliRun, isOurServer, logsOf, explain } from '../orchestrate/helpers.js';

const HOST = os.hostname();



interface Ha { e: CliEnv; journal: number[]; rpc: number[] }

/** A temp installation whose embedded journal lists three masters on this host. */
async function haEnv(extra: Record<string, string> = {}, withRpc = true): Promise<Ha> {
  const journal: number[] = [];
  const rpc: number[] = [];
  for (let i = 0; i < 3; i++) journal.push(await freePort());
  for (let i = 0; i < 3; i++) rpc.push(await freePortPair([...journal, ...rpc, ...rpc.map((p) => p + 1)]));
  const e = await makeCliEnv({
    'alluxio.master.embedded.journal.addresses': journal.map((p) => `localhost:${p}`).join(','),
    ...(withRpc ? { 'alluxio.master.rpc.addresses': rpc.map((p) => `localhost:${p}`).join(',') } : {}),
    'alluxio.master.worker.timeout': '3s',
    'alluxio.master.lost.worker.detection.interval': '200ms',
    'alluxio.worker.block.heartbeat.interval': '200ms',
    'alluxio.user.block.size.bytes.default': '1MB',
    ...extra,
  });
  return { e, journal, rpc };
}

async function info(webPort: number): Promise<{ isLeader: boolean; leaderAddress: string; masterAddress: string; liveWorkers: unknown[] }> {
  return (await fetch(`http://localhost:${webPort}/api/v1/master/info`, { signal: AbortSignal.timeout(2000) })).json() as never;
}

test('three local masters + a worker: format, start local, one leader, fs leader, runTests, stop local kills 4', async (t) => {
  const { e, journal, rpc } = await haEnv();
  t.after(() => killFromPidFiles(e));
  const why = explain(e);
  const jdir = (p: number) => path.join(e.workDir, 'journal', String(p));

  let r = await cli(e, ['format']);
  assert.equal(r.code, 0, why(r));
  for (const p of journal) {
    assert.match(r.stdout, new RegExp(`^\\[localhost\\] +Formatting Alluxio Master @ ${HOST} \\(master-${p}\\)$`, 'm'), why(r));
    assert.ok(r.stdout.includes(`Formatted journal ${jdir(p)}\n`), why(r));
    assert.ok(fs.existsSync(path.join(jdir(p), '.alluxio-journal')));
  }

  r = await cli(e, ['start', 'local', 'NoMount']);
  assert.equal(r.code, 0, why(r));
  const lines = r.stdout.split('\n');
  assert.deepEqual(lines.slice(0, 6), [
    ...journal.map((p) => `Starting master-${p} @ ${HOST}. Logging to ${e.logsDir}`),
    ...journal.map((p, i) => `--- [ OK ] The master-${p} service @ ${HOST} answers (rpc localhost:${rpc[i]}, web port ${rpc[i]! + 1}).`),
  ], why(r));
  assert.match(lines[6]!, new RegExp(`^--- \\[ OK \\] The master service @ ${HOST} is in a healthy state: master-(${journal.join('|')}) \\(localhost:(${rpc.join('|')})\\) leads\\.$`), why(r));
  assert.deepEqual(lines.slice(8), [
    `Starting worker @ ${HOST}. Logging to ${e.logsDir}`,
    `--- [ OK ] The worker service @ ${HOST} is in a healthy state.`,
    '',
  ], why(r));

  // Three master pid files (and logs), no master.pid; each names a live master.
  const pids = journal.map((p) => Number(fs.readFileSync(path.join(e.runDir, `master-${p}.pid`), 'utf8').trim()));
  for (const pid of pids) assert.ok(isOurServer(pid, 'master'));
  assert.equal(new Set(pids).size, 3);
  assert.equal(fs.existsSync(path.join(e.runDir, 'master.pid')), false);
  for (const p of journal) assert.ok(fs.existsSync(path.join(e.logsDir, `master-${p}.log`)));
  const worker = Number(fs.readFileSync(path.join(e.runDir, 'worker.pid'), 'utf8').trim());
  assert.ok(isOurServer(worker, 'worker'));

  // Exactly one leader; the web port of each is its rpc port + 1; the standbys name the leader.
  const infos = await Promise.all(rpc.map((p) => info(p + 1)));
  const leaders = infos.filter((i) => i.isLeader);
  assert.equal(leaders.length, 1, JSON.stringify(infos));
  const leaderAddr = leaders[0]!.masterAddress;
  assert.ok(rpc.map((p) => `localhost:${p}`).includes(leaderAddr), leaderAddr);
  for (const i of infos) {
    if (!i.isLeader && i.leaderAddress) assert.equal(i.leaderAddress, leaderAddr);
  }
  assert.equal(leaders[0]!.liveWorkers.length, 1);

  r = await cli(e, ['fs', 'leader']);
  assert.equal(r.code, 0, why(r));
  assert.equal(r.stdout, 'localhost\n');

  // facts: every master with its journal port; `master` is any running one.
  r = await cli(e, ['facts']);
  assert.equal(r.code, 0, why(r));
  const facts = JSON.parse(r.stdout).result;
  assert.deepEqual(facts.masters, journal.map((p, i) => ({ name: `master-${p}`, journalPort: p, running: true, pid: pids[i] })));
  assert.equal(facts.master.running, true);
  assert.ok(pids.includes(facts.master.pid));
  assert.equal(facts.journal.formatted, true);
  assert.deepEqual(facts.journals.map((j: { folder: string }) => j.folder), journal.map(jdir));

  r = await cli(e, ['runTests']);
  assert.equal(r.code, 0, why(r));
  assert.equal((r.stdout.match(/^Passed the test!$/gm) ?? []).length, 24);

  // Starting what runs says so for each; nothing is launched twice.
  r = await cli(e, ['start', 'local']);
  assert.equal(r.code, 0, why(r));
  for (const [i, p] of journal.entries()) assert.ok(r.stdout.includes(`master-${p} is already running (pid ${pids[i]}); not starting another\n`), why(r));
  assert.match(r.stdout, /is in a healthy state: master-\d+ \(localhost:\d+\) leads\.\n/);

  // Formatting is refused while they run, naming each.
  r = await cli(e, ['formatJournal']);
  assert.equal(r.code, 1);
  const byPort = journal.map((p, i) => [p, pids[i]!] as const).sort((a, b) => a[0] - b[0]);
  assert.equal(r.stderr, `Error: [${HOST}] cannot format while ${byPort.map(([p, pid]) => `the master-${p} (pid ${pid})`).join(' and ')} are running on this host\n`
    + 'Hint: stop them first: alluxio-stop.sh local (or alluxio stop master / alluxio stop worker)\n');

  r = await cli(e, ['stop', 'local']);
  assert.equal(r.code, 0, why(r));
  assert.equal(r.stdout, `Killed 4 process(es) on ${HOST}\n`);
  for (const pid of [...pids, worker]) assert.equal(isOurServer(pid, 'master') || isOurServer(pid, 'worker'), false);
  assert.deepEqual(fs.readdirSync(e.runDir).filter((f) => f.endsWith('.pid')), []);

  r = await cli(e, ['stop', 'local']);
  assert.equal(r.stdout, `Killed 0 process(es) on ${HOST}\n`);
});

test('three local masters: start -a master, then stop master stops all three', async (t) => {
  const { e, journal } = await haEnv();
  t.after(() => killFromPidFiles(e));
  let r = await cli(e, ['formatJournal']);
  assert.equal(r.code, 0, r.stderr);
  r = await cli(e, ['start', '-a', 'master']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, journal.map((p) => `Starting master-${p} @ ${HOST}. Logging to ${e.logsDir}\n`).join(''));
  r = await cli(e, ['stop', 'master']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `Killed 3 process(es) on ${HOST}\n`);
});

test('several local masters without alluxio.master.rpc.addresses: a ConfigError naming both keys, nothing started', async (t) => {
  const { e } = await haEnv({}, false);
  t.after(() => killFromPidFiles(e));
  for (const args of [['start', 'master', '-f'], ['formatJournal']]) {
    const r = await cli(e, args);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /alluxio\.master\.embedded\.journal\.addresses lists 3 masters on this host .*so alluxio\.master\.rpc\.addresses must list the rpc address of every master in the same order, but it lists none/);
    assert.match(r.stderr, /Hint: .*web port is its rpc port \+ 1/);
  }
  assert.equal(fs.existsSync(e.runDir) ? fs.readdirSync(e.runDir).filter((f) => f.endsWith('.pid')).length : 0, 0);
});

test('a master web port (rpc port + 1) that is another master\'s rpc port is a ConfigError', async (t) => {
  const base = await freePort();
  const { e } = await haEnv({ 'alluxio.master.rpc.addresses': `localhost:${base},localhost:${base + 1},localhost:${base + 3}` });
  t.after(() => killFromPidFiles(e));
  const r = await cli(e, ['start', 'master', '-f']);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stderr, new RegExp(`port ${base + 1} is used twice on this host: the web port of localhost:\\d+ \\(its rpc port \\+ 1, alluxio\\.master\\.web\\.port\\) and the rpc port of localhost:\\d+ \\(entry 2 of alluxio\\.master\\.rpc\\.addresses\\)`));
  assert.equal(r.stdout, '');
});

test('three local masters through start all / stop all: the masters answer, the orchestrator waits for the leader', async (t) => {
  const { e, journal } = await haEnv();
  t.after(() => killFromPidFiles(e));
  const why = explain(e);
  let r = await cli(e, ['format']);
  assert.equal(r.code, 0, why(r));

  r = await cli(e, ['start', 'all', '--dry-run']);
  assert.equal(r.code, 0, why(r));
  assert.match(r.stdout, new RegExp(`^\\[localhost\\] ${journal.map((p) => `start master-${p}`).join('; ')}; start worker$`, 'm'), why(r));

  r = await cli(e, ['start', 'all', 'NoMount']);
  assert.equal(r.code, 0, why(r));
  for (const p of journal) assert.match(r.stdout, new RegExp(`^\\[localhost\\] +--- \\[ OK \\] The master-${p} service @ ${HOST} answers `, 'm'), why(r));
  assert.doesNotMatch(r.stdout, /healthy state: master-/, 'the host start does not wait for the leader (--no-leader-wait)');
  assert.match(r.stdout, /^Waiting for a leader$/m);
  assert.match(r.stdout, /^localhost\s+leader\s+ok\s+localhost:\d+ leads$/m, why(r));
  assert.match(r.stdout, /^localhost\s+start master\s+changed\s+3 masters started$/m, why(r));
  assert.match(r.stdout, /^localhost\s+start worker\s+changed\s+worker started$/m, why(r));
  r = await cli(e, ['start', 'masters']);
  assert.equal(r.code, 0, why(r));
  assert.match(r.stdout, /^localhost\s+start master\s+ok\s+3 masters already running \(pids \d+, \d+, \d+\)$/m, why(r));

  r = await cli(e, ['format']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`cannot format while ${journal.map((p) => `master-${p} on localhost \\(pid \\d+\\)`).join(', ')}, worker on localhost \\(pid \\d+\\) are running; nothing was formatted`));

  r = await cli(e, ['stop', 'all']);
  assert.equal(r.code, 0, why(r));
  assert.match(r.stdout, /^\[localhost\] +Killed 3 process\(es\) on /m);
  assert.match(r.stdout, /^localhost\s+stop master\s+changed\s+3 masters stopped$/m);
  assert.deepEqual(fs.readdirSync(e.runDir).filter((f) => f.endsWith('.pid')), []);
});

test('one of several masters cannot serve: FAILED for it with its log tail, OK for the others, exit 1', async (t) => {
  const { e, journal, rpc } = await haEnv();
  t.after(() => killFromPidFiles(e));
  // occupy the web port of the second master (its rpc port + 1) so that it fails at startup
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(rpc[1]! + 1, resolve));
  t.after(() => blocker.close());
  let r = await cli(e, ['formatJournal']);
  assert.equal(r.code, 0, r.stderr);
  r = await cli(e, ['start', 'master']);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stdout, new RegExp(`^--- \\[ OK \\] The master-${journal[0]} service @ ${HOST} answers `, 'm'));
  assert.match(r.stdout, new RegExp(`^--- \\[ OK \\] The master-${journal[2]} service @ ${HOST} answers `, 'm'));
  assert.match(r.stderr, new RegExp(`^--- \\[ FAILED \\] The master-${journal[1]} @ ${HOST} is not serving requests\\.\n`));
  assert.match(r.stderr, new RegExp(`Error: \\[.*\\] the master-${journal[1]} process \\(pid \\d+\\) exited before it was ready\n`));
  assert.ok(r.stderr.includes(`>>> BEGIN ${path.join(e.logsDir, `master-${journal[1]}.log`)}\n`), r.stderr);
  r = await cli(e, ['stop', 'master']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^Removed stale pid file .*master-${journal[1]}\\.pid: process \\d+ is not running$`, 'm'));
  assert.match(r.stdout, /^Killed 2 process\(es\) on /m);
});

test('one local master of a multi-host embedded journal: master.pid as today, answers, no leader wait', async (t) => {
  // makeCliEnv picks the ports; a second env lends a free journal port the address list can name
  const e0 = await makeCliEnv();
  const e = await makeCliEnv({
    'alluxio.master.embedded.journal.port': String(e0.ports.journal),
    'alluxio.master.embedded.journal.addresses': `localhost:${e0.ports.journal},nohost-a.invalid:19200,nohost-b.invalid:19200`,
  });
  t.after(() => killFromPidFiles(e));
  let r = await cli(e, ['formatJournal']);
  assert.equal(r.code, 0, r.stderr);
  r = await cli(e, ['start', 'master']);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${logsOf(e.logsDir)}`);
  assert.equal(r.stdout, [
    `Starting master @ ${HOST}. Logging to ${e.logsDir}`,
    `--- [ OK ] The master service @ ${HOST} answers (rpc localhost:${e.ports.masterRpc}, web port ${e.ports.masterWeb}).`,
    `A leader is elected once 2 of the 3 masters of the embedded journal run (localhost:${e0.ports.journal}, nohost-a.invalid:19200, nohost-b.invalid:19200); check with: alluxio fs leader`,
    '',
  ].join('\n'));
  assert.ok(fs.existsSync(path.join(e.runDir, 'master.pid')));
  r = await cli(e, ['stop', 'master']);
  assert.equal(r.stdout, `Killed 1 process(es) on ${HOST}\n`);
});

test('several hosts in conf/masters need the embedded journal listing them: ConfigErrors naming both', async () => {
  const hosts = { masters: 'localhost\n127.0.0.1\n', workers: 'localhost\n' };
  const cases: [Record<string, string>, RegExp][] = [
    [{}, /masters lists 2 masters \(localhost, 127\.0\.0\.1\), but alluxio\.master\.journal\.type=EMBEDDED is served by the single-master local journal while alluxio\.master\.embedded\.journal\.addresses lists no master\n/],
    [{ 'alluxio.master.journal.type': 'UFS' }, /masters lists 2 masters \(localhost, 127\.0\.0\.1\), but alluxio\.master\.journal\.type=UFS without alluxio\.zookeeper\.enabled=true serves one master \(nothing would elect a leader among them\)\nHint: set alluxio\.zookeeper\.enabled=true and alluxio\.zookeeper\.address .*or use alluxio\.master\.journal\.type=EMBEDDED, or list one master in conf\/masters/],
    [{ 'alluxio.master.embedded.journal.addresses': 'localhost:19200,localhost:19201,localhost:19202' },
      /masters lists 2 masters \(localhost, 127\.0\.0\.1\), but alluxio\.master\.embedded\.journal\.addresses lists 3 \(localhost:19200, localhost:19201, localhost:19202\)\nHint: conf\/masters and alluxio\.master\.embedded\.journal\.addresses must name the same masters/],
  ];
  for (const [site, re] of cases) {
    const e = await makeCliEnv(site, hosts);
    for (const args of [['start', 'masters'], ['format']]) {
      const r = await cli(e, args);
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, re);
      assert.equal(r.stdout, '');
    }
  }
});
