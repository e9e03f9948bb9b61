/**
 * Steady client load for rolling-restart tests and bench:rolling: N concurrent clients, each its
 * own FileSystem (its own master connection, leader discovery and worker channels, as N
 * applications would have), each running three loops for the whole run: a writer (a new file of
 * a few blocks, default write type), a reader (read back a file already acknowledged and compare
 * its hash) and a stat loop (ask the master for an acknowledged file's status: the master-only
 * operation, whose pauses are the masters' alone).
 *
 * Every operation is recorded (kind, path, start, duration, ok or the error) and every
 * acknowledged write (path, length, sha256). The summary gives per kind: the count, the
 * failures, the longest client-visible pause (the longest time between two successive successful
 * completions of that kind across all clients) and the longest single operation, and latency
 * percentiles.
 *
 * Clients are FileSystem objects in one process rather than CLI processes: a CLI process per
 * operation would spend most of its time starting Node (hundreds of ms on these 2 cores), which
 * would hide the pauses to be measured and load the machine far more than the cluster does.
 *
 * The load must run where the cluster's host names resolve: in the test hosts' control namespace
 * (loadMain.ts is the runnable script; tests start it with TestHosts.runControl).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../src/conf/index.js';
import { FileSystem } from '../../src/client/fileSystem.js';
import { sleep } from './wait.js';
import type { TestHosts } from './hosts.js';
import { ROOT } from './cluster.js';

export type OpKind = 'write' | 'read' | 'stat';
export const OP_KINDS: readonly OpKind[] = ['write', 'read', 'stat'];

export interface OpRecord { client: number; kind: OpKind; path: string; start: number; ms: number; ok: boolean; error?: string }
export interface Acked { path: string; bytes: number; sha256: string; ackedAt: number }

export interface LoadOptions {
  clients: number;
  /** Directory under which each client writes (`<prefix>/c<i>/f<n>`); unique per run. */
  prefix: string;
  /** File size in bytes (default 2.5 blocks of alluxio.user.block.size.bytes.default: three blocks, the last half full). */
  fileBytes?: number;
  /** Pause of each writer between two writes (default 200 ms). */
  writePaceMs?: number;
  /** Pause of each client between two reads (default 100 ms). */
  readPaceMs?: number;
  /** Pause of each client between two stats (default 50 ms). */
  statPaceMs?: number;
}

export interface KindSummary {
  ops: number;
  failed: number;
  /**
   * Longest time between two successive successful completions (all clients). The ramp-up before
   * the first and the wind-down after the last are left out: callers start the load before and
   * stop it after what they measure (a cluster that stops serving shows as failures or as a gap
   * that ends when it serves again).
   */
  longestPauseMs: number;
  /** When that pause started (epoch ms). */
  longestPauseAt: number;
  /** Longest single successful or failed operation. */
  longestOpMs: number;
  p50Ms: number; p90Ms: number; p99Ms: number;
  /** The median gap between successive completions: the pause when nothing happens. */
  medianGapMs: number;
}

export interface LoadSummary {
  clients: number;
  prefix: string;
  fileBytes: number;
  startedAt: number;
  stoppedAt: number;
  ops: number;
  failed: number;
  kinds: Record<OpKind, KindSummary>;
  failures: OpRecord[];
  acked: Acked[];
}

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

export function percentile(xs: readonly number[], p: number): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** The summary of a run's records (pure; exported for its unit test). */
export function summarize(records: readonly OpRecord[], acked: readonly Acked[], o: { clients: number; prefix: string; fileBytes: number; startedAt: number; stoppedAt: number }): LoadSummary {
  const kinds = {} as Record<OpKind, KindSummary>;
  for (const k of OP_KINDS) {
    const mine = records.filter((r) => r.kind === k);
    const ends = mine.filter((r) => r.ok).map((r) => r.start + r.ms).sort((a, b) => a - b);
    let longest = 0, at = o.startedAt;
    const gaps: number[] = [];
    for (let i = 1; i < ends.length; i++) {
      const g = ends[i]! - ends[i - 1]!;
      gaps.push(g);
      if (g > longest) { longest = g; at = ends[i - 1]!; }
    }
    const ms = mine.map((r) => r.ms);
    kinds[k] = {
      ops: mine.length, failed: mine.filter((r) => !r.ok).length, longestPauseMs: longest, longestPauseAt: at,
      longestOpMs: ms.length ? Math.max(...ms) : 0, p50Ms: percentile(ms, 50), p90Ms: percentile(ms, 90), p99Ms: percentile(ms, 99),
      medianGapMs: percentile(gaps, 50),
    };
  }
  const failures = records.filter((r) => !r.ok);
  return { ...o, ops: records.length, failed: failures.length, kinds, failures, acked: [...acked] };
}

