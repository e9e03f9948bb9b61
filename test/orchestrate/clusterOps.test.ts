/**
 * The controller (clusterOps.ts) with a fake executor: it reads only protocol replies. For each
 * step kind: success, a typed failure (its class reaches the report), garbage output, a timeout
 * (the executor rejects with TimeoutError) and a non-zero exit without JSON. And per verb: the
 * --dry-run plan is exactly the steps apply executes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { loadConfig } from '../../src/conf/index.js';
import { INSTALL_ROOT } from '../../src/conf/installRoot.js';
import { ConfigError, HostError, TimeoutError, UsageError, type AlluxioError } from '../../src/errors.js';
import { ClusterSession, type ClusterCliOptions } from '../../src/orchestrate/cluster.js';
import { clusterFormat, clusterStart, clusterStop } from '../../src/orchestrate/clusterOps.js';
import type { Executor, ExecResult, RunOptions } from '../../src/orchestrate/executor.js';
import { confHash, installHash } from '../../src/orchestrate/install.js';
import type { HostFactsJson } from '../../src/orchestrate/local/facts.js';
import { errorReply, okReply, ProtocolError, type PidFileState, type StepName } from '../../src/orchestrate/protocol.js';
import { tmpDir } from './helpers.js';

const M = 'm1.invalid';
const W = 'w1.invalid';

/** How the fake host answers one remote CLI step (argv after bin/alluxio, without --json and -D). */
type Answer = (args: string[]) => Partial<ExecResult> | 'timeout';

function facts(host: string, over: Partial<HostFactsJson> = {}): HostFactsJson {
  return {
    hostname: host, node: process.version, timeMs: Date.now(), installRoot: '/opt/alluxio', installHash: 'x', confHash: 'y',
    master: { running: false }, masters: [{ name: 'master', journalPort: 19200, running: false }], worker: { running: false },
    journal: { folder: '/opt/alluxio/journal', formatted: true }, journals: [],
    workerStorage: [{ dataDir: '/mnt/ramdisk/alluxioworker', exists: true }],
    ...over,
  };
}

const json = (o: unknown) => `${JSON.stringify(o)}\n`;

/** Successful replies of every step (what a healthy host says). */
function healthy(host: string, f: HostFactsJson): Answer {
  return (args) => {
    const step = args[0] as StepName;
    switch (step) {
      case 'facts': return { stdout: json(okReply('facts', host, f)) };
      case 'start': {
        const kind = args.includes('master') ? 'master' : 'worker';
        return { stdout: json(okReply('start', host, { processes: [{ kind, name: kind, action: 'started', pid: 4242, readiness: 'serving' }] })) };
      }
      case 'stop': {
        const kind = args.includes('master') ? 'master' : 'worker';
        return { stdout: json(okReply('stop', host, { processes: [{ kind, name: kind, action: 'stopped', pid: 4242 }] })) };
      }
      case 'formatJournal': return { stdout: json(okReply('formatJournal', host, { deleted: ['/j/log'], journals: [{ name: 'master', folder: '/j', action: 'formatted' }] })) };
      case 'formatWorker': return { stdout: json(okReply('formatWorker', host, { deleted: [], workerDirs: [{ dataDir: '/d', action: 'created' }] })) };
      default: return { code: 2, stderr: `unexpected step ${args.join(' ')}` };
    }
  };
}

