/**
 * A small metrics registry: counters, gauges and latency histograms under Alluxio's dotted names
 * (Master.FilesCreated), rendered as the Prometheus text format and as Alluxio's Dropwizard-like
 * JSON (/metrics/json/). Our own rather than prom-client's: the hot paths increment a plain
 * number field (no label hashing, no allocation per call), and the web routes are synchronous
 * (prom-client's Registry.metrics() returns a promise).
 *
 * Names. The JSON keeps the dotted name. The Prometheus name is derived (promName): every dot
 * becomes "_", camelCase becomes snake_case and the whole is lower case (promtool's lint wants
 * snake_case), counters end in "_total" and timers in "_seconds"; a metric registered with
 * labels (a tier, an RPC method) shares one Prometheus family with its siblings:
 *   Master.FilesCreated                -> master_files_created_total
 *   Cluster.CapacityTotal              -> cluster_capacity_total_bytes (gauges of bytes end in "_bytes")
 *   Worker.CapacityUsedTierMEM         -> worker_capacity_used_tier_bytes{tier="MEM"}
 *   Master.RpcLatency.CreateFile       -> master_rpc_latency_seconds{method="CreateFile"}
 */
import { unitOf } from './format.js';

export interface MetricOptions {
  /** One line about what it counts. */
  help: string;
  /** The dotted family name the Prometheus text uses when it differs (labelled siblings). */
  family?: string;
  /** Prometheus labels of this series (tier, method). */
  labels?: Readonly<Record<string, string>>;
}

abstract class Metric {
  readonly help: string;
  readonly family: string;
  readonly labels: Readonly<Record<string, string>>;
  constructor(readonly name: string, o: MetricOptions) {
    this.help = o.help;
    this.family = o.family ?? name;
    this.labels = o.labels ?? {};
  }
}

/** A monotonic count: `inc()` is a plain addition. */
export class Counter extends Metric {
  count = 0;
  inc(n = 1): void { this.count += n; }
}

/** A value read when the metrics are read (capacity, journal indexes). */
export class Gauge extends Metric {
  constructor(name: string, o: MetricOptions, public read: () => number) { super(name, o); }
}

