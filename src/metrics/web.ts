/**
 * The metrics routes of the master's and the worker's web ports:
 *   /metrics/prometheus/  the Prometheus text format (also without the trailing slash)
 *   /metrics/json/        Alluxio's Dropwizard-like JSON, dotted names (also without the slash)
 *   /api/v1/<kind>/webui_metrics  the Metrics page's data: one row per metric, the chart series
 *   /metrics              the Metrics page: a table of every metric (server-rendered, works
 *                         without JavaScript) and live charts of ops/s and bytes/s (uPlot,
 *                         polling /metrics/json/)
 *   /static/uplot.min.js, /static/uplot.min.css  uPlot from the install's node_modules
 * The endpoints answer on standby masters too; the page follows the master's UI-page rule (the
 * caller passes its wrapper).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { AlluxioMaster } from '../server/master/master.js';
import type { AlluxioWorker } from '../server/worker/worker.js';
import { page, esc, type Route } from '../server/web.js';
import { metricsState, registry } from './index.js';
import { promFamily } from './registry.js';
import { metricRows, unitOf } from './format.js';

/** The counters each page charts as rates: operations and bytes. */
const CHARTS = {
  master: {
    ops: ['Master.TotalRpcs', 'Master.FilesCreated', 'Master.FileInfosGot', 'Master.PathsDeleted'],
    bytes: ['Cluster.BytesReadRemote', 'Cluster.BytesReadLocal', 'Cluster.BytesReadUfsAll', 'Cluster.BytesWrittenRemote', 'Cluster.BytesWrittenLocal', 'Cluster.BytesWrittenUfsAll'],
  },
  worker: {
    ops: ['Worker.BlocksAccessed', 'Worker.BlocksWritten', 'Worker.BlocksEvicted'],
    bytes: ['Worker.BytesReadRemote', 'Worker.BytesReadDomain', 'Worker.BytesReadUfs', 'Worker.BytesWrittenRemote', 'Worker.BytesWrittenDomain', 'Worker.BytesWrittenUfs'],
  },
} as const;

type Kind = keyof typeof CHARTS;

const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const DISABLED = 'metrics are off on this server (alluxio.metrics.enabled=false)';