/** A running load; `stop()` ends it (operations in flight complete) and returns the summary. */
export class Load {
  readonly records: OpRecord[] = [];
  readonly acked: Acked[] = [];
  private stopping = false;
  private readonly loops: Promise<void>[] = [];
  private readonly clients: FileSystem[] = [];
  private readonly startedAt = Date.now();
  readonly fileBytes: number;

  constructor(private readonly conf: Config, private readonly o: LoadOptions, private readonly onOp?: (r: OpRecord) => void) {
    this.fileBytes = o.fileBytes ?? Math.floor(2.5 * conf.getBytes('alluxio.user.block.size.bytes.default'));
  }

  start(): this {
    for (let i = 0; i < this.o.clients; i++) {
      const fs = new FileSystem(this.conf);
      this.clients.push(fs);
      this.loops.push(this.writer(i, fs), this.reader(i, fs, 'read'), this.reader(i, fs, 'stat'));
    }
    return this;
  }

  private async op<T>(client: number, kind: OpKind, path: string, fn: () => Promise<T>): Promise<T | undefined> {
    const start = Date.now();
    try {
      const v = await fn();
      this.record({ client, kind, path, start, ms: Date.now() - start, ok: true });
      return v;
    } catch (e) {
      const err = e as Error;
      this.record({ client, kind, path, start, ms: Date.now() - start, ok: false, error: `${err.constructor?.name ?? 'Error'}: ${err.message}` });
      return undefined;
    }
  }

  private record(r: OpRecord): void {
    this.records.push(r);
    this.onOp?.(r);
  }

  private async writer(client: number, fs: FileSystem): Promise<void> {
    for (let n = 0; !this.stopping; n++) {
      const path = `${this.o.prefix}/c${client}/f${n}`;
      const data = crypto.randomBytes(this.fileBytes);
      const ok = await this.op(client, 'write', path, async () => {
        const out = await fs.createFile(path, { recursive: true });
        try { await out.write(data); } catch (e) { await out.cancel(); throw e; }
        await out.close();
        return true;
      });
      if (ok) this.acked.push({ path, bytes: data.length, sha256: sha256(data), ackedAt: Date.now() });
      if (!this.stopping) await sleep(this.o.writePaceMs ?? 200);
    }
  }

  /**
   * Reads (`kind` read: the whole file from a worker, compared with its hash) or stats (master
   * only) of acknowledged files, in a loop of their own: a slow read never hides how soon the
   * master answers again.
   */
  private async reader(client: number, fs: FileSystem, kind: 'read' | 'stat'): Promise<void> {
    while (!this.stopping) {
      const a = this.acked.length ? this.acked[crypto.randomInt(this.acked.length)]! : undefined;
      if (!a) { await sleep(20); continue; }
      if (kind === 'read') {
        await this.op(client, 'read', a.path, async () => {
          const got = await fs.readAll(a.path);
          if (got.length !== a.bytes || sha256(got) !== a.sha256) throw new Error(`read ${got.length} bytes with sha256 ${sha256(got).slice(0, 12)}, acknowledged ${a.bytes} bytes with ${a.sha256.slice(0, 12)}`);
        });
      } else {
        await this.op(client, 'stat', a.path, async () => {
          const st = await fs.getStatus(a.path);
          if (!st.completed || st.length !== a.bytes) throw new Error(`status says length ${st.length}, completed ${st.completed}; acknowledged ${a.bytes} bytes`);
        });
      }
      if (!this.stopping) await sleep(kind === 'read' ? this.o.readPaceMs ?? 100 : this.o.statPaceMs ?? 50);
    }
  }

  async stop(): Promise<LoadSummary> {
    this.stopping = true;
    const stoppedAt = Date.now();
    await Promise.all(this.loops);
    for (const c of this.clients) c.close();
    return summarize(this.records, this.acked, { clients: this.o.clients, prefix: this.o.prefix, fileBytes: this.fileBytes, startedAt: this.startedAt, stoppedAt });
  }
}

export interface VerifyResult { checked: number; ok: number; bad: { path: string; error: string }[] }