class FakeExecutor implements Executor {
  /** Every remote CLI step run: [host, args without --json and -D]. */
  readonly steps: [string, string[]][] = [];
  /** Hosts whose probe answers their facts in the same run (as a current install does). */
  readonly probeFacts = new Map<string, HostFactsJson>();
  /** How many `alluxio facts` runs each host got. */
  readonly factsRuns = new Map<string, number>();
  constructor(private readonly answers: Map<string, Answer>, private readonly hashes: { install: string; conf: string }) {}
  isLocal(): boolean { return false; }
  async run(host: string, argv: readonly string[], _opts?: RunOptions): Promise<ExecResult> {
    const res = (r: Partial<ExecResult>): ExecResult => ({ host, code: 0, stdout: '', stderr: '', ms: 1, ...r });
    if (argv[0] === 'node') {
      const facts = this.probeFacts.get(host);
      const servers = this.serversOf(host);
      return res({ stdout: json(okReply('probe', host, { node: process.version, installHash: this.hashes.install, confHash: this.hashes.conf, hostname: host, timeMs: Date.now(), servers, ...(facts ? { facts } : {}) })) });
    }
    if (argv[0] === 'sh' && argv[3] === 'lock') return res({ stdout: 'LOCKED\n' });
    if (argv[0] === 'sh' || argv[0] === 'rm') return res({});
    assert.ok(argv[0]!.endsWith('/bin/alluxio'), argv.join(' '));
    const args = argv.slice(1).filter((a) => a !== '--json' && !a.startsWith('-D'));
    if (args[0] !== 'facts') this.steps.push([host, args]);
    else this.factsRuns.set(host, (this.factsRuns.get(host) ?? 0) + 1);
    const a = this.answers.get(host)!(args);
    if (a === 'timeout') throw new TimeoutError(`[${host}] ${args.join(' ')} timed out after 180 s`);
    return res(a);
  }
  /** The pid files the probe finds: those of the processes the host's facts say run (as on a real host). */
  private serversOf(host: string): PidFileState[] {
    let f: HostFactsJson | undefined = this.probeFacts.get(host);
    if (!f) {
      const a = this.answers.get(host)!(['facts']);
      if (a !== 'timeout' && a.stdout) { try { const reply = JSON.parse(a.stdout); if (reply.ok) f = reply.result; } catch { /* garbage */ } }
    }
    if (!f) return [];
    const ms = f.masters?.length ? f.masters : [{ name: 'master', ...f.master }];
    return [
      ...ms.filter((m) => m.running).map((m) => ({ name: m.name, kind: 'master' as const, pidFile: `/run/${m.name}.pid`, running: true, ...(m.pid ? { pid: m.pid } : {}) })),
      ...(f.worker.running ? [{ name: 'worker', kind: 'worker' as const, pidFile: '/run/worker.pid', running: true, ...(f.worker.pid ? { pid: f.worker.pid } : {}) }] : []),
    ];
  }

  runWithInput(host: string, argv: readonly string[], _input: Readable | Buffer): Promise<ExecResult> { return this.run(host, argv); }
  async close(): Promise<void> { /* nothing to close */ }
}

async function session(answers: Record<string, Answer>, opts: Partial<ClusterCliOptions> = {}, o: { masters?: string[]; site?: string } = {}) {
  const dir = tmpDir();
  const conf = path.join(dir, 'conf');
  fs.mkdirSync(conf);
  fs.writeFileSync(path.join(conf, 'alluxio-site.properties'), `alluxio.home=/opt/alluxio\nalluxio.work.dir=${dir}/work\n${o.site ?? ''}`);
  fs.writeFileSync(path.join(conf, 'masters'), `${(o.masters ?? [M]).join('\n')}\n`);
  fs.writeFileSync(path.join(conf, 'workers'), `${W}\n`);
  const c = loadConfig({ flags: {}, env: { ALLUXIO_CONF_DIR: conf }, home: INSTALL_ROOT });
  const exec = new FakeExecutor(new Map(Object.entries(answers)), { install: installHash(INSTALL_ROOT), conf: confHash(conf) });
  const out: string[] = [];
  const s = await ClusterSession.open(c, { parallel: 4, dryRun: false, json: true, acceptNewHostKeys: false, ...opts }, 'alluxio test', {}, { out: (l) => out.push(l), err: (l) => out.push(l) }, exec);
  return { s, exec, out };
}

/** The result row of `phase` for `host`. */
function row(s: ClusterSession, phase: string, host: string) {
  const r = s.rep.phases.find((p) => p.phase === phase)?.results.find((x) => x.host === host);
  assert.ok(r, `no ${phase} row for ${host}: ${JSON.stringify(s.rep.phases)}`);
  return r;
}

/** A host whose answer to one step kind is `bad`, healthy otherwise. */
function failing(host: string, f: HostFactsJson, step: StepName, bad: Answer): Answer {
  const ok = healthy(host, f);
  return (args) => (args[0] === step ? bad(args) : ok(args));
}

