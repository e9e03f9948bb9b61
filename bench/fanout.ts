/**
 * bench:fanout — run `true` on 8 and on 64 test hosts (network namespaces with their own sshd)
 * through our CLI as a user runs it (`bin/alluxio runOn all true`, a whole process: the shim, then
 * the bundle when `npm run build` made it) and through pssh (`parallel-ssh -p 32`), alternating,
 * in the same run. Prints medians of wall time, the ratio, and the CPU time of each tool's own
 * processes (user+sys of the process tree, from the shell's `times`; the sshd side is the same
 * for both). Ours runs with its code cache (~/.cache/alluxio of the test HOME, written by the
 * warm-up run: the steady state of a user's second and later runs) and, as a third command in the
 * same rotation, without it (ALLUXIO_CLI_CACHE_DIR=, as a verb's very first run).
 * BENCH_HOSTS=8,64 (sizes), BENCH_RUNS=9.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TestHosts } from '../test/harness/hosts.js';
import { ROOT } from '../test/harness/cluster.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const SIZES = (process.env.BENCH_HOSTS ?? '8,64').split(',').map(Number);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const BIN = path.join(ROOT, 'bin', 'alluxio');

/** The CPU time (user+sys, ms) of the children of `sh`, from the last line `times` prints. */
function childCpuMs(stderr: string): number {
  const last = stderr.trim().split('\n').at(-1) ?? '';
  const m = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(last);
  if (!m) throw new Error(`no times line in: ${stderr}`);
  return (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000;
}

console.log(`bench:fanout — \`true\` on ${SIZES.join(' and ')} test hosts, ${RUNS} runs each, whole processes, alternating`);
console.log(`CLI: ${fs.existsSync(path.join(ROOT, 'dist', 'cli', 'cli.js')) ? 'bin/alluxio (bundle dist/cli)' : 'bin/alluxio (no bundle: dist/src)'}`);
for (const n of SIZES) {
  const t0 = performance.now();
  const hosts = await TestHosts.create(n);
  const createMs = performance.now() - t0;
  try {
    const conf = path.join(hosts.dir, 'conf');
    fs.mkdirSync(conf);
    fs.writeFileSync(path.join(conf, 'alluxio-site.properties'), 'alluxio.home=/opt/alluxio\n');
    fs.writeFileSync(path.join(conf, 'masters'), 'h1\n');
    fs.writeFileSync(path.join(conf, 'workers'), hosts.hosts.slice(1).map((h) => h.name).join('\n') + '\n');
    const hostList = path.join(hosts.dir, 'pssh-hosts');
    fs.writeFileSync(hostList, hosts.hosts.map((h) => h.name).join('\n') + '\n');
    const timesOf = (argv: string[]) => ['sh', '-c', '"$@"; rc=$?; times >&2; exit $rc', 'sh', ...argv];
    const ours = () => hosts.runControl(timesOf([BIN, 'runOn', 'all', 'true']), { env: { ALLUXIO_CONF_DIR: conf, NO_COLOR: '1' } });
    const oursCold = () => hosts.runControl(timesOf([BIN, 'runOn', 'all', 'true']), { env: { ALLUXIO_CONF_DIR: conf, NO_COLOR: '1', ALLUXIO_CLI_CACHE_DIR: '' } });
    const pssh = () => hosts.runControl(timesOf(['parallel-ssh', '-p', '32', '-h', hostList, '-x', `-F ${path.join(hosts.home, '.ssh', 'config')}`, 'true']));
    const time = async (f: () => Promise<{ code: number; stdout: string; stderr: string }>, name: string) => {
      const t = performance.now();
      const r = await f();
      const ms = performance.now() - t;
      if (r.code !== 0) throw new Error(`${name} failed (exit ${r.code}): ${r.stdout}${r.stderr}`);
      return { ms, cpu: childCpuMs(r.stderr) };
    };
    await time(ours, 'alluxio runOn'); await time(oursCold, 'alluxio runOn'); await time(pssh, 'parallel-ssh'); // warm up
    const cache = path.join(hosts.home, '.cache', 'alluxio');
    const cached = fs.existsSync(cache) ? fs.readdirSync(cache).filter((f) => f.endsWith('-runOn.bin')) : [];
    const a: { ms: number; cpu: number }[] = [], c: { ms: number; cpu: number }[] = [], p: { ms: number; cpu: number }[] = [];
    for (let i = 0; i < RUNS; i++) {
      a.push(await time(ours, 'alluxio runOn'));
      c.push(await time(oursCold, 'alluxio runOn'));
      p.push(await time(pssh, 'parallel-ssh'));
    }
    const row = (name: string, xs: { ms: number; cpu: number }[]) => {
      const w = xs.map((x) => x.ms);
      return `${name.padEnd(26)} median ${median(w).toFixed(0)} ms  (min ${Math.min(...w).toFixed(0)}, max ${Math.max(...w).toFixed(0)})  CPU ${median(xs.map((x) => x.cpu)).toFixed(0)} ms`;
    };
    console.log(`\n${n} hosts (TestHosts.create: ${createMs.toFixed(0)} ms)`);
    console.log(`code cache: ${cached.length ? cached.join(', ') : 'none (no bundle?)'}`);
    console.log(row('alluxio runOn all true', a));
    console.log(row('  without the code cache', c));
    console.log(row('parallel-ssh -p 32 true', p));
    const ratio = (xs: { ms: number }[]) => (median(xs.map((x) => x.ms)) / median(p.map((x) => x.ms))).toFixed(2);
    console.log(`ratio (ours / pssh)        ${ratio(a)}x  (goal <= 0.5x; without the code cache ${ratio(c)}x)`);
  } finally {
    await hosts.destroy();
  }
}