/** uPlot's files from the install (node_modules/uplot/dist), read once. */
const uplotFiles = new Map<string, string>();
function uplotFile(name: 'uPlot.iife.min.js' | 'uPlot.min.css'): string {
  let text = uplotFiles.get(name);
  if (text === undefined) {
    const dir = path.join(path.dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');
    text = fs.readFileSync(path.join(dir, name), 'utf8');
    uplotFiles.set(name, text);
  }
  return text;
}

/** The Prometheus series name of a dotted metric (with its labels), for the table's last column. */
function promSeries(name: string): string {
  const m = registry.get(name);
  if (!m) return '';
  const labels = Object.entries(m.labels).map(([k, v]) => `${k}="${v}"`).join(',');
  return `${promFamily(m)}${labels ? `{${labels}}` : ''}`;
}

export function webuiMetrics(kind: Kind) {
  const rows = metricRows(registry.json()).map((r) => ({ ...r, prometheus: promSeries(r.name) }));
  return { enabled: metricsState.enabled, timeMs: Date.now(), metrics: rows, charts: CHARTS[kind] };
}

/** The Metrics page's body: the table, then the charts and the script that draws them. */
function metricsPage(kind: Kind): string {
  if (!metricsState.enabled) return `<p>${esc(DISABLED)}.</p>`;
  const data = webuiMetrics(kind);
  // The value cells carry the metric's name: the script updates them from /metrics/json/.
  const tableHtml = `<table><tr><th>Name</th><th>Type</th><th>Value</th><th>Prometheus series</th></tr>${data.metrics.map((r) =>
    `<tr><td>${esc(r.name)}</td><td>${esc(r.type)}</td><td data-metric="${esc(r.name)}">${esc(r.display)}</td><td>${esc(r.prometheus)}</td></tr>`).join('')}</table>`;
  const charts = { ops: data.charts.ops, bytes: data.charts.bytes, units: Object.fromEntries(data.metrics.map((r) => [r.name, unitOf(r.name)])) };
  return `
<link rel="stylesheet" href="/static/uplot.min.css">
<h2>Live (rates over the last 2 minutes, every 2 s)</h2>
<noscript><p>The charts need JavaScript; the table below is complete without it (the page reloads every 10 minutes).</p></noscript>
<div id="charts"><div id="chart-ops"></div><div id="chart-bytes"></div></div>
<p id="chart-status"></p>
<h2>All metrics</h2>
<p>${data.metrics.length} metrics; as JSON at <a href="/metrics/json/">/metrics/json/</a>, Prometheus text at <a href="/metrics/prometheus/">/metrics/prometheus/</a>.</p>
${tableHtml}
<script src="/static/uplot.min.js"></script>
<script type="application/json" id="chart-config">${JSON.stringify(charts).replace(/</g, '\\u003c')}</script>
<script>${CHART_SCRIPT}</script>`;
}

/** Polls /metrics/json/ every 2 s: rates of the charted counters into two uPlot charts, values into the table. */
const CHART_SCRIPT = `
(function () {
  var cfg = JSON.parse(document.getElementById('chart-config').textContent);
  var status = document.getElementById('chart-status');
  var KB = 1024;
  function bytes(n) {
    if (n <= 5 * KB) return Math.trunc(n) + 'B';
    var v = n, units = ['KB', 'MB', 'GB', 'TB', 'PB'];
    for (var i = 0; i < units.length; i++) { v /= KB; if (v <= 5 * KB || i === units.length - 1) return v.toFixed(2) + units[i]; }
  }
  function show(name, v) {
    var u = cfg.units[name];
    if (u === 'bytes') return bytes(v);
    if (u === 'bytesPerMinute') return bytes(v) + '/MIN';
    return Number.isInteger(v) ? String(v) : v.toFixed(3);
  }
  var POINTS = 60, prev = null, xs = [], series = { ops: cfg.ops.map(function () { return []; }), bytes: cfg.bytes.map(function () { return []; }) };
  var plots = {};
  function make(key, title, fmt) {
    if (typeof uPlot !== 'function') return;
    var el = document.getElementById('chart-' + key);
    var colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
    plots[key] = new uPlot({
      title: title, width: Math.min(900, window.innerWidth - 60), height: 220,
      series: [{}].concat(cfg[key].map(function (n, i) { return { label: n, stroke: colors[i % colors.length], value: function (u, v) { return v == null ? '-' : fmt(v); } }; })),
      axes: [{}, { values: function (u, vals) { return vals.map(fmt); }, size: 80 }],
    }, [[]].concat(cfg[key].map(function () { return []; })), el);
  }
  make('ops', 'operations per second', function (v) { return v.toFixed(v < 10 ? 1 : 0) + '/s'; });
  make('bytes', 'bytes per second', function (v) { return bytes(v) + '/s'; });
  function count(j, name) {
    var c = j.counters && j.counters[name];
    return c && typeof c.count === 'number' ? c.count : 0;
  }
  function tick() {
    fetch('/metrics/json/', { cache: 'no-store' }).then(function (r) { return r.json(); }).then(function (j) {
      var now = Date.now() / 1000;
      if (prev) {
        var dt = now - prev.t;
        xs.push(now);
        ['ops', 'bytes'].forEach(function (key) {
          cfg[key].forEach(function (name, i) { series[key][i].push(Math.max(0, (count(j, name) - count(prev.j, name)) / dt)); });
        });
        if (xs.length > POINTS) { xs.shift(); ['ops', 'bytes'].forEach(function (key) { series[key].forEach(function (s) { s.shift(); }); }); }
        ['ops', 'bytes'].forEach(function (key) { if (plots[key]) plots[key].setData([xs.slice()].concat(series[key].map(function (s) { return s.slice(); }))); });
      }
      prev = { t: now, j: j };
      document.querySelectorAll('td[data-metric]').forEach(function (td) {
        var name = td.getAttribute('data-metric');
        if (j.counters && j.counters[name]) td.textContent = show(name, j.counters[name].count);
        else if (j.gauges && j.gauges[name]) td.textContent = show(name, j.gauges[name].value);
      });
      status.textContent = 'updated ' + new Date().toLocaleTimeString();
    }).catch(function (e) { status.textContent = 'could not read /metrics/json/: ' + e; });
  }
  tick();
  setInterval(tick, 2000);
})();
`;

function routes(kind: Kind, title: () => string, uiPage: (r: Route) => Route): Record<string, Route> {
  const prometheus: Route = () => (metricsState.enabled
    ? { type: 'html', contentType: PROMETHEUS_TYPE, body: registry.prometheus() }
    : { status: 503, type: 'html', contentType: 'text/plain; charset=utf-8', body: `${DISABLED}\n` });
  const json: Route = () => (metricsState.enabled ? { type: 'json', body: registry.json() } : { status: 503, type: 'json', body: { error: DISABLED } });
  return {
    '/metrics/prometheus/': prometheus,
    '/metrics/prometheus': prometheus,
    '/metrics/json/': json,
    '/metrics/json': json,
    [`/api/v1/${kind}/webui_metrics`]: () => ({ type: 'json', body: webuiMetrics(kind) }),
    '/metrics': uiPage(() => ({ type: 'html', body: page(`${title()}: Metrics`, metricsPage(kind), 600) })),
    '/static/uplot.min.js': () => ({ type: 'html', contentType: 'text/javascript; charset=utf-8', body: uplotFile('uPlot.iife.min.js') }),
    '/static/uplot.min.css': () => ({ type: 'html', contentType: 'text/css; charset=utf-8', body: uplotFile('uPlot.min.css') }),
  };
}

/** The master's metrics routes; `uiPage` is the master's rule for UI pages (standby with alluxio.standby.master.web.enabled=false). */
export function masterMetricsRoutes(m: AlluxioMaster, uiPage: (r: Route) => Route): Record<string, Route> {
  return routes('master', () => `Alluxio Master ${m.address}`, uiPage);
}

export function workerMetricsRoutes(w: AlluxioWorker): Record<string, Route> {
  return routes('worker', () => `Alluxio Worker ${w.hostname}:${w.rpcPort}`, (r) => r);
}
