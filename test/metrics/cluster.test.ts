/**
 * Metrics on a real 1-master 1-worker cluster: /metrics/json/ and `alluxio fsadmin report metrics`
 * count the files created; the workers' byte counters reach the master's Cluster.* sums through
 * the heartbeats; a real Prometheus (Debian package) scrapes the master and the worker and its
 * HTTP API answers the files-created counter; `promtool check metrics` accepts both endpoints'
 * text; the Metrics page and uPlot's files are served; hostile requests are answered sanely;
 * alluxio.metrics.enabled=false turns the endpoints off.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { TestCluster, waitFor, getJson, freePort } from '../harness/cluster.js';
import { loadConfig } from '../../src/conf/index.js';
import { MasterClient } from '../../src/client/masterClient.js';

const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';
/** Skip only outside CI when the Debian package is missing; in CI the test runs (and fails without it). */
const needs = (bin: string) => (!fs.existsSync(bin) && !process.env.CI ? `${bin} is not installed (apt-get install prometheus); CI installs it` : false);

const N_FILES = 7;
const N_DIRS = 3;

async function get(port: number, p: string, method = 'GET'): Promise<{ code: number; type: string; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${p}`, { method, signal: AbortSignal.timeout(10_000) });
  return { code: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

const counter = (j: any, name: string): number => j.counters[name]?.count;
const gauge = (j: any, name: string): number => j.gauges[name]?.value;

describe('metrics on a 1-master 1-worker cluster', () => {
  let c: TestCluster;
  let client: MasterClient;
  let prom: ChildProcess | undefined;
  let promDir = '';
  before(async () => {
    c = await (await new TestCluster({ masters: 1, workers: 1 }).setup()).start();
    client = MasterClient.fromConf(loadConfig({ env: c.env, home: process.cwd() }));
    for (let i = 0; i < N_DIRS; i++) await client.call('file', 'CreateDirectory', { path: `/m/d${i}`, recursive: true, allowExists: false, writeType: 'MUST_CACHE', opId: `d${i}` });
    for (let i = 0; i < N_FILES; i++) {
      await client.call('file', 'CreateFile', { path: `/m/f${i}`, recursive: true, blockSizeBytes: 1 << 20, writeType: 'MUST_CACHE', opId: `f${i}` });
    }
    // A failed CreateFile (the file exists) counts as an RPC, not as a file created.
    await assert.rejects(client.call('file', 'CreateFile', { path: '/m/f0', recursive: true, blockSizeBytes: 1 << 20, writeType: 'MUST_CACHE', opId: 'again' }));
  });
  after(async () => {
    client?.close();
    if (prom && prom.exitCode === null) { prom.kill('SIGKILL'); await new Promise((r) => prom!.once('exit', r)); }
    if (promDir) fs.rmSync(promDir, { recursive: true, force: true });
    await c?.stop();
  });

  test('/metrics/json/ counts the files and directories created, with and without the trailing slash', async () => {
    for (const p of ['/metrics/json/', '/metrics/json']) {
      const j = await getJson(`http://127.0.0.1:${c.masterWeb}${p}`);
      assert.deepEqual(Object.keys(j).sort(), ['counters', 'gauges', 'histograms', 'meters', 'timers', 'version']);
      assert.equal(counter(j, 'Master.FilesCreated'), N_FILES, p);
      assert.equal(counter(j, 'Master.DirectoriesCreated'), N_DIRS);
      assert.ok(counter(j, 'Master.TotalRpcs') >= N_FILES + N_DIRS + 1);
      assert.equal(j.timers['Master.RpcLatency.CreateFile'].count, N_FILES + 1, 'the failed call is timed too');
      assert.ok(j.timers['Master.JournalFlushTimer'].count > 0);
      assert.equal(gauge(j, 'Master.IsLeader'), 1);
      // The local journal's only writer leads without an election: no leader event, no leader change.
      assert.equal(counter(j, 'Master.JournalLeaderChanges'), 0);
      const journal = await getJson(`http://127.0.0.1:${c.masterWeb}/api/v1/master/webui_journal`);
      assert.deepEqual(journal.events.filter((e: any) => e.kind === 'leader'), []);
      assert.equal(gauge(j, 'Cluster.Workers'), 1);
      assert.ok(gauge(j, 'Cluster.CapacityTotal') > 0);
      assert.equal(gauge(j, 'Cluster.CapacityTotalTierMEM'), gauge(j, 'Cluster.CapacityTotal'));
      assert.equal(gauge(j, 'Master.TotalPaths'), 1 + 1 + N_DIRS + N_FILES); // /, /m, dirs, files
    }
  });

  test('fsadmin report metrics (the real CLI) prints the leader\'s metrics in Alluxio\'s shape', async () => {
    const r = await c.cli(['fsadmin', 'report', 'metrics']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.ok(lines.includes(`Master.FilesCreated  (Type: COUNTER, Value: ${N_FILES})`), r.stdout);
    assert.ok(lines.includes(`Master.DirectoriesCreated  (Type: COUNTER, Value: ${N_DIRS})`), r.stdout);
    assert.ok(lines.some((l) => /^Cluster\.CapacityTotal {2}\(Type: GAUGE, Value: [\d.]+(B|KB|MB|GB)\)$/.test(l)), r.stdout);
    assert.ok(lines.some((l) => /^Cluster\.BytesReadRemoteThroughput {2}\(Type: GAUGE, Value: [\d.]+(B|KB|MB)\/MIN\)$/.test(l)), r.stdout);
    for (const l of lines) assert.match(l, /^[A-Za-z]+\.[A-Za-z.]+ {2}\(Type: (COUNTER|GAUGE|TIMER), Value: .+\)$/);
    const j = await c.cli(['fsadmin', 'report', 'metrics', '--json']);
    assert.equal(j.code, 0, j.stderr);
    assert.equal(JSON.parse(j.stdout).counters['Master.FilesCreated'].count, N_FILES);
    const bad = await c.cli(['fsadmin', 'report', 'nope']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /summary or metrics/);
  });

  test('promtool check metrics accepts the master\'s and the worker\'s Prometheus text', { skip: needs(PROMTOOL) }, async () => {
    assert.ok(fs.existsSync(PROMTOOL), `${PROMTOOL} is missing: .ci/run installs the Debian package prometheus`);
    for (const port of [c.masterWeb, c.workerPorts[0]!.web]) {
      for (const p of ['/metrics/prometheus/', '/metrics/prometheus']) {
        const r = await get(port, p);
        assert.equal(r.code, 200);
        assert.match(r.type, /^text\/plain; version=0\.0\.4/);
        const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: r.body, encoding: 'utf8', timeout: 30_000 });
        assert.equal(check.status, 0, `promtool on port ${port}${p}: ${check.stdout}${check.stderr}`);
      }
    }
    const text = (await get(c.masterWeb, '/metrics/prometheus/')).body;
    assert.match(text, new RegExp(`^master_files_created_total ${N_FILES}$`, 'm'));
    assert.match(text, /^master_rpc_latency_seconds_count\{method="CreateFile"\} \d+$/m);
    assert.match(text, /^cluster_capacity_total_tier_bytes\{tier="MEM"\} \d+$/m);
  });

  test('a real Prometheus scraping the master and the worker answers the files-created counter', { skip: needs(PROMETHEUS) }, async () => {
    assert.ok(fs.existsSync(PROMETHEUS), `${PROMETHEUS} is missing: .ci/run installs the Debian package prometheus`);
    promDir = fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-prometheus-'));
    const port = await freePort();
    const config = [
      'global:', '  scrape_interval: 1s', '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: master', '    metrics_path: /metrics/prometheus/', '    static_configs:', `      - targets: ['127.0.0.1:${c.masterWeb}']`,
      '  - job_name: worker', '    metrics_path: /metrics/prometheus/', '    static_configs:', `      - targets: ['127.0.0.1:${c.workerPorts[0]!.web}']`,
    ].join('\n') + '\n';
    fs.writeFileSync(path.join(promDir, 'prometheus.yml'), config);
    let log = '';
    prom = spawn(PROMETHEUS, [
      `--config.file=${path.join(promDir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(promDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    prom.on('error', (e) => (log += `could not run ${PROMETHEUS}: ${e.message}\n`));
    prom.stdout!.on('data', (d) => (log += d));
    prom.stderr!.on('data', (d) => (log += d));
    const query = async (q: string) => {
      const r = await getJson(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(q)}`);
      return r.data.result as { metric: Record<string, string>; value: [number, string] }[];
    };
    try {
      const got = await waitFor('Prometheus to scrape master_files_created_total', async (observe) => {
        if (prom!.exitCode !== null) throw new Error(`prometheus exited: ${log.slice(-2000)}`);
        const r = await query('master_files_created_total');
        observe(r);
        return r.length === 1 ? Number(r[0]!.value[1]) : false;
      }, 60_000);
      assert.equal(got, N_FILES);
      const up = await waitFor('both targets up', async (observe) => {
        const r = await query('up');
        observe(r);
        return r.length === 2 && r.every((x) => x.value[1] === '1') ? r : false;
      }, 30_000);
      assert.deepEqual(up.map((x) => x.metric.job).sort(), ['master', 'worker']);
      assert.equal((await query('worker_blocks_cached')).length, 1);
    } catch (e) {
      throw new Error(`${(e as Error).message}\nprometheus log:\n${log.slice(-3000)}`);
    }
  });

  test('the Metrics pages: a table of every metric without JavaScript, uPlot served from the install', async () => {
    for (const [port, kind, name] of [[c.masterWeb, 'master', 'Master.FilesCreated'], [c.workerPorts[0]!.web, 'worker', 'Worker.BytesReadRemote']] as const) {
      const page = await get(port, '/metrics');
      assert.equal(page.code, 200);
      assert.match(page.type, /^text\/html/);
      assert.match(page.body, new RegExp(`<td>${name.replace('.', '\\.')}</td><td>COUNTER</td><td data-metric="${name.replace('.', '\\.')}">`));
      assert.match(page.body, /<script src="\/static\/uplot\.min\.js"><\/script>/);
      const data = await getJson(`http://127.0.0.1:${port}/api/v1/${kind}/webui_metrics`);
      const json = await getJson(`http://127.0.0.1:${port}/metrics/json/`);
      const names = [...Object.keys(json.counters), ...Object.keys(json.gauges), ...Object.keys(json.timers)].sort();
      assert.deepEqual(data.metrics.map((r: any) => r.name).sort(), names, 'every metric has a row');
      for (const n of names) assert.ok(page.body.includes(`<td>${n}</td>`), `${n} on the page`);
    }
    const uplotDir = path.join(path.dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');
    const js = await get(c.masterWeb, '/static/uplot.min.js');
    assert.equal(js.code, 200);
    assert.match(js.type, /^text\/javascript/);
    assert.equal(js.body, fs.readFileSync(path.join(uplotDir, 'uPlot.iife.min.js'), 'utf8'));
    const css = await get(c.workerPorts[0]!.web, '/static/uplot.min.css');
    assert.match(css.type, /^text\/css/);
    assert.equal(css.body, fs.readFileSync(path.join(uplotDir, 'uPlot.min.css'), 'utf8'));
  });

  test('hostile requests to the metrics endpoints are answered sanely', async () => {
    const port = c.masterWeb;
    const head = await get(port, '/metrics/prometheus/', 'HEAD');
    assert.equal(head.code, 200);
    assert.equal(head.body, '');
    const q = await get(port, '/metrics/json/?name=<script>alert(1)</script>&x=%zz');
    assert.equal(q.code, 200);
    assert.equal(JSON.parse(q.body).counters['Master.FilesCreated'].count, N_FILES);
    assert.equal((await get(port, '/metrics/prometheus/?format=%00')).code, 200);
    assert.equal((await get(port, '/metrics/json/', 'POST')).code, 405);
    assert.equal((await get(port, '/metrics/json/x')).code, 404);
    assert.equal((await get(port, '/metrics/json//')).code, 404);
    assert.equal((await get(port, `/metrics/${'a'.repeat(200_000)}`)).code, 431, 'a path beyond the header limit');
    assert.equal((await get(port, `/metrics/${'b'.repeat(8000)}`)).code, 404);
    // Still serving.
    assert.equal((await get(port, '/metrics/json/')).code, 200);
  });

  test('the worker\'s byte counters reach the master\'s Cluster.* sums through the heartbeats', async () => {
    const local = path.join(c.dir, 'data.bin');
    const size = 3 * 1024 * 1024 + 17;
    fs.writeFileSync(local, Buffer.alloc(size, 7));
    const put = await c.cli(['fs', 'copyFromLocal', local, '/m/data.bin']);
    assert.equal(put.code, 0, put.stderr);
    const cat = await c.cli(['fs', 'copyToLocal', '/m/data.bin', path.join(c.dir, 'back.bin')]);
    assert.equal(cat.code, 0, cat.stderr);
    const wj = await getJson(`http://127.0.0.1:${c.workerPorts[0]!.web}/metrics/json/`);
    const written = counter(wj, 'Worker.BytesWrittenRemote') + counter(wj, 'Worker.BytesWrittenDomain');
    const read = counter(wj, 'Worker.BytesReadRemote') + counter(wj, 'Worker.BytesReadDomain');
    assert.equal(written, size, JSON.stringify(wj.counters));
    assert.equal(read, size, JSON.stringify(wj.counters));
    assert.equal(counter(wj, 'Worker.BlocksWritten'), 4);
    assert.equal(gauge(wj, 'Worker.BlocksCached'), 4);
    assert.ok(gauge(wj, 'Worker.CapacityUsedTierMEM') >= size);
    assert.equal(gauge(wj, 'Worker.CapacityUsed') + gauge(wj, 'Worker.CapacityFree'), gauge(wj, 'Worker.CapacityTotal'));
    await waitFor('the master to sum the worker\'s bytes', async (observe) => {
      const j = await getJson(`http://127.0.0.1:${c.masterWeb}/metrics/json/`);
      const sums = { written: counter(j, 'Cluster.BytesWrittenRemote') + counter(j, 'Cluster.BytesWrittenLocal'), read: counter(j, 'Cluster.BytesReadRemote') + counter(j, 'Cluster.BytesReadLocal') };
      observe(sums);
      return sums.written === size && sums.read === size;
    }, 15_000);
  });
});

test('alluxio.metrics.enabled=false: the endpoints answer 503 saying so; the CLI says how to turn them on', async (t) => {
  const c = await (await new TestCluster({ masters: 1, workers: 0, props: { 'alluxio.metrics.enabled': 'false' } }).setup()).start();
  t.after(() => c.stop());
  for (const p of ['/metrics/json/', '/metrics/prometheus/']) {
    const r = await get(c.masterWeb, p);
    assert.equal(r.code, 503, p);
    assert.match(r.body, /alluxio\.metrics\.enabled=false/);
  }
  assert.match((await get(c.masterWeb, '/metrics')).body, /metrics are off/);
  const r = await c.cli(['fsadmin', 'report', 'metrics']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /alluxio\.metrics\.enabled/);
});