/** Read back every acknowledged file with a fresh client and compare length and sha256. */
export async function verifyAcked(conf: Config, acked: readonly Acked[]): Promise<VerifyResult> {
  const fs = new FileSystem(conf);
  const bad: VerifyResult['bad'] = [];
  try {
    for (const a of acked) {
      try {
        const got = await fs.readAll(a.path);
        if (got.length !== a.bytes || sha256(got) !== a.sha256) bad.push({ path: a.path, error: `${got.length} bytes, sha256 ${sha256(got).slice(0, 12)}; acknowledged ${a.bytes} bytes, ${a.sha256.slice(0, 12)}` });
      } catch (e) {
        bad.push({ path: a.path, error: (e as Error).message });
      }
    }
  } finally {
    fs.close();
  }
  return { checked: acked.length, ok: acked.length - bad.length, bad };
}

// ---- on test hosts ------------------------------------------------------------------------------

export const LOAD_MAIN = path.join(ROOT, 'dist', 'test', 'harness', 'loadMain.js');

export interface HostLoad {
  /** The counts so far (undefined before the first status file). */
  status(): { ops: number; failed: number; acked: number } | undefined;
  /** Stop it (operations in flight complete) and return its summary. */
  stop(): Promise<LoadSummary>;
  /** Read back every acknowledged write (after stop). */
  verify(): Promise<VerifyResult>;
}

/**
 * Start loadMain in the control namespace of `hosts` (where the host names resolve), with the conf
 * of `confDir`, writing under /load/<name>; its files go to <hosts.dir>/load-<name>/.
 */
export function startHostLoad(hosts: TestHosts, confDir: string, name: string, o: { clients?: number; writePaceMs?: number; readPaceMs?: number; statPaceMs?: number } = {}): HostLoad {
  const dir = path.join(hosts.dir, `load-${name}`);
  fs.mkdirSync(dir);
  const f = (x: string) => path.join(dir, x);
  const env = { ALLUXIO_CONF_DIR: confDir };
  const done = hosts.runControl([process.execPath, LOAD_MAIN, 'run', '--clients', String(o.clients ?? 3), '--prefix', `/load/${name}`, '--out', f('summary.json'),
    '--status', f('status.json'), '--stop-file', f('stop'), '--write-pace', String(o.writePaceMs ?? 500), '--read-pace', String(o.readPaceMs ?? 100), '--stat-pace', String(o.statPaceMs ?? 50)],
  { env, timeoutMs: 3_600_000 });
  return {
    status() { try { return JSON.parse(fs.readFileSync(f('status.json'), 'utf8')); } catch { return undefined; } },
    async stop() {
      fs.writeFileSync(f('stop'), '');
      const r = await done;
      if (r.code !== 0) throw new Error(`the load exited ${r.code}: ${r.stderr}`);
      return JSON.parse(fs.readFileSync(f('summary.json'), 'utf8')) as LoadSummary;
    },
    async verify() {
      const r = await hosts.runControl([process.execPath, LOAD_MAIN, 'verify', '--in', f('summary.json'), '--out', f('verify.json')], { env, timeoutMs: 600_000 });
      if (r.code !== 0) throw new Error(`the verification exited ${r.code}: ${r.stderr}`);
      return JSON.parse(fs.readFileSync(f('verify.json'), 'utf8')) as VerifyResult;
    },
  };
}

/** The figures of a summary, for people: one line per kind, then the first failures. */
export function describeSummary(what: string, s: LoadSummary, maxFailures = 20): string {
  const k = (x: OpKind) => { const v = s.kinds[x]; return `${x}: ${v.ops} ops, ${v.failed} failed, longest pause ${v.longestPauseMs} ms at +${((v.longestPauseAt - s.startedAt) / 1000).toFixed(1)} s (median gap ${v.medianGapMs} ms), longest op ${v.longestOpMs} ms, p50/p90/p99 ${v.p50Ms}/${v.p90Ms}/${v.p99Ms} ms`; };
  return [
    `[${what}] ${s.ops} operations by ${s.clients} clients in ${((s.stoppedAt - s.startedAt) / 1000).toFixed(1)} s, ${s.failed} failed, ${s.acked.length} writes acknowledged`,
    ...OP_KINDS.map((x) => `  ${k(x)}`),
    ...s.failures.slice(0, maxFailures).map((x) => `  FAILED ${x.kind} ${x.path} at +${x.start - s.startedAt} ms after ${x.ms} ms: ${x.error}`),
  ].join('\n');
}
