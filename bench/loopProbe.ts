/**
 * Loaded into master processes by bench:meta --loop-probe (NODE_OPTIONS=--import): measures how
 * long the process's event loop is blocked (perf_hooks monitorEventLoopDelay, 10 ms resolution)
 * and writes the figures every second to $BENCH_LOOP_PROBE_DIR/<pid>.json. A stall delays the
 * master's ZooKeeper pings and heartbeats: the longest one bounds a safe session timeout from below.
 */
import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const dir = process.env.BENCH_LOOP_PROBE_DIR;
if (dir && /master/.test(process.argv[1] ?? '')) {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const file = path.join(dir, `${process.pid}.json`);
  const ms = (ns: number) => Math.round(ns / 1e5) / 10;
  setInterval(() => {
    fs.writeFileSync(file, JSON.stringify({ pid: process.pid, cluster: path.basename(path.dirname(process.env.ALLUXIO_CONF_DIR ?? '')), samples: h.count, p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), p999: ms(h.percentile(99.9)), max: ms(h.max) }));
  }, 1000).unref();
}
