/**
 * `alluxio diffConf [masters|workers|all]` (controller side): for every host, each running
 * server's effective configuration against what this machine's conf/ would give it there. The
 * conf dir's files go to the host on stdin (a gzip'd tar, as the push sends them) and the host's
 * own CLI evaluates them in a temporary directory (protocol step `configProbe`,
 * src/orchestrate/local/configProbe.ts); the controller reads only the replies. A report: it
 * changes nothing anywhere (no push, no lock), exits 0 with or without differences, 1 when a
 * host could not be asked.
 */
import fs from 'node:fs';
import path from 'node:path';
import { findSpec, scopeIncludes, scopeOf, type PropertyScope } from '../conf/schema.js';
import { HostError } from '../errors.js';
import type { ClusterSession } from './cluster.js';
import { roles, union, type Targets } from './clusterOps.js';
import { tarBuffer } from './install.js';
import { replyError, type ConfigProcess, type ProcessKind } from './protocol.js';
import { fanOut } from './runner.js';

/** A differing key with who reads it. */
export interface ScopedDiff { key: string; old: string; new: string; scope: PropertyScope; affects: ProcessKind[] }

export interface ProcessDiff extends Omit<ConfigProcess, 'diff'> {
  diff?: ScopedDiff[];
  /** A key it reads differs: it must restart to use the new conf. */
  restart: boolean;
}

export interface HostDiff { host: string; processes: ProcessDiff[] }

const KINDS: readonly ProcessKind[] = ['master', 'worker'];

/** The scope of a key (ALL for a key the schema does not know) and the server kinds it affects. */
export function keyScope(key: string): { scope: PropertyScope; affects: ProcessKind[] } {
  const spec = findSpec(key);
  const scope = spec ? scopeOf(spec) : 'ALL';
  return { scope, affects: KINDS.filter((k) => scopeIncludes(scope, k)) };
}

/** One process's reply with scopes: it restarts when a key read by its kind differs. */
export function scopeProcess(p: ConfigProcess): ProcessDiff {
  const { diff, ...rest } = p;
  if (!diff) return { ...rest, restart: false };
  const scoped = diff.map((d) => ({ ...d, ...keyScope(d.key) }));
  return { ...rest, diff: scoped, restart: scoped.some((d) => d.affects.includes(p.kind)) };
}

/** What a key change means, seen from a process of `kind`. */
function effect(d: ScopedDiff, kind: ProcessKind): string {
  if (!d.affects.length) return `${d.scope}: clients only: no restart needed`;
  const who = d.affects.map((k) => `${k}s`).join(' and ');
  return d.affects.includes(kind) ? `${d.scope}: restart ${who}` : `${d.scope}: ${who} only: no restart of this ${kind}`;
}

const show = (v: string) => (v === '' ? '(empty)' : v);

/** The lines of one host: per process its state, then each differing key. */
export function hostLines(h: HostDiff): { head: string; keys: string[] }[] {
  return h.processes.map((p) => {
    if (!p.running) return { head: `${p.name}: not running`, keys: [] };
    if (p.error !== undefined) return { head: `${p.name}: cannot compare: ${p.error}`, keys: [] };
    const n = p.diff?.length ?? 0;
    if (!n) return { head: `${p.name}: no differences`, keys: [] };
    return {
      head: `${p.name}: ${n} key${n === 1 ? '' : 's'} differ${n === 1 ? 's' : ''}${p.restart ? ' (restart needed)' : ' (no restart needed)'}`,
      keys: p.diff!.map((d) => `  ${d.key}: ${show(d.old)} -> ${show(d.new)} (${effect(d, p.kind)})`),
    };
  });
}

export async function clusterDiffConf(s: ClusterSession, what: Targets): Promise<number> {
  const { diffs, restart } = await showDiffs(s, what);
  return s.rep.finish({ hosts: diffs, restart });
}

/**
 * Ask every host (configProbe) and print the differences per host and process; the caller
 * finishes the report (diffConf) or goes on (rollingRestart). `restart`: "host name" of each
 * process that must restart.
 */
export async function showDiffs(s: ClusterSession, what: Targets): Promise<{ diffs: HostDiff[]; restart: string[] }> {
  const r = roles(s, what);
  const hosts = union(r.masters, r.workers);
  const reachable = await s.checkHosts(hosts, { facts: () => false });
  const dir = s.conf.confDir;
  const tar = await tarBuffer(dir, fs.readdirSync(dir).filter((n) => fs.statSync(path.join(dir, n)).isFile()));
  s.rep.phase('Comparing configuration');
  const results = await fanOut(reachable, s.opts.parallel, async (host) => {
    if (!s.installCurrent(host)) {
      throw new HostError(host, `the install in ${s.home} is not this one, so it cannot evaluate this conf (diffConf pushes nothing)`, {
        hint: 'push the install first (alluxio-start.sh or alluxio format push it), then rerun diffConf',
      });
    }
    const kinds = [...(r.masters.includes(host) ? ['master'] : []), ...(r.workers.includes(host) ? ['worker'] : [])];
    const reply = await s.runStep(host, 'configProbe', ['configProbe', ...kinds], 60_000, tar);
    if (!reply.ok) throw replyError(reply.error, host);
    const h: HostDiff = { host, processes: reply.result.processes.map(scopeProcess) };
    const restart = h.processes.filter((p) => p.restart).map((p) => p.name);
    const differ = h.processes.filter((p) => p.diff?.length).map((p) => p.name);
    const detail = restart.length ? `restart needed: ${restart.join(', ')}`
      : differ.length ? `differences, no restart needed (${differ.join(', ')})` : 'no differences';
    return { detail, value: h };
  });
  const diffs = results.flatMap((x) => (x.value ? [x.value] : []));
  for (const h of diffs) {
    for (const { head, keys } of hostLines(h)) {
      s.rep.host(h.host, head);
      for (const k of keys) s.rep.info(k);
    }
  }
  s.rep.record('diffConf', results);
  const restart = diffs.flatMap((h) => h.processes.filter((p) => p.restart).map((p) => `${h.host} ${p.name}`));
  const any = diffs.some((h) => h.processes.some((p) => p.diff?.length));
  const failed = s.rep.failedHosts().length;
  const onAnswered = failed ? ` on the hosts that answered (${failed} host(s) could not be asked)` : '';
  s.rep.info('');
  if (restart.length) s.rep.info(`Would need a restart: ${restart.join(', ')}`);
  else if (any) s.rep.info(`No restart needed${onAnswered}: only keys the running servers do not read differ (clients read the new values)`);
  else s.rep.info(failed ? `No differences${onAnswered}` : 'No differences: every running process uses what conf/ gives it');
  return { diffs, restart };
}
