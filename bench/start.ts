/**
 * bench:start — wall time of `alluxio-start.sh all` until every process is ready, and of
 * `alluxio-stop.sh all`, on test hosts (3 masters on the embedded journal + 5 workers), with the
 * install already pushed. Prints each run and the medians.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TestHosts } from '../test/harness/hosts.js';
import { CLI } from '../test/harness/cluster.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

const hosts = await TestHosts.create(8);
try {
  const conf = path.join(hosts.dir, 'conf');
  fs.mkdirSync(conf);
  fs.mkdirSync(path.join(hosts.dir, 'ufs'));
  fs.writeFileSync(path.join(conf, 'alluxio-site.properties'), [
    'alluxio.home=/opt/alluxio', `alluxio.master.mount.table.root.ufs=${path.join(hosts.dir, 'ufs')}`,
    'alluxio.master.embedded.journal.addresses=h1:19200,h2:19200,h3:19200', 'alluxio.master.rpc.addresses=h1:19998,h2:19998,h3:19998',
    'alluxio.worker.tieredstore.level0.dirs.path=/opt/alluxio/ramdisk', 'alluxio.worker.ramdisk.size=16MB', '',
  ].join('\n'));
  fs.writeFileSync(path.join(conf, 'masters'), 'h1\nh2\nh3\n');
  fs.writeFileSync(path.join(conf, 'workers'), 'h4\nh5\nh6\nh7\nh8\n');
  const cli = async (args: string[]) => {
    const t0 = performance.now();
    const r = await hosts.runControl([process.execPath, CLI, ...args], { env: { ALLUXIO_CONF_DIR: conf, NO_COLOR: '1' }, timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(`alluxio ${args.join(' ')} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    return performance.now() - t0;
  };
  const push = await cli(['format']); // pushes the install and conf, formats
  console.log(`bench:start — 3 masters + 5 workers on test hosts; first run (push + format): ${push.toFixed(0)} ms`);
  const starts: number[] = [], stops: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    starts.push(await cli(['start', 'all', 'NoMount']));
    stops.push(await cli(['stop', 'all']));
    console.log(`run ${i + 1}: start all ${starts[i]!.toFixed(0)} ms, stop all ${stops[i]!.toFixed(0)} ms`);
  }
  console.log(`start all (to all ready)  median ${median(starts).toFixed(0)} ms  (goal <= 3000 ms)`);
  console.log(`stop all                  median ${median(stops).toFixed(0)} ms`);
} finally {
  await hosts.destroy();
}
