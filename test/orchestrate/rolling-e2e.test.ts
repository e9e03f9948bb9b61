/**
 * `alluxio rollingRestart` on SSH test hosts under a steady client load: 3 hosts, each running a
 * master (embedded journal) and a worker, as Alluxio deployments often do. The load
 * (test/harness/load.ts: 3 FileSystem clients writing new 2.5-block files and reading back
 * acknowledged ones) runs in the control namespace, where the host names resolve, for the whole
 * of each scenario:
 *   a. a MASTER key, then a WORKER key, rolled out: zero failed client operations, every
 *      acknowledged write readable byte-equal, the new values in getConf on every host and in the
 *      running processes' effective config, the leader moved at most twice, unchanged processes
 *      kept (pids);
 *   b. a CLIENT-only key restarts nothing;
 *   c. a rolling update interrupted by a crash of the host whose master is being restarted:
 *      non-zero exit with the per-host report and how to resume, the cluster keeps serving,
 *      `alluxio start masters` / `start workers` bring the host back and `--resume` finishes,
 *      skipping what was already updated.
 * Figures (operations, longest pause per kind, leader moves) are printed; no timing thresholds.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { TestHosts, type RunResult } from '../harness/hosts.js';
import { waitFor as harnessWaitFor } from '../harness/cluster.js';
import { hostsCli } from './hostsCli.js';
import { giveUp } from '../harness/wait.js';
import { assertRoot, needsRoot } from '../harness/root.js';
import { describeSummary, startHostLoad, type HostLoad, type LoadSummary, type VerifyResult } from '../harness/load.js';

const NEEDS = 'network namespaces, sshd';
const skip = needsRoot(NEEDS);
const HOSTS = ['h1', 'h2', 'h3'];

describe('rollingRestart over SSH under client load: 3 hosts, each a master and a worker', { skip, timeout: 1_200_000 }, () => {
  let hosts: TestHosts;
  let confDir: string;
  const props: Record<string, string> = {};
  const site = () => [
    'alluxio.home=/opt/alluxio',
    `alluxio.master.mount.table.root.ufs=${path.join(hosts.dir, 'ufs')}`,
    'alluxio.master.embedded.journal.addresses=h1:19200,h2:19200,h3:19200',
    'alluxio.worker.tieredstore.level0.dirs.path=/tmp/alluxio-ramdisk',
    'alluxio.worker.ramdisk.size=1GB',
    'alluxio.user.block.size.bytes.default=1MB',
    'alluxio.worker.block.heartbeat.interval=200ms',
    'alluxio.master.worker.timeout=10s',
    'alluxio.master.lost.worker.detection.interval=200ms',
    ...Object.entries(props).map(([k, v]) => `${k}=${v}`),
    '',
  ].join('\n');
  const writeSite = () => fs.writeFileSync(path.join(confDir, 'alluxio-site.properties'), site());
  const { run, ok, waitFor } = hostsCli(() => ({ hosts, confDir }), HOSTS, { logFiles: ['master.log', 'worker.log'], runTimeoutMs: 300_000 });
  const getJson = async (h: string, port: number, p: string) => {
    const res = await fetch(`http://${hosts.host(h).ip}:${port}${p}`, { signal: AbortSignal.timeout(2000) });
    return (await res.json()) as any;
  };
  const masterInfo = (h: string) => getJson(h, 19999, '/api/v1/master/info');
  const workerInfo = (h: string) => getJson(h, 30000, '/api/v1/worker/info');
  const leaderNow = async () => {
    for (const h of HOSTS) {
      try { if ((await masterInfo(h)).isLeader) return h; } catch { /* down */ }
    }
    return undefined;
  };
  /** Every process's pid: `h1 master` -> pid. */
  const pids = async () => {
    const out: Record<string, number> = {};
    for (const h of HOSTS) {
      out[`${h} master`] = (await masterInfo(h)).pid;
      out[`${h} worker`] = (await workerInfo(h)).pid;
    }
    return out;
  };

  /** Watches who leads every 100 ms; `moves` counts changes of the leader seen (gaps ignored). */
  const watchLeader = () => {
    const seen: string[] = [];
    let stop = false;
    const loop = (async () => {
      for (let i = 0; !stop && i < 100_000; i++) {
        const l = await leaderNow();
        if (l && seen[seen.length - 1] !== l) seen.push(l);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    return { seen, async stop() { stop = true; await loop; return Math.max(0, seen.length - 1); } };
  };

  const startLoad = (name: string) => startHostLoad(hosts, confDir, name);
  const figures = (what: string, s: LoadSummary) => console.log(describeSummary(what, s));
  /** For an unreadable acknowledged file: the leader's view of it and where its block files are on the hosts. */
  const explainBad = async (v: VerifyResult) => {
    for (const b of v.bad.slice(0, 3)) {
      const st = await run(['fs', 'stat', b.path], 60_000);
      console.log(`[unreadable] ${b.path}: ${b.error}\n${st.stdout}${st.stderr}`);
      for (const id of new Set([...b.error.matchAll(/Block (\d+)/g)].map((m) => m[1]!))) {
        for (const h of HOSTS) {
          const f = await hosts.run(h, ['sh', '-c', `find /tmp/alluxio-ramdisk -name '${id}' 2>/dev/null; grep -h '${id}' /opt/alluxio/logs/master.log /opt/alluxio/logs/worker.log 2>/dev/null | tail -n 5`]);
          console.log(`[unreadable] block ${id} on ${h}: ${f.stdout.trim() || '(no file, no log line)'}`);
        }
      }
    }
  };

  let load: HostLoad;
  /** When the rolling master update of test a ran (epoch ms). */
  let masterPhase: { from: number; to: number } | undefined;

  before(async () => {
    assertRoot(NEEDS);
    hosts = await TestHosts.create(HOSTS.length);
    confDir = path.join(hosts.dir, 'conf');
    fs.mkdirSync(confDir);
    fs.mkdirSync(path.join(hosts.dir, 'ufs'));
    writeSite();
    fs.writeFileSync(path.join(confDir, 'masters'), `${HOSTS.join('\n')}\n`);
    fs.writeFileSync(path.join(confDir, 'workers'), `${HOSTS.join('\n')}\n`);
  });

  after(async () => {
    if (hosts) {
      await run(['stop', 'all'], 120_000).catch(() => undefined);
      await hosts.destroy();
    }
  });

  test('format, start all: 3 masters, one leads, 3 live workers; the load starts', async () => {
    await ok(await run(['format']));
    await ok(await run(['start', 'all']));
    const leader = await waitFor('a leader', leaderNow);
    await waitFor('3 live workers', async () => ((await masterInfo(leader)).liveWorkers.length === 3 ? true : undefined));
    load = startLoad('ab');
    await waitFor('the load to acknowledge 5 writes', async () => ((load.status()?.acked ?? 0) >= 5 ? true : undefined), 120_000);
  });

  test('a: rolling MASTER update, then WORKER update, under load: new values everywhere, only what changed restarted, leader moved at most twice', async () => {
    const before = await pids();
    // MASTER key.
    props['alluxio.master.worker.timeout'] = '12s';
    writeSite();
    const dry = await run(['rollingRestart', 'masters', '--dry-run']);
    await ok(dry);
    assert.match(dry.stdout, /alluxio\.master\.worker\.timeout: 10s -> 12s/);
    const watch = watchLeader();
    const t0 = Date.now();
    const r = await run(['rollingRestart', 'masters']);
    const masterMs = Date.now() - t0;
    masterPhase = { from: t0, to: Date.now() };
    const moves = await watch.stop();
    await ok(r);
    console.log(`[a] rollingRestart masters: ${masterMs} ms; leader ${watch.seen.join(' -> ')} (${moves} move(s))`);
    assert.ok(moves <= 2, `the leader moved ${moves} times: ${watch.seen.join(' -> ')}`);
    const mid = await pids();
    for (const h of HOSTS) {
      assert.notEqual(mid[`${h} master`], before[`${h} master`], `${h}'s master was restarted`);
      assert.equal(mid[`${h} worker`], before[`${h} worker`], `${h}'s worker was kept`);
      const g = await hosts.run(h, ['/opt/alluxio/bin/alluxio', 'getConf', 'alluxio.master.worker.timeout']);
      assert.equal(g.stdout.trim(), '12s', `getConf on ${h}: ${g.stdout}${g.stderr}`);
      assert.equal((await getJson(h, 19999, '/api/v1/master/config')).properties['alluxio.master.worker.timeout'], '12s', `${h}'s running master`);
    }

    // WORKER key.
    props['alluxio.worker.block.heartbeat.interval'] = '250ms';
    writeSite();
    const t1 = Date.now();
    const w = await run(['rollingRestart', 'workers']);
    console.log(`[a] rollingRestart workers: ${Date.now() - t1} ms`);
    await ok(w);
    const after = await pids();
    for (const h of HOSTS) {
      assert.notEqual(after[`${h} worker`], mid[`${h} worker`], `${h}'s worker was restarted`);
      assert.equal(after[`${h} master`], mid[`${h} master`], `${h}'s master was kept`);
      const g = await hosts.run(h, ['/opt/alluxio/bin/alluxio', 'getConf', 'alluxio.worker.block.heartbeat.interval']);
      assert.equal(g.stdout.trim(), '250ms', `getConf on ${h}: ${g.stdout}${g.stderr}`);
      assert.equal((await getJson(h, 30000, '/api/v1/worker/config')).properties['alluxio.worker.block.heartbeat.interval'], '250ms', `${h}'s running worker`);
    }
  });

  test('b: a CLIENT-only key change restarts nothing', async () => {
    const before = await pids();
    props['alluxio.user.file.readtype.default'] = 'NO_CACHE';
    writeSite();
    const r = await run(['rollingRestart']);
    await ok(r);
    assert.match(r.stdout, /Nothing to restart/);
    assert.deepEqual(await pids(), before);
  });

  test('a+b under load: zero failed client operations, every acknowledged write readable byte-equal', async () => {
    const s = await load.stop();
    figures('a+b', s);
    const v = await load.verify();
    console.log(`[a+b] verified ${v.ok} of ${v.checked} acknowledged writes`);
    await explainBad(v);
    assert.ok(s.acked.length > 0);
    assert.deepEqual(v.bad, []);
    // The master phase on its own first (the masters' share), then the whole run.
    assert.ok(masterPhase);
    const inMasterPhase = s.failures.filter((f) => f.start + f.ms >= masterPhase!.from && f.start <= masterPhase!.to);
    assert.deepEqual(inMasterPhase.map((f) => `${f.kind} ${f.path}: ${f.error}`), [], 'failed operations during the rolling master update');
    assert.deepEqual(s.failures.map((f) => `${f.kind} ${f.path}: ${f.error}`), []);
  });

  test('c: a rolling update interrupted by a host crash stops with a per-host report; the cluster serves; recovery and --resume finish', async () => {
    load = startLoad('c');
    await waitFor('the load to acknowledge 5 writes', async () => ((load.status()?.acked ?? 0) >= 5 ? true : undefined), 120_000);
    const before = await pids();
    const leader = await waitFor('a leader', leaderNow);
    const standbys = HOSTS.filter((h) => h !== leader);
    props['alluxio.master.worker.timeout'] = '14s';
    writeSite();
    let finished: RunResult | undefined;
    const rolling = run(['rollingRestart', 'masters']).then((x) => (finished = x));
    const notFinished = () => { if (finished) giveUp(`rollingRestart finished first (exit ${finished.code}):\n${finished.stdout}\n${finished.stderr}`); };
    // The first standby is restarted and back; crash the second while its master restarts.
    const pidOf = async (h: string) => { try { return (await masterInfo(h)).pid as number; } catch { return undefined; } };
    await waitFor(`${standbys[0]}'s master restarted`, async () => { notFinished(); const p = await pidOf(standbys[0]!); return p !== undefined && p !== before[`${standbys[0]} master`] ? true : undefined; }, 120_000);
    const victim = standbys[1]!;
    await harnessWaitFor(`${victim}'s master to stop or restart`, async () => { notFinished(); const p = await pidOf(victim); return p === undefined || p !== before[`${victim} master`]; }, 120_000, 50);
    const crashedAt = Date.now();
    await hosts.crash(victim);
    const r = await rolling;
    console.log(`[c] crashed ${victim} at its master's restart; rollingRestart exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    assert.notEqual(r.code, 0);
    const out = r.stdout + r.stderr;
    assert.match(out, new RegExp(`^${victim}\\s+rolling restart\\s+failed`, 'm'));
    assert.match(out, new RegExp(`^${standbys[0]}\\s+rolling restart\\s+changed`, 'm'));
    assert.match(out, /Stopped at step 2 of 4/);
    assert.match(out, /To resume, fix the cause and rerun: alluxio rollingRestart masters --resume/);

    // The cluster still serves: the load keeps completing operations.
    const at = load.status()!.ops;
    await waitFor('the load to go on after the crash', async () => (load.status()!.ops > at + 20 ? true : undefined));
    const fsl = await run(['fs', 'leader']);
    await ok(fsl);

    // Recovery: start what is not running on the crashed host, then resume.
    await ok(await run(['start', 'masters']));
    await ok(await run(['start', 'workers']));
    await waitFor(`${victim}'s master and worker to answer`, async () => ((await masterInfo(victim)) && (await workerInfo(victim)) ? true : undefined));
    const recovered = await pids();
    const resumed = await run(['rollingRestart', 'masters', '--resume']);
    console.log(`[c] rollingRestart masters --resume exited ${resumed.code}\n${resumed.stdout}`);
    await ok(resumed);
    const after = await pids();
    assert.equal(after[`${standbys[0]} master`], recovered[`${standbys[0]} master`], 'the master updated before the crash was skipped');
    assert.equal(after[`${victim} master`], recovered[`${victim} master`], 'the master started with the new conf after the crash was skipped');
    assert.notEqual(after[`${leader} master`], before[`${leader} master`], 'the old leader was updated');
    for (const h of HOSTS) assert.equal((await getJson(h, 19999, '/api/v1/master/config')).properties['alluxio.master.worker.timeout'], '14s');

    const s = await load.stop();
    figures('c', s);
    console.log(`[c] ${s.failures.filter((f) => f.start >= crashedAt).length} operation(s) failed after the crash (the crashed host's worker held blocks and streams)`);
    const v = await load.verify();
    console.log(`[c] verified ${v.ok} of ${v.checked} acknowledged writes${v.bad.length ? `; unreadable: ${v.bad.slice(0, 10).map((b) => `${b.path}: ${b.error}`).join('; ')}` : ''}`);
    await explainBad(v);
    assert.deepEqual(v.bad, []);
  });
});
