/**
 * bench:rolling — `alluxio rollingRestart` of 3 masters and of 3 workers under a steady client
 * load, next to the baseline Alluxio's guide offers first (alluxio-stop.sh all + alluxio-start.sh
 * all), on the same cluster under the same load. Test hosts: needs root (network namespaces,
 * sshd). 3 hosts, each running a master (embedded journal) and a worker.
 *
 * The load (test/harness/load.ts): 3 FileSystem clients, each writing a new 2.5-block file (1MB
 * blocks) every 500 ms, reading back an acknowledged one every 100 ms and asking the master for
 * the status of one every 50 ms (each in its own loop), started
 * a few seconds before each operation and stopped a few seconds after it. Per operation: total
 * time of the command, and per client operation kind the longest client-visible pause (the
 * longest time between two successive successful completions), the longest single operation and
 * the failed operations. Goal: a master pause of at most 300 ms, 0 failed operations.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TestHosts } from '../test/harness/hosts.js';
import { CLI, waitFor } from '../test/harness/cluster.js';
import { describeSummary, startHostLoad, type LoadSummary } from '../test/harness/load.js';

if (process.getuid?.() !== 0) {
  console.error('bench:rolling needs root (it runs the cluster on test hosts: network namespaces and sshd)');
  process.exit(2);
}
const HOSTS = ['h1', 'h2', 'h3'];
const SETTLE_MS = Number(process.env.BENCH_SETTLE_MS ?? 3000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const hosts = await TestHosts.create(HOSTS.length);
const rows: { what: string; ms: number; s: LoadSummary; moves?: string }[] = [];
try {
  const conf = path.join(hosts.dir, 'conf');
  fs.mkdirSync(conf);
  fs.mkdirSync(path.join(hosts.dir, 'ufs'));
  let timeout = 10, hb = 200;
  const writeSite = () => fs.writeFileSync(path.join(conf, 'alluxio-site.properties'), [
    'alluxio.home=/opt/alluxio', `alluxio.master.mount.table.root.ufs=${path.join(hosts.dir, 'ufs')}`,
    'alluxio.master.embedded.journal.addresses=h1:19200,h2:19200,h3:19200',
    'alluxio.worker.tieredstore.level0.dirs.path=/tmp/alluxio-ramdisk', 'alluxio.worker.ramdisk.size=1GB',
    'alluxio.user.block.size.bytes.default=1MB', `alluxio.worker.block.heartbeat.interval=${hb}ms`,
    `alluxio.master.worker.timeout=${timeout}s`, 'alluxio.master.lost.worker.detection.interval=200ms', '',
  ].join('\n'));
  writeSite();
  fs.writeFileSync(path.join(conf, 'masters'), `${HOSTS.join('\n')}\n`);
  fs.writeFileSync(path.join(conf, 'workers'), `${HOSTS.join('\n')}\n`);
  const cli = async (args: string[]) => {
    const t0 = performance.now();
    const r = await hosts.runControl([process.execPath, CLI, ...args], { env: { ALLUXIO_CONF_DIR: conf, NO_COLOR: '1' }, timeoutMs: 600_000 });
    if (r.code !== 0) throw new Error(`alluxio ${args.join(' ')} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    if (args.includes('--json')) {
      for (const st of (JSON.parse(r.stdout) as { steps: { kind: string; host?: string; hosts?: string[]; to?: string; ms: number }[] }).steps) {
        console.log(`  step ${st.kind} ${st.host ?? st.hosts?.join(',') ?? st.to}: ${st.ms} ms`);
      }
    }
    return performance.now() - t0;
  };
  const info = async (h: string) => (await (await fetch(`http://${hosts.host(h).ip}:19999/api/v1/master/info`, { signal: AbortSignal.timeout(2000) })).json()) as any;
  const leaderNow = async () => { for (const h of HOSTS) { try { if ((await info(h)).isLeader) return h; } catch { /* down */ } } return undefined; };
  const ready = async () => {
    const l = await waitFor('a leader', leaderNow, 120_000, 200);
    await waitFor('3 live workers', async () => ((await info(l)).liveWorkers.length === 3 ? true : undefined), 120_000, 200);
  };

  /** `args` under a fresh load; the leaders seen every 100 ms. */
  const underLoad = async (what: string, name: string, args: string[][]) => {
    const load = startHostLoad(hosts, conf, name);
    await waitFor('the load to acknowledge 5 writes', async () => ((load.status()?.acked ?? 0) >= 5 ? true : undefined), 120_000, 100);
    await sleep(SETTLE_MS);
    const seen: string[] = [];
    const at: number[] = [];
    let watching = true;
    const watcher = (async () => { for (let i = 0; watching && i < 100_000; i++) { const l = await leaderNow(); if (l && seen[seen.length - 1] !== l) { seen.push(l); at.push(Date.now()); } await sleep(100); } })();
    const started = Date.now();
    const t0 = performance.now();
    for (const a of args) await cli(a);
    await ready();
    const ms = performance.now() - t0;
    await sleep(SETTLE_MS);
    watching = false;
    await watcher;
    const s = await load.stop();
    const rel = (t: number) => `+${((t - s.startedAt) / 1000).toFixed(1)} s`;
    console.log(`${what}: ${ms.toFixed(0)} ms from ${rel(started)} of the load; leader ${seen.map((l, i) => `${l} (seen ${rel(at[i]!)})`).join(' -> ')}`);
    console.log(describeSummary(what, s, 10));
    rows.push({ what, ms, s, moves: `${Math.max(0, seen.length - 1)}` });
    if (process.env.BENCH_LOGS) {
      for (const h of HOSTS) console.log(`--- ${h} master.log\n${(await hosts.run(h, ['sh', '-c', 'tail -n 25 /opt/alluxio/logs/master.log'])).stdout}`);
    }
  };

  await cli(['format']);
  await cli(['start', 'all']);
  await ready();
  console.log('bench:rolling — 3 hosts, each a master (embedded journal) and a worker; 3 clients of steady load');

  timeout++;
  writeSite();
  await underLoad('rollingRestart masters (a MASTER key)', 'm', [['rollingRestart', 'masters', '--json']]);
  hb += 50;
  writeSite();
  await underLoad('rollingRestart workers (a WORKER key)', 'w', [['rollingRestart', 'workers', '--json']]);
  timeout++; hb += 50;
  writeSite();
  await underLoad('stop all + start all (baseline)', 'b', [['stop', 'all'], ['start', 'all']]);

  console.log('\n| operation | total time | leader moves | longest pause: stat / read / write | longest op: stat / read / write | failed ops |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) {
    const k = r.s.kinds;
    console.log(`| ${r.what} | ${(r.ms / 1000).toFixed(1)} s | ${r.moves} | ${k.stat.longestPauseMs} / ${k.read.longestPauseMs} / ${k.write.longestPauseMs} ms | ${k.stat.longestOpMs} / ${k.read.longestOpMs} / ${k.write.longestOpMs} ms | ${r.s.failed} of ${r.s.ops} |`);
  }
} finally {
  await hosts.runControl([process.execPath, CLI, 'stop', 'all'], { env: { ALLUXIO_CONF_DIR: path.join(hosts.dir, 'conf') }, timeoutMs: 120_000 }).catch(() => undefined);
  await hosts.destroy();
}