const typed: Answer = (args) => ({ code: 1, stdout: json(errorReply(args[0] as 'start', 'x', new ConfigError('the journal folder /j (alluxio.master.journal.folder) is not formatted', { hint: 'run alluxio format' }))) });
const garbage: Answer = () => ({ stdout: 'Killed 1 process(es) on h\n' });
const timeout: Answer = () => 'timeout';
const bareExit: Answer = () => ({ code: 1, stderr: 'Segmentation fault\n' });

const failures: [string, Answer, (e: AlluxioError | undefined) => boolean][] = [
  ['a typed failure: its class and hint reach the report', typed, (e) => e instanceof ConfigError && e.hint === 'run alluxio format' && /is not formatted/.test(e.message)],
  ['garbage output: a protocol error', garbage, (e) => e instanceof ProtocolError && /the reply is not JSON/.test(e.message)],
  ['a timeout: the executor\'s TimeoutError', timeout, (e) => e instanceof TimeoutError],
  ['a non-zero exit without JSON: a protocol error with the exit code and stderr', bareExit, (e) => e instanceof ProtocolError && /no reply \(exit 1\):\nSegmentation fault/.test(e.message)],
];

// [step kind, verb runner, phase and host of its row, detail on success]
const kinds: [StepName, (s: ClusterSession) => Promise<number>, string, string, string][] = [
  ['start', (s) => clusterStart(s, 'all', { async: false, format: false, mountMode: 'NoMount' }), 'start worker', W, 'worker started'],
  ['stop', (s) => clusterStop(s, 'all', { soft: false }), 'stop master', M, 'master stopped'],
  ['formatJournal', (s) => clusterFormat(s, { onlyUnformatted: false }), 'format journal', M, 'formatted, 1 path deleted'],
  ['formatWorker', (s) => clusterFormat(s, { onlyUnformatted: false }), 'format worker', W, 'formatted'],
];

const runningFacts = (h: string) => facts(h, { master: { running: true, pid: 7 }, masters: [{ name: 'master', journalPort: 19200, running: true, pid: 7 }], worker: { running: true, pid: 8 } });

for (const [step, verb, phase, host, detail] of kinds) {
  const f = (h: string) => (step === 'stop' ? runningFacts(h) : facts(h));
  test(`controller, ${step}: success`, async () => {
    const { s } = await session({ [M]: healthy(M, f(M)), [W]: healthy(W, f(W)) });
    assert.equal(await verb(s), 0);
    const r = row(s, phase, host);
    assert.deepEqual([r.status, r.detail], ['changed', detail]);
  });
  for (const [name, bad, check] of failures) {
    test(`controller, ${step}: ${name}`, async () => {
      const answers: Record<string, Answer> = { [M]: healthy(M, f(M)), [W]: healthy(W, f(W)) };
      answers[host] = failing(host, f(host), step, bad);
      const { s } = await session(answers);
      assert.equal(await verb(s), 1);
      const r = row(s, phase, host);
      assert.equal(r.status, 'failed');
      assert.ok(check(r.error as AlluxioError | undefined), `${r.error?.name}: ${r.error?.message}`);
      assert.deepEqual(s.rep.failedHosts(), [host], 'the other host is not affected');
    });
  }
}

for (const [name, bad, check] of failures) {
  test(`controller, facts: ${name}`, async () => {
    // format reads every host's facts (start reads only the masters', stop none).
    const { s, exec } = await session({ [M]: healthy(M, facts(M)), [W]: failing(W, facts(W), 'facts', bad) });
    assert.equal(await clusterFormat(s, { onlyUnformatted: false }), 1);
    const r = row(s, 'facts', W);
    assert.equal(r.status, 'failed');
    assert.ok(check(r.error as AlluxioError | undefined), `${r.error?.name}: ${r.error?.message}`);
    assert.deepEqual(exec.steps, [[M, ['formatJournal']]], 'nothing is run on a host whose facts are unknown');
  });
}

test('controller: start all skips the workers when no master could start', async () => {
  const { s, exec } = await session({ [M]: failing(M, facts(M), 'start', typed), [W]: healthy(W, facts(W)) });
  assert.equal(await clusterStart(s, 'all', { async: false, format: false, mountMode: 'NoMount' }), 1);
  assert.deepEqual([row(s, 'start worker', W).status, row(s, 'start worker', W).detail], ['skipped', 'no master leads, so no worker could register']);
  assert.deepEqual(exec.steps, [[M, ['start', 'master']]]);
});