/** Upper bounds (seconds) of the latency buckets: 100 µs to 10 s. */
export const LATENCY_BUCKETS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Latencies in fixed buckets: `observe(ms)` is one short loop over the bounds and three additions. */
export class Timer extends Metric {
  /** counts[i]: observations <= bounds[i] and > bounds[i-1]; the last slot: above every bound. */
  readonly counts: Float64Array;
  count = 0;
  /** Seconds. */
  sum = 0;
  /** Seconds. */
  max = 0;
  constructor(name: string, o: MetricOptions, readonly bounds: readonly number[] = LATENCY_BUCKETS) {
    super(name, o);
    this.counts = new Float64Array(bounds.length + 1);
  }
  /** One observation, in milliseconds (performance.now() differences). */
  observe(ms: number): void {
    const s = ms / 1000;
    let i = 0;
    while (i < this.bounds.length && s > this.bounds[i]!) i++;
    this.counts[i]!++;
    this.count++;
    this.sum += s;
    if (s > this.max) this.max = s;
  }
  /** The bucket bound below which a fraction `q` of the observations lie (an upper estimate), seconds. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const want = q * this.count;
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= want) return i < this.bounds.length ? Math.min(this.bounds[i]!, this.max) : this.max;
    }
    return this.max;
  }
}

export type AnyMetric = Counter | Gauge | Timer;

/** A counter with its help line. */
export const counter = (name: string, help: string): Counter => new Counter(name, { help });

/** A gauge; with `labels`, one series of the Prometheus `family` (per tier). */
export const gauge = (name: string, help: string, read: () => number, labels?: Record<string, string>, family?: string): Gauge =>
  new Gauge(name, { help, ...(labels ? { labels } : {}), ...(family ? { family } : {}) }, read);

/** Alluxio's dotted name as a Prometheus metric name (without the type's suffix). */
export function promName(dotted: string): string {
  const snake = dotted
    .split('.')
    .map((part) => part
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2') // FilesCreated -> Files_Created
      .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')) // UFSRead -> UFS_Read
    .join('_')
    .replace(/[^a-zA-Z0-9_:]/g, '_')
    .replace(/_+/g, '_')
    .toLowerCase();
  return /^[a-z_:]/.test(snake) ? snake : `_${snake}`;
}

/**
 * The full Prometheus family name of a metric: promName plus "_total" (counter), "_seconds"
 * (timer) or "_bytes" (a gauge of bytes: Capacity...; also keeps cluster_capacity_total from
 * looking like a counter).
 */
export function promFamily(m: AnyMetric): string {
  const base = promName(m.family);
  if (m instanceof Counter) return `${base}_total`;
  if (m instanceof Timer) return `${base}_seconds`;
  return unitOf(m.name) === 'bytes' ? `${base}_bytes` : base;
}

const labelValue = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const helpText = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const labelName = (k: string) => k.replace(/[^a-zA-Z0-9_]/g, '_').replace(/^([0-9])/, '_$1');

function labelSet(labels: Readonly<Record<string, string>>, extra?: [string, string]): string {
  const parts = Object.entries(labels).map(([k, v]) => `${labelName(k)}="${labelValue(v)}"`);
  if (extra) parts.push(`${extra[0]}="${labelValue(extra[1])}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** A number as the text format writes it. */
function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** A gauge's value; a gauge whose reader throws reads as NaN (a scrape never fails for one value). */
function readGauge(g: Gauge): number {
  try {
    const v = g.read();
    return typeof v === 'number' ? v : Number.NaN;
  } catch { return Number.NaN; }
}

/** Dropwizard's JSON of a timer (milliseconds; percentiles are bucket upper bounds). */
export interface TimerJson {
  count: number; sum: number; mean: number; max: number; p50: number; p95: number; p99: number; duration_units: 'milliseconds';
}

export interface MetricsJson {
  version: string;
  gauges: Record<string, { value: number }>;
  counters: Record<string, { count: number }>;
  histograms: Record<string, never>;
  meters: Record<string, never>;
  timers: Record<string, TimerJson>;
}

/** The metrics of one process. */
export class Registry {
  private readonly metrics = new Map<string, AnyMetric>();
  private readonly hooks: (() => void)[] = [];

  /** Run `fn` before every read of the metrics (it may add or replace metrics: per-tier gauges). */
  onRead(fn: () => void): void { this.hooks.push(fn); }

  private refresh(): void {
    for (const h of this.hooks) { try { h(); } catch { /* a hook that fails leaves the metrics as they were */ } }
  }

  /** Add (or replace, by name) metrics. A name is one kind for the life of the process. */
  add(...ms: AnyMetric[]): void {
    for (const m of ms) this.metrics.set(m.name, m);
  }

  /** Take out every metric whose name starts with `prefix` (e.g. per-tier gauges before they are made again). */
  removePrefix(prefix: string): void {
    for (const k of [...this.metrics.keys()]) if (k.startsWith(prefix)) this.metrics.delete(k);
  }

  get(name: string): AnyMetric | undefined { return this.metrics.get(name); }

  all(): AnyMetric[] { return [...this.metrics.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)); }

  /** The Prometheus text format (version 0.0.4): one HELP and TYPE per family, its series after. */
  prometheus(): string {
    this.refresh();
    const families = new Map<string, AnyMetric[]>();
    for (const m of this.all()) {
      const f = promFamily(m);
      const list = families.get(f);
      if (list) list.push(m); else families.set(f, [m]);
    }
    const out: string[] = [];
    for (const [name, ms] of [...families.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const first = ms[0]!;
      out.push(`# HELP ${name} ${helpText(first.help)}`);
      out.push(`# TYPE ${name} ${first instanceof Counter ? 'counter' : first instanceof Timer ? 'histogram' : 'gauge'}`);
      for (const m of ms) {
        if (m instanceof Counter) out.push(`${name}${labelSet(m.labels)} ${num(m.count)}`);
        else if (m instanceof Gauge) out.push(`${name}${labelSet(m.labels)} ${num(readGauge(m))}`);
        else {
          let cum = 0;
          for (let i = 0; i < m.bounds.length; i++) {
            cum += m.counts[i]!;
            out.push(`${name}_bucket${labelSet(m.labels, ['le', String(m.bounds[i])])} ${cum}`);
          }
          out.push(`${name}_bucket${labelSet(m.labels, ['le', '+Inf'])} ${m.count}`);
          out.push(`${name}_sum${labelSet(m.labels)} ${num(m.sum)}`);
          out.push(`${name}_count${labelSet(m.labels)} ${m.count}`);
        }
      }
    }
    return out.join('\n') + '\n';
  }

  /** Alluxio's /metrics/json/ shape (Dropwizard's MetricsServlet): dotted names. */
  json(): MetricsJson {
    this.refresh();
    const j: MetricsJson = { version: '4.0.0', gauges: {}, counters: {}, histograms: {}, meters: {}, timers: {} };
    for (const m of this.all()) {
      if (m instanceof Counter) j.counters[m.name] = { count: m.count };
      else if (m instanceof Gauge) {
        const v = readGauge(m);
        j.gauges[m.name] = { value: Number.isFinite(v) ? v : 0 };
      } else {
        const ms = (s: number) => Math.round(s * 1e6) / 1e3;
        j.timers[m.name] = {
          count: m.count, sum: ms(m.sum), mean: m.count ? ms(m.sum / m.count) : 0, max: ms(m.max),
          p50: ms(m.quantile(0.5)), p95: ms(m.quantile(0.95)), p99: ms(m.quantile(0.99)), duration_units: 'milliseconds',
        };
      }
    }
    return j;
  }
}

/**
 * Per-minute rates of some counters, from samples taken every `periodMs` over the last minute
 * (Alluxio's ...Throughput gauges: bytes per minute). `start()` samples on an unref'd timer.
 */
export class Rates {
  private readonly samples: { t: number; values: number[] }[] = [];
  private timer?: NodeJS.Timeout;
  constructor(private readonly counters: readonly (() => number)[], private readonly periodMs = 5000, private readonly windowMs = 60_000) {}
  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.periodMs);
    this.timer.unref();
  }
  stop(): void { if (this.timer) clearInterval(this.timer); }
  sample(now = Date.now()): void {
    this.samples.push({ t: now, values: this.counters.map((c) => c()) });
    while (this.samples.length > 2 && now - this.samples[1]!.t >= this.windowMs) this.samples.shift();
  }
  /** Counter `i`'s increase per minute between the oldest sample of the window and now (0 before two samples). */
  perMinute(i: number, now = Date.now()): number {
    const first = this.samples[0];
    if (!first || now - first.t <= 0) return 0;
    const delta = this.counters[i]!() - first.values[i]!;
    return Math.max(0, Math.round((delta * 60_000) / (now - first.t)));
  }
}
