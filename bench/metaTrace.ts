/**
 * bench:meta --cost helpers: the timeline of each createFile through the leader and the
 * followers (from the masters' journal traces, src/journal/raft/trace.ts) and system calls per
 * request (strace -c on the leader and a follower over the measured requests).
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

type Rec = [stage: string, index: number, ns: number];

function readTrace(dir: string, pid: number): Rec[] {
  const file = path.join(dir, `trace-${pid}.jsonl`);
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => {
    const [s, i, ns] = JSON.parse(l.replace(/,(\d+)\]$/, ',"$1"]')) as [string, number, string];
    return [s, i, Number(ns)];
  });
}

const median = (xs: number[]) => xs.length ? [...xs].sort((a, b) => a - b)[xs.length >> 1]! : NaN;

/**
 * Per request (1 in flight: `client` holds each request's send and reply stamps, ns), the medians
 * of each leg of the critical path, in µs. The follower that acknowledged first is the one on the
 * path (the leader commits with the first acknowledgement: 2 of 3).
 */
export function timeline(dir: string, client: [number, number][], leaderPid: number, followerPids: number[]): string[] {
  const leader = readTrace(dir, leaderPid);
  const followers = followerPids.map((p) => readTrace(dir, p));
  // Per process and stage, the records in time order; `first`: the first at or after `after` for `index` or later.
  const stages = (recs: Rec[]) => {
    const m = new Map<string, Rec[]>();
    for (const r of recs) { let l = m.get(r[0]); if (!l) m.set(r[0], l = []); l.push(r); }
    return m;
  };
  const lead = stages(leader);
  const fols = followers.map(stages);
  const first = (m: Map<string, Rec[]>, stage: string, index: number, after: number) => {
    const l = m.get(stage) ?? [];
    let lo = 0; let hi = l.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (l[mid]![2] < after) lo = mid + 1; else hi = mid; }
    for (let i = lo; i < l.length && i < lo + 64; i++) if (l[i]![1] >= index) return l[i]![2];
    return undefined;
  };
  // Index records by stage for the leader (requests are in time order, so scan forward).
  const legs = new Map<string, number[]>();
  const add = (name: string, a: number | undefined, b: number | undefined) => {
    if (a === undefined || b === undefined) return;
    legs.set(name, [...(legs.get(name) ?? []), (b - a) / 1000]);
  };
  const waited = { n: 0, own: 0, late: [] as number[], applied: 0, ahead: 0 };
  const order = { n: 0, last: 0, gap: [] as number[] };
  const recv = lead.get('recv') ?? [];
  const propose = lead.get('propose') ?? [];
  let ri = 0; let pi = 0;
  for (const [send, reply] of client) {
    while (ri < recv.length && recv[ri]![2] < send) ri++;
    while (pi < propose.length && propose[pi]![2] < send) pi++;
    const r = recv[ri]; const p = propose[pi];
    if (!r || !p || r[2] > reply || p[2] > reply) continue;
    const idx = p[1];
    const lSend = first(lead, 'send', idx, p[2]);
    const lWrite = first(lead, 'write', idx, p[2]);
    const lSaved = first(lead, 'saved', idx, p[2]);
    const ack = first(lead, 'ack', idx, p[2]);
    const apply = first(lead, 'apply', idx, p[2]);
    // The follower whose acknowledgement came first.
    let best: { append?: number; write?: number; saved?: number; acksent?: number } | undefined;
    for (const f of fols) {
      const acksent = first(f, 'acksent', idx, p[2]);
      if (acksent === undefined || (best?.acksent !== undefined && best.acksent <= acksent)) continue;
      best = { append: first(f, 'append', idx, p[2]), write: first(f, 'write', idx, p[2]), saved: first(f, 'saved', idx, p[2]), acksent };
    }
    add('total (client send -> reply)', send, reply);
    add('client send -> leader handler', send, r[2]);
    add('leader handler -> propose', r[2], p[2]);
    add('propose -> appends handed to transport', p[2], lSend);
    add('leader: appends handed -> own write starts', lSend, lWrite);
    add('leader: own write (in parallel)', lWrite, lSaved);
    add('appends handed -> follower receives', lSend, best?.append);
    add('follower: receive -> write starts', best?.append, best?.write);
    add('follower: write (O_DSYNC)', best?.write, best?.saved);
    add('follower: write done -> ack handed', best?.saved, best?.acksent);
    add('ack handed -> leader receives ack', best?.acksent, ack);
    add('leader: ack -> applied and answered', ack, apply);
    add('leader answered -> client has reply', apply, reply);
    if (lWrite !== undefined && best?.write !== undefined) { order.n++; if (lWrite > best.write) order.last++; order.gap.push((lWrite - best.write) / 1000); }
    if (lSaved !== undefined && ack !== undefined) {
      waited.n++;
      if (lSaved > ack) { waited.own++; waited.late.push((lSaved - ack) / 1000); }
      // Applied (the caller answered) before the leader's own write was durable: the followers'
      // copies committed it (core.ts, "Leader's own write").
      if (apply !== undefined) { waited.applied++; if (apply < lSaved) waited.ahead++; }
    }
  }
  const out = waited.n ? [`the leader's own write finished after the first acknowledgement in ${(100 * waited.own / waited.n).toFixed(0)}% of the requests (by ${median(waited.late).toFixed(0)} µs, median)`] : [];
  if (waited.applied) out.push(`applied and answered before the leader's own write was durable in ${(100 * waited.ahead / waited.applied).toFixed(0)}% of the requests`);
  if (order.n) out.push(`the leader's own write started after the (first acknowledging) follower's in ${(100 * order.last / order.n).toFixed(0)}% of the requests (leader's start minus follower's, median ${median(order.gap).toFixed(0)} µs)`);
  out.push(`timeline of ${legs.get('total (client send -> reply)')?.length ?? 0} createFiles (µs):`);
  for (const [name, xs] of legs) out.push(`  ${name.padEnd(44)} ${median(xs).toFixed(0).padStart(6)}  mean ${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(0).padStart(6)}`);
  return out;
}

/** strace -c -f attached to `pid` until stop(): system calls by name. */
export function straceCount(pid: number, file: string): { stop(): Promise<Map<string, number>> } | undefined {
  if (spawnSync('strace', ['-V']).status !== 0) return undefined;
  const p: ChildProcess = spawn('strace', ['-c', '-f', '-q', '-o', file, '-p', String(pid)], { stdio: 'ignore' });
  return {
    stop: async () => {
      const done = new Promise((r) => p.once('exit', r));
      p.kill('SIGINT');
      await done;
      const calls = new Map<string, number>();
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        // % time, seconds, usecs/call, calls, [errors,] syscall
        const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$/.exec(line);
        if (m && m[2] !== 'total') calls.set(m[2]!, Number(m[1]));
      }
      return calls;
    },
  };
}