test('controller: format while a worker runs is refused as a whole, nothing is run', async () => {
  const { s, exec } = await session({ [M]: healthy(M, facts(M)), [W]: healthy(W, facts(W, { worker: { running: true, pid: 8 } })) });
  await assert.rejects(clusterFormat(s, { onlyUnformatted: false }), (e: unknown) => e instanceof HostError
    && e.message === `[${W}] cannot format while worker on ${W} (pid 8) is running; nothing was formatted`);
  assert.deepEqual(exec.steps, []);
});

// --dry-run prints exactly the steps apply executes (one test per verb).
const verbs: [string, (s: ClusterSession) => Promise<number>, (h: string) => HostFactsJson][] = [
  ['start', (s) => clusterStart(s, 'all', { async: true, format: false, mountMode: 'SudoMount' }), (h) => facts(h)],
  ['stop', (s) => clusterStop(s, 'all', { soft: true }), runningFacts],
  ['format', (s) => clusterFormat(s, { onlyUnformatted: false }), (h) => facts(h)],
  ['format -s', (s) => clusterFormat(s, { onlyUnformatted: true }), (h) => facts(h, { journal: { folder: '/j', formatted: false }, workerStorage: [{ dataDir: '/d', exists: false }, { dataDir: '/e', exists: true }] })],
];

for (const [name, verb, f] of verbs) {
  test(`--dry-run of ${name} prints the steps apply executes`, async () => {
    const dry = await session({ [M]: healthy(M, f(M)), [W]: healthy(W, f(W)) }, { dryRun: true });
    assert.equal(await verb(dry.s), 0);
    assert.deepEqual(dry.exec.steps, [], 'a dry run runs no step');
    const printed = JSON.parse(dry.out.join('\n')).plan as { phases: { steps: { kind: string; host: string; args?: string[] }[] }[] };
    const planned = printed.phases.flatMap((p) => p.steps).filter((st) => st.args).map((st) => [st.host, st.args]);
    assert.ok(planned.length >= 2, JSON.stringify(printed));
    const real = await session({ [M]: healthy(M, f(M)), [W]: healthy(W, f(W)) });
    assert.equal(await verb(real.s), 0);
    assert.deepEqual(real.exec.steps, planned);
  });
}

test('facts answered by the probe are used: no second run; format reads them again under the lock', async () => {
  const { s, exec } = await session({ [M]: healthy(M, facts(M)), [W]: healthy(W, facts(W, { worker: { running: true, pid: 8 } })) });
  exec.probeFacts.set(M, facts(M));
  exec.probeFacts.set(W, facts(W, { worker: { running: true, pid: 8 } }));
  assert.equal(await clusterStart(s, 'all', { async: false, format: false, mountMode: 'NoMount' }), 0);
  assert.deepEqual([...exec.factsRuns], []);
  assert.deepEqual(exec.steps, [[M, ['start', 'master']]]);
  assert.equal(row(s, 'start worker', W).detail, 'worker already running (pid 8)');

  const f = await session({ [M]: healthy(M, facts(M)), [W]: healthy(W, facts(W)) });
  f.exec.probeFacts.set(M, facts(M));
  f.exec.probeFacts.set(W, facts(W));
  assert.equal(await clusterFormat(f.s, { onlyUnformatted: false }), 0);
  assert.deepEqual([...f.exec.factsRuns].sort(), [[M, 1], [W, 1]]);
});

test('controller: start reads no worker facts (the pid files say whether it runs); stop reads none at all', async () => {
  const running = facts(W, { worker: { running: true, pid: 8 } });
  const { s, exec } = await session({ [M]: healthy(M, facts(M)), [W]: healthy(W, running) });
  assert.equal(await clusterStart(s, 'all', { async: false, format: false, mountMode: 'NoMount' }), 0);
  assert.deepEqual([row(s, 'start worker', W).status, row(s, 'start worker', W).detail], ['ok', 'worker already running (pid 8)']);
  assert.deepEqual(exec.steps, [[M, ['start', 'master']]]);
  assert.equal(exec.factsRuns.get(W) ?? 0, 0);
  const stop = await session({ [M]: healthy(M, runningFacts(M)), [W]: healthy(W, running) });
  assert.equal(await clusterStop(stop.s, 'all', { soft: false }), 0);
  assert.deepEqual(stop.exec.steps, [[W, ['stop', 'worker']], [M, ['stop', 'master']]]);
  assert.deepEqual([...stop.exec.factsRuns], []);
});

