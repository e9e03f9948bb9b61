/** The metrics registry: the Prometheus name mapping, the text format, the JSON shape, the CLI's lines, the cluster sums. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Gauge, Registry, Timer, Rates, promName, promFamily } from '../../src/metrics/registry.js';
import { ClusterMetrics } from '../../src/metrics/master.js';
import { metricRows, reportLines, unitOf } from '../../src/metrics/format.js';

test('Alluxio dotted names map to snake_case Prometheus names with the type\'s suffix', () => {
  const cases: [string, string][] = [
    ['Master.FilesCreated', 'master_files_created'],
    ['Master.TotalRpcs', 'master_total_rpcs'],
    ['Master.JournalFlushTimer', 'master_journal_flush_timer'],
    ['Master.JournalLastAppliedCommitIndex', 'master_journal_last_applied_commit_index'],
    ['Cluster.BytesReadUfsAll', 'cluster_bytes_read_ufs_all'],
    ['Cluster.CapacityUsedTier', 'cluster_capacity_used_tier'],
    ['Worker.CapacityUsedTierMEM', 'worker_capacity_used_tier_mem'],
    ['Worker.UFSRead', 'worker_ufs_read'],
    ['Master.RpcLatency', 'master_rpc_latency'],
    ['a-b c.D%e', 'a_b_c_d_e'],
    ['9Lives', '_9_lives'],
  ];
  for (const [dotted, want] of cases) assert.equal(promName(dotted), want, dotted);
  assert.equal(promFamily(new Counter('Master.FilesCreated', { help: 'x' })), 'master_files_created_total');
  assert.equal(promFamily(new Gauge('Master.TotalPaths', { help: 'x' }, () => 1)), 'master_total_paths');
  assert.equal(promFamily(new Timer('Master.JournalFlushTimer', { help: 'x' })), 'master_journal_flush_timer_seconds');
  assert.equal(promFamily(new Gauge('Worker.CapacityUsedTierMEM', { help: 'x', family: 'Worker.CapacityUsedTier', labels: { tier: 'MEM' } }, () => 1)), 'worker_capacity_used_tier_bytes');
  assert.equal(promFamily(new Gauge('Cluster.CapacityTotal', { help: 'x' }, () => 1)), 'cluster_capacity_total_bytes');
  assert.equal(promFamily(new Gauge('Cluster.BytesReadLocalThroughput', { help: 'x' }, () => 1)), 'cluster_bytes_read_local_throughput');
});

function sample(): Registry {
  const r = new Registry();
  const c = new Counter('Master.FilesCreated', { help: 'Successful CreateFile operations' });
  c.inc(); c.inc(2);
  const t = new Timer('Master.RpcLatency.CreateFile', { help: 'Latency "per" method\nsecond line', family: 'Master.RpcLatency', labels: { method: 'CreateFile' } }, [0.001, 0.01]);
  t.observe(0.5); t.observe(5); t.observe(50);
  const t2 = new Timer('Master.RpcLatency.GetStatus', { help: 'Latency "per" method\nsecond line', family: 'Master.RpcLatency', labels: { method: 'Get"St\\atus' } }, [0.001, 0.01]);
  r.add(c, t, t2,
    new Gauge('Worker.CapacityUsedTierMEM', { help: 'used', family: 'Worker.CapacityUsedTier', labels: { tier: 'MEM' } }, () => 1024),
    new Gauge('Worker.CapacityUsedTierSSD', { help: 'used', family: 'Worker.CapacityUsedTier', labels: { tier: 'SSD' } }, () => 7),
    new Gauge('Master.Broken', { help: 'a reader that throws' }, () => { throw new Error('no'); }));
  return r;
}

test('the Prometheus text: one HELP and TYPE per family, labelled siblings together, cumulative buckets, escaped labels and help', () => {
  assert.equal(sample().prometheus(), [
    '# HELP master_broken a reader that throws',
    '# TYPE master_broken gauge',
    'master_broken NaN',
    '# HELP master_files_created_total Successful CreateFile operations',
    '# TYPE master_files_created_total counter',
    'master_files_created_total 3',
    '# HELP master_rpc_latency_seconds Latency "per" method\\nsecond line',
    '# TYPE master_rpc_latency_seconds histogram',
    'master_rpc_latency_seconds_bucket{method="CreateFile",le="0.001"} 1',
    'master_rpc_latency_seconds_bucket{method="CreateFile",le="0.01"} 2',
    'master_rpc_latency_seconds_bucket{method="CreateFile",le="+Inf"} 3',
    'master_rpc_latency_seconds_sum{method="CreateFile"} 0.0555',
    'master_rpc_latency_seconds_count{method="CreateFile"} 3',
    'master_rpc_latency_seconds_bucket{method="Get\\"St\\\\atus",le="0.001"} 0',
    'master_rpc_latency_seconds_bucket{method="Get\\"St\\\\atus",le="0.01"} 0',
    'master_rpc_latency_seconds_bucket{method="Get\\"St\\\\atus",le="+Inf"} 0',
    'master_rpc_latency_seconds_sum{method="Get\\"St\\\\atus"} 0',
    'master_rpc_latency_seconds_count{method="Get\\"St\\\\atus"} 0',
    '# HELP worker_capacity_used_tier_bytes used',
    '# TYPE worker_capacity_used_tier_bytes gauge',
    'worker_capacity_used_tier_bytes{tier="MEM"} 1024',
    'worker_capacity_used_tier_bytes{tier="SSD"} 7',
    '',
  ].join('\n'));
});

test('the JSON: Alluxio\'s Dropwizard-like shape with dotted names; timers in milliseconds', () => {
  assert.deepEqual(sample().json(), {
    version: '4.0.0',
    gauges: { 'Master.Broken': { value: 0 }, 'Worker.CapacityUsedTierMEM': { value: 1024 }, 'Worker.CapacityUsedTierSSD': { value: 7 } },
    counters: { 'Master.FilesCreated': { count: 3 } },
    histograms: {},
    meters: {},
    timers: {
      'Master.RpcLatency.CreateFile': { count: 3, sum: 55.5, mean: 18.5, max: 50, p50: 10, p95: 50, p99: 50, duration_units: 'milliseconds' },
      'Master.RpcLatency.GetStatus': { count: 0, sum: 0, mean: 0, max: 0, p50: 0, p95: 0, p99: 0, duration_units: 'milliseconds' },
    },
  });
});

test('onRead hooks run before each read and may replace metrics; removePrefix takes them out', () => {
  const r = new Registry();
  let tiers = ['MEM', 'SSD'];
  r.onRead(() => {
    r.removePrefix('Worker.Capacity');
    for (const t of tiers) r.add(new Gauge(`Worker.CapacityTier${t}`, { help: 'x' }, () => 1));
  });
  r.onRead(() => { throw new Error('a failing hook leaves the rest alone'); });
  assert.deepEqual(Object.keys(r.json().gauges), ['Worker.CapacityTierMEM', 'Worker.CapacityTierSSD']);
  tiers = ['HDD'];
  assert.deepEqual(Object.keys(r.json().gauges), ['Worker.CapacityTierHDD']);
});

test('report lines and rows: Alluxio\'s shape, bytes and rates formatted from the name; hostile documents read as 0', () => {
  assert.equal(unitOf('Cluster.BytesReadLocal'), 'bytes');
  assert.equal(unitOf('Cluster.BytesReadLocalThroughput'), 'bytesPerMinute');
  assert.equal(unitOf('Worker.CapacityUsedTierMEM'), 'bytes');
  assert.equal(unitOf('Master.FilesCreated'), 'number');
  const doc = {
    counters: { 'Cluster.BytesReadLocal': { count: 0 }, 'Cluster.BytesReadRemote': { count: 3 * 1024 * 1024 }, 'Master.FilesCreated': { count: 12 }, 'Master.Odd': { count: 'x' as unknown as number } },
    gauges: { 'Cluster.BytesReadRemoteThroughput': { value: 10 * 1024 * 1024 }, 'Master.JournalApplyLag': { value: 0.25 } },
    timers: { 'Master.JournalFlushTimer': { count: 4, sum: 8, mean: 2, max: 5, p50: 1, p95: 5, p99: 5, duration_units: 'milliseconds' as const } },
  };
  assert.deepEqual(reportLines(doc), [
    'Cluster.BytesReadLocal  (Type: COUNTER, Value: 0B)',
    'Cluster.BytesReadRemote  (Type: COUNTER, Value: 3072.00KB)',
    'Cluster.BytesReadRemoteThroughput  (Type: GAUGE, Value: 10.00MB/MIN)',
    'Master.FilesCreated  (Type: COUNTER, Value: 12)',
    'Master.JournalApplyLag  (Type: GAUGE, Value: 0.250)',
    'Master.JournalFlushTimer  (Type: TIMER, Value: count 4, mean 2 ms, p99 5 ms, max 5 ms)',
    'Master.Odd  (Type: COUNTER, Value: 0)',
  ]);
  assert.deepEqual(metricRows({ counters: null as unknown as Record<string, { count: number }> }), []);
});

test('cluster sums: each worker\'s increase since its last report; a restarted worker\'s lower total is all new; unknown names ignored', () => {
  const c = new ClusterMetrics();
  const read = (n: string) => [...c.counters.values()].find((x) => x.name === n)!.count;
  c.report(1, [{ name: 'Worker.BytesReadRemote', value: 100 }, { name: 'Worker.Nope', value: 5 }]);
  c.report(2, [{ name: 'Worker.BytesReadRemote', value: 50 }, { name: 'Worker.BytesReadDomain', value: 7 }]);
  c.report(1, [{ name: 'Worker.BytesReadRemote', value: 130 }]);
  c.report(1, [{ name: 'Worker.BytesReadRemote', value: 130 }]); // a repeated report adds nothing
  assert.equal(read('Cluster.BytesReadRemote'), 180);
  assert.equal(read('Cluster.BytesReadLocal'), 7);
  c.report(2, [{ name: 'Worker.BytesReadRemote', value: 20 }]); // worker 2 restarted
  assert.equal(read('Cluster.BytesReadRemote'), 200);
  c.reset();
  assert.equal(read('Cluster.BytesReadRemote'), 0);
  c.report(1, [{ name: 'Worker.BytesReadRemote', value: 130 }]); // a new leader counts the whole total
  assert.equal(read('Cluster.BytesReadRemote'), 130);
});

test('rates: increase per minute over the window of samples', () => {
  let v = 0;
  const r = new Rates([() => v], 5000, 60_000);
  assert.equal(r.perMinute(0, 0), 0);
  r.sample(0);
  v = 100;
  assert.equal(r.perMinute(0, 30_000), 200);
  for (let t = 5000; t <= 120_000; t += 5000) r.sample(t);
  v = 160; // 60 more in the last minute's window
  assert.equal(r.perMinute(0, 120_000), 60);
});
