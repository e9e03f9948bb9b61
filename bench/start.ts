/**
 * bench:start — wall time of `alluxio-start.sh all` until every process is ready, and of
 * `alluxio-stop.sh all`, on test hosts (3 masters on the embedded journal + 32 workers by default),
 * with the install already pushed, run as a user runs them (bin/alluxio). Prints each run, where
 * the time went (per phase: the longest host of each phase, from --json; "CLI + session" is the
 * rest: the controller's start-up, reading the conf, the lock and the audit), and the medians.
 * BENCH_MASTERS=3, BENCH_WORKERS=32, BENCH_RUNS=5.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TestHosts } from '../test/harness/hosts.js';
import { ROOT } from '../test/harness/cluster.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const MASTERS = Number(process.env.BENCH_MASTERS ?? 3);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 32);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const BIN = path.join(ROOT, 'bin', 'alluxio');

interface Report { phases: { phase: string; results: { host: string; ms: number }[] }[] }

const hosts = await TestHosts.create(MASTERS + WORKERS);
try {
  const conf = path.join(hosts.dir, 'conf');
  fs.mkdirSync(conf);
  fs.mkdirSync(path.join(hosts.dir, 'ufs'));
  const masters = hosts.hosts.slice(0, MASTERS).map((h) => h.name);
  const workers = hosts.hosts.slice(MASTERS).map((h) => h.name);
  fs.writeFileSync(path.join(conf, 'alluxio-site.properties'), [
    'alluxio.home=/opt/alluxio', `alluxio.master.mount.table.root.ufs=${path.join(hosts.dir, 'ufs')}`,
    ...(MASTERS > 1
      ? [`alluxio.master.embedded.journal.addresses=${masters.map((h) => `${h}:19200`).join(',')}`, `alluxio.master.rpc.addresses=${masters.map((h) => `${h}:19998`).join(',')}`]
      : [`alluxio.master.hostname=${masters[0]}`]),
    'alluxio.worker.tieredstore.level0.dirs.path=/opt/alluxio/ramdisk', 'alluxio.worker.ramdisk.size=16MB', '',
  ].join('\n'));
  fs.writeFileSync(path.join(conf, 'masters'), `${masters.join('\n')}\n`);
  fs.writeFileSync(path.join(conf, 'workers'), `${workers.join('\n')}\n`);
  const cli = async (args: string[]) => {
    const t0 = performance.now();
    const r = await hosts.runControl([BIN, ...args], { env: { ALLUXIO_CONF_DIR: conf, NO_COLOR: '1' }, timeoutMs: 600_000 });
    const ms = performance.now() - t0;
    if (r.code !== 0) throw new Error(`alluxio ${args.join(' ')} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    return { ms, report: args.includes('--json') ? JSON.parse(r.stdout) as Report : undefined };
  };
  /** Per phase, its longest host; the rest of the wall time as "CLI + session". */
  const phases = (ms: number, rep: Report) => {
    const out = new Map<string, number>();
    for (const p of rep.phases) out.set(p.phase, (out.get(p.phase) ?? 0) + Math.max(0, ...p.results.map((r) => r.ms)));
    out.set('CLI + session', ms - [...out.values()].reduce((a, b) => a + b, 0));
    return out;
  };
  const fmt = (m: Map<string, number>) => [...m].map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
  const push = await cli(['format']); // pushes the install and conf, formats
  console.log(`bench:start — ${MASTERS} master(s) + ${WORKERS} workers on test hosts; first run (push + format): ${push.ms.toFixed(0)} ms`);
  const starts: number[] = [], stops: number[] = [];
  const startPhases: Map<string, number>[] = [], stopPhases: Map<string, number>[] = [];
  for (let i = 0; i < RUNS; i++) {
    const s = await cli(['start', 'all', 'NoMount', '--json']);
    const t = await cli(['stop', 'all', '--json']);
    starts.push(s.ms); stops.push(t.ms);
    startPhases.push(phases(s.ms, s.report!)); stopPhases.push(phases(t.ms, t.report!));
    console.log(`run ${i + 1}: start all ${s.ms.toFixed(0)} ms (${fmt(startPhases[i]!)}); stop all ${t.ms.toFixed(0)} ms (${fmt(stopPhases[i]!)})`);
  }
  const medianPhases = (ms: Map<string, number>[]) => new Map([...ms[0]!.keys()].map((k) => [k, median(ms.map((m) => m.get(k) ?? 0))]));
  console.log(`start all (to all ready)  median ${median(starts).toFixed(0)} ms  per phase (medians, ms): ${fmt(medianPhases(startPhases))}`);
  console.log(`stop all                  median ${median(stops).toFixed(0)} ms  per phase (medians, ms): ${fmt(medianPhases(stopPhases))}`);
} finally {
  await hosts.destroy();
}