// ---- ZooKeeper mode (alluxio.zookeeper.enabled, alluxio.master.journal.type=UFS): one shared journal folder

const ZM = ['m1.invalid', 'm2.invalid', 'm3.invalid'];

const ZK_SITE = 'alluxio.zookeeper.enabled=true\nalluxio.zookeeper.address=zk1:2181\nalluxio.master.journal.type=UFS\nalluxio.master.journal.folder=/shared/journal\n';
const zkSession = (answers: Record<string, Answer>, opts: Partial<ClusterCliOptions> = {}, site = ZK_SITE) => session(answers, opts, { masters: ZM, site });

const zkFacts = (h: string, over: Partial<HostFactsJson> = {}) => facts(h, { journal: { folder: '/shared/journal', formatted: true }, ...over });
const zkHealthy = (over: (h: string) => Partial<HostFactsJson> = () => ({})): Record<string, Answer> => Object.fromEntries([...ZM, W].map((h) => [h, healthy(h, zkFacts(h, over(h)))]));

test('ZooKeeper mode: format formats the shared journal once (on the first master), the other masters say so', async () => {
  const { s, exec } = await zkSession(zkHealthy());
  assert.equal(await clusterFormat(s, { onlyUnformatted: false }), 0);
  assert.deepEqual(exec.steps.filter(([, a]) => a[0] === 'formatJournal'), [[ZM[0], ['formatJournal']]]);
  assert.deepEqual(exec.steps.filter(([, a]) => a[0] === 'formatWorker'), [[W, ['formatWorker']]]);
  for (const h of ZM.slice(1)) assert.equal(row(s, 'format journal', h).detail, `shared journal /shared/journal: formatted once, by ${ZM[0]}`);
});

test('ZooKeeper mode: format is refused as a whole while a master runs on any host, or when a master host cannot be checked', async () => {
  const running = await zkSession(zkHealthy((h) => (h === ZM[2] ? { master: { running: true, pid: 9 }, masters: [{ name: 'master', journalPort: 19200, running: true, pid: 9 }] } : {})));
  await assert.rejects(clusterFormat(running.s, { onlyUnformatted: false }), (e: unknown) => e instanceof HostError && /cannot format while master on m3.invalid \(pid 9\) is running; nothing was formatted/.test(e.message));
  assert.deepEqual(running.exec.steps, []);
  const answers = zkHealthy();
  answers[ZM[1]!] = failing(ZM[1]!, zkFacts(ZM[1]!), 'facts', garbage);
  const down = await zkSession(answers);
  await assert.rejects(clusterFormat(down.s, { onlyUnformatted: false }), (e: unknown) => e instanceof HostError
    && e.message === `[${ZM[1]}] cannot format the shared journal (ZooKeeper mode) while master host ${ZM[1]} could not be checked: a master there may use it; nothing was formatted`);
  assert.deepEqual(down.exec.steps, []);
});

test('ZooKeeper mode: start all starts every master without waiting on its own, then waits for a leader; start -f is refused (the shared journal is formatted once)', async () => {
  const dry = await zkSession(zkHealthy(), { dryRun: true });
  assert.equal(await clusterStart(dry.s, 'all', { async: false, format: false, mountMode: 'NoMount' }), 0);
  const printed = JSON.parse(dry.out.join('\n')).plan as { phases: { phase: string; steps: { kind: string; host?: string; args?: string[] }[] }[] };
  assert.deepEqual(printed.phases.map((p) => p.phase), ['start master', 'leader', 'start worker']);
  assert.deepEqual(printed.phases[0]!.steps.map((st) => [st.host, st.args]), ZM.map((h) => [h, ['start', 'master', '--no-leader-wait']]));
  const f = await zkSession(zkHealthy());
  await assert.rejects(clusterStart(f.s, 'all', { async: false, format: true, mountMode: 'NoMount' }), (e: unknown) => e instanceof UsageError && /start -f/.test(e.message));
  assert.deepEqual(f.exec.steps, []);
});

