/**
 * Metrics for people: one row per metric from the /metrics/json/ document (the Metrics page's
 * table, webui_metrics, `alluxio fsadmin report metrics`), values formatted by what their name
 * says they measure, as Alluxio's report does ("Cluster.BytesReadLocal  (Type: COUNTER, Value: 0B)").
 */
import { formatBytes } from '../conf/units.js';
import type { MetricsJson } from './registry.js';

export type MetricType = 'COUNTER' | 'GAUGE' | 'TIMER';

export interface MetricRow {
  name: string;
  type: MetricType;
  /** A counter's count, a gauge's value, a timer's number of observations. */
  value: number;
  /** The value as people read it: 1.50MB, 12.00KB/MIN, "count 12, mean 0.4 ms, p99 1 ms". */
  display: string;
}

/** What a metric measures, from its name: bytes (Bytes..., Capacity...), bytes per minute (...Throughput), or a number. */
export function unitOf(name: string): 'bytes' | 'bytesPerMinute' | 'number' {
  const last = name.split('.')[1] ?? name;
  if (/Throughput$/.test(last) && /^Bytes/.test(last)) return 'bytesPerMinute';
  if (/^(Bytes|Capacity)/.test(last)) return 'bytes';
  return 'number';
}

export function formatValue(name: string, v: number): string {
  switch (unitOf(name)) {
    case 'bytes': return formatBytes(v);
    case 'bytesPerMinute': return `${formatBytes(v)}/MIN`;
    default: return Number.isInteger(v) ? String(v) : v.toFixed(3);
  }
}

/** Every metric of a /metrics/json/ document, sorted by name. Fields that are not numbers read as 0 (the document is hostile input to the CLI). */
export function metricRows(j: Partial<MetricsJson>): MetricRow[] {
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const rows: MetricRow[] = [];
  for (const [name, c] of Object.entries(j.counters ?? {})) rows.push({ name, type: 'COUNTER', value: n(c?.count), display: formatValue(name, n(c?.count)) });
  for (const [name, g] of Object.entries(j.gauges ?? {})) rows.push({ name, type: 'GAUGE', value: n(g?.value), display: formatValue(name, n(g?.value)) });
  for (const [name, t] of Object.entries(j.timers ?? {})) {
    rows.push({ name, type: 'TIMER', value: n(t?.count), display: `count ${n(t?.count)}, mean ${n(t?.mean)} ms, p99 ${n(t?.p99)} ms, max ${n(t?.max)} ms` });
  }
  return rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Alluxio's `fsadmin report metrics` lines: "<name>  (Type: <TYPE>, Value: <value>)". */
export function reportLines(j: Partial<MetricsJson>): string[] {
  return metricRows(j).map((r) => `${r.name}  (Type: ${r.type}, Value: ${r.display})`);
}
