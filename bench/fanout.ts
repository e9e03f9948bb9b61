/**
 * bench:fanout — run `true` on 8 test hosts (network namespaces with their own sshd) through our
 * CLI as a user runs it (a whole `alluxio runOn all true` process) and through pssh
 * (`parallel-ssh -p 32`), alternating, in the same run. Prints medians and the ratio.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TestHosts } from '../test/harness/hosts.js';
import { CLI } from '../test/harness/cluster.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const N = 8;
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

const hosts = await TestHosts.create(N);
try {
  const conf = path.join(hosts.dir, 'conf');
  fs.mkdirSync(conf);
  fs.writeFileSync(path.join(conf, 'alluxio-site.properties'), 'alluxio.home=/opt/alluxio\n');
  fs.writeFileSync(path.join(conf, 'masters'), 'h1\n');
  fs.writeFileSync(path.join(conf, 'workers'), hosts.hosts.slice(1).map((h) => h.name).join('\n') + '\n');
  const hostList = path.join(hosts.dir, 'pssh-hosts');
  fs.writeFileSync(hostList, hosts.hosts.map((h) => h.name).join('\n') + '\n');
  const ours = () => hosts.runControl([process.execPath, CLI, 'runOn', 'all', 'true'], { env: { ALLUXIO_CONF_DIR: conf, NO_COLOR: '1' } });
  const pssh = () => hosts.runControl(['parallel-ssh', '-p', '32', '-h', hostList, '-x', `-F ${path.join(hosts.home, '.ssh', 'config')}`, 'true']);
  const time = async (f: () => Promise<{ code: number; stdout: string; stderr: string }>, name: string) => {
    const t0 = performance.now();
    const r = await f();
    const ms = performance.now() - t0;
    if (r.code !== 0) throw new Error(`${name} failed (exit ${r.code}): ${r.stdout}${r.stderr}`);
    return ms;
  };
  await time(ours, 'alluxio runOn'); await time(pssh, 'parallel-ssh'); // warm up
  const a: number[] = [], p: number[] = [];
  for (let i = 0; i < RUNS; i++) { a.push(await time(ours, 'alluxio runOn')); p.push(await time(pssh, 'parallel-ssh')); }
  console.log(`bench:fanout — \`true\` on ${N} test hosts, ${RUNS} runs each, whole processes`);
  console.log(`alluxio runOn all true   median ${median(a).toFixed(0)} ms  (min ${Math.min(...a).toFixed(0)}, max ${Math.max(...a).toFixed(0)})`);
  console.log(`parallel-ssh -p 32 true  median ${median(p).toFixed(0)} ms  (min ${Math.min(...p).toFixed(0)}, max ${Math.max(...p).toFixed(0)})`);
  console.log(`ratio (ours / pssh)      ${(median(a) / median(p)).toFixed(2)}x  (goal <= 0.5x)`);
} finally {
  await hosts.destroy();
}