test('several masters with a UFS journal but no ZooKeeper: a ConfigError naming both', async () => {
  const { s } = await zkSession(zkHealthy(), {}, 'alluxio.master.journal.type=UFS\n');
  await assert.rejects(clusterFormat(s, { onlyUnformatted: false }), (e: unknown) => e instanceof ConfigError && /alluxio.master.journal.type=UFS without alluxio.zookeeper.enabled=true/.test(e.message));
});

/** A ZooKeeper-mode master host answering the sharedJournal step: ZooKeeper members, the marker (seen or not). */
function zkHost(h: string, o: { sees?: boolean; zkOk?: boolean } = {}): Answer {
  const ok = healthy(h, zkFacts(h));
  return (args) => {
    if (args[0] !== 'sharedJournal') return ok(args);
    const folder = '/shared/journal';
    switch (args[1]) {
      case 'zk': return { stdout: json(okReply('sharedJournal', h, { action: 'zk', folder, members: [{ address: 'zk1:2181', ok: o.zkOk !== false, ms: 3, ...(o.zkOk === false ? { error: 'no ZooKeeper session within 10000 ms' } : {}) }] })) };
      case 'write': return { stdout: json(okReply('sharedJournal', h, { action: 'write', folder, token: 't1' })) };
      case 'check': return o.sees === false
        ? { code: 1, stdout: json(errorReply('sharedJournal', h, new ConfigError(`the journal folder ${folder} on ${h} is not the storage ${args[3]} writes: a marker ${args[3]} wrote there is not visible here`))) }
        : { stdout: json(okReply('sharedJournal', h, { action: 'check', folder, token: args[2]! })) };
      default: return { stdout: json(okReply('sharedJournal', h, { action: 'remove', folder, token: args[2]! })) };
    }
  };
}

test('ZooKeeper mode: start checks ZooKeeper from every master host and the shared folder, then starts the masters', async () => {
  const { s, exec } = await zkSession({ ...Object.fromEntries(ZM.map((h) => [h, zkHost(h)])), [W]: healthy(W, zkFacts(W)) });
  // -a: no leader wait (the fake masters answer no GetMasterInfo).
  assert.equal(await clusterStart(s, 'masters', { async: true, format: false, mountMode: 'NoMount' }), 0);
  assert.deepEqual(exec.steps.map(([h, a]) => `${h} ${a.join(' ')}`), [
    ...ZM.map((h) => `${h} sharedJournal zk`), `${ZM[0]} sharedJournal write`, `${ZM[1]} sharedJournal check t1 ${ZM[0]}`, `${ZM[2]} sharedJournal check t1 ${ZM[0]}`, `${ZM[0]} sharedJournal remove t1`,
    ...ZM.map((h) => `${h} start -a master --no-leader-wait`),
  ]);
});

test('ZooKeeper mode: a folder that is not shared, or ZooKeeper not answering, starts no master and no worker', async () => {
  for (const bad of [{ sees: false }, { zkOk: false }]) {
    const { s, exec } = await zkSession({ [ZM[0]!]: zkHost(ZM[0]!), [ZM[1]!]: zkHost(ZM[1]!), [ZM[2]!]: zkHost(ZM[2]!, bad), [W]: healthy(W, zkFacts(W)) });
    assert.equal(await clusterStart(s, 'all', { async: false, format: false, mountMode: 'NoMount' }), 1);
    assert.deepEqual(exec.steps.filter(([, a]) => a[0] === 'start'), []);
    const failedRow = bad.sees === false ? row(s, 'journal.shared', ZM[2]!) : row(s, 'zookeeper', ZM[2]!);
    assert.equal(failedRow.status, 'failed');
    assert.match(failedRow.error!.message, bad.sees === false ? /the journal folder \/shared\/journal on m3.invalid is not the storage m1.invalid writes/ : /ZooKeeper \(alluxio.zookeeper.address=zk1:2181\) does not answer from m3.invalid: zk1:2181: no ZooKeeper session/);
    assert.equal(row(s, 'start worker', W).status, 'skipped');
  }
});
