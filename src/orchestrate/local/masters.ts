/**
 * The masters this host runs. Usually one (`master.pid`, `master.log`, the configuration as it
 * is). When the embedded journal serves (`alluxio.master.journal.type=EMBEDDED` and
 * `alluxio.master.embedded.journal.addresses` lists several masters) and several of its entries
 * are this machine, each of those entries is a master of its own (a one-machine HA cluster):
 *
 * - entry i of the journal addresses (host:port) runs with
 *   `alluxio.master.embedded.journal.port` = its port,
 *   `alluxio.master.rpc.port` = the port of entry i of `alluxio.master.rpc.addresses` (which must
 *   list as many masters),
 *   `alluxio.master.web.port` = that rpc port + 1,
 *   `alluxio.master.journal.folder` = `<folder>/<journal port>`, and
 *   `alluxio.master.hostname` = the entry's host when the configured one would not make
 *   `<hostname>:<port>` an entry (the master's journal id must be listed);
 * - its pid file is `master-<journal port>.pid`, its log `master-<journal port>.log`.
 *
 * One local master keeps today's names and configuration exactly.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { splitHostPort, type Config } from '../../conf/index.js';
import { ConfigError } from '../../errors.js';
import { isLocalHost, type Resolver } from './hosts.js';
import type { ProcessRef } from './processes.js';

export interface MasterInstance extends ProcessRef {
  readonly kind: 'master';
  /** The embedded journal port this master uses. */
  readonly journalPort: number;
  /** Its position in alluxio.master.embedded.journal.addresses, when it is listed there. */
  readonly index?: number;
  /** The -D flags this master gets on top of the command's own (none for a single master). */
  readonly overrides: Readonly<Record<string, string>>;
  /** The configuration it runs with (`conf` with `overrides`). */
  readonly conf: Config;
}

export interface MasterLayout {
  /** The masters of this host, in the order of the journal addresses. */
  readonly instances: readonly MasterInstance[];
  /** The embedded journal's masters when the Raft journal serves (two or more), else empty. */
  readonly voters: readonly string[];
  /** How many of `voters` are this machine. */
  readonly localVoters: number;
}

/** True when the embedded (Raft) journal serves: several masters elect a leader. */
export function isHa(l: MasterLayout): boolean {
  return l.voters.length >= 2;
}

/** True when the masters of this host alone are a majority of the voters (they can elect a leader). */
export function localMajority(l: MasterLayout): boolean {
  return isHa(l) && l.localVoters * 2 > l.voters.length;
}


/** The master as configured, without overrides (today's single master). */
function singleMaster(conf: Config, index?: number): MasterInstance {
  return {
    kind: 'master', name: 'master', journalPort: conf.getPort('alluxio.master.embedded.journal.port'),
    ...(index !== undefined ? { index } : {}), overrides: {}, conf,
  };
}

const J = 'alluxio.master.embedded.journal.addresses';
const R = 'alluxio.master.rpc.addresses';

/**
 * The masters of this host (see the module comment). Throws ConfigError, listing every problem,
 * when several journal entries are this machine but their rpc and web ports cannot be derived
 * (rpc addresses missing or of another length, a port used twice).
 */
export async function masterLayout(conf: Config, resolve?: Resolver): Promise<MasterLayout> {
  const voters = conf.getEnum('alluxio.master.journal.type') === 'EMBEDDED' ? conf.getList(J) : [];
  if (voters.length < 2) return { instances: [singleMaster(conf)], voters: [], localVoters: 0 };
  const entries = voters.map(splitHostPort);
  const local = await Promise.all(entries.map((e) => isLocalHost(e.host, resolve)));
  const localIdx = local.flatMap((l, i) => (l ? [i] : []));
  if (localIdx.length <= 1) return { instances: [singleMaster(conf, localIdx[0])], voters, localVoters: localIdx.length };

  const rpc = conf.getList(R);
  if (rpc.length !== voters.length) {
    throw new ConfigError(
      `${J} lists ${localIdx.length} masters on this host (${localIdx.map((i) => voters[i]).join(', ')}), so ${R} must list the rpc address of every master in the same order, `
      + `but it lists ${rpc.length === 0 ? 'none' : `${rpc.length} (${rpc.join(', ')}) for ${voters.length} journal addresses`}`,
      { hint: `set ${R} to ${voters.length} host:port entries, entry i being the rpc address of the master of entry i of ${J}; each master's web port is its rpc port + 1` },
    );
  }
  const problems: string[] = [];
  const folder = conf.get('alluxio.master.journal.folder');
  const configuredHost = conf.get('alluxio.master.hostname') || os.hostname();
  const instances: MasterInstance[] = [];
  const used = new Map<number, string>();
  const claim = (port: number, what: string) => {
    const prev = used.get(port);
    if (prev !== undefined) problems.push(`port ${port} is used twice on this host: ${prev} and ${what}`);
    else used.set(port, what);
  };
  const rpcLocal = await Promise.all(localIdx.map((i) => isLocalHost(splitHostPort(rpc[i]!).host, resolve)));
  localIdx.forEach((i, k) => {
    const { host, port: journalPort } = entries[i]!;
    const rpcPort = splitHostPort(rpc[i]!).port;
    const webPort = rpcPort + 1;
    if (!rpcLocal[k]) problems.push(`entry ${i + 1} of ${J} (${voters[i]}) is this host, but entry ${i + 1} of ${R} (${rpc[i]}) is not`);
    if (webPort > 65535) problems.push(`the master of ${voters[i]} would get web port ${webPort} (its rpc port ${rpcPort} + 1), which is not a valid port`);
    claim(journalPort, `the journal port of ${voters[i]} (${J})`);
    claim(rpcPort, `the rpc port of ${voters[i]} (entry ${i + 1} of ${R})`);
    claim(webPort, `the web port of ${voters[i]} (its rpc port + 1, alluxio.master.web.port)`);
    const overrides: Record<string, string> = {
      'alluxio.master.embedded.journal.port': String(journalPort),
      'alluxio.master.rpc.port': String(rpcPort),
      'alluxio.master.web.port': String(webPort),
      'alluxio.master.journal.folder': path.join(folder, String(journalPort)),
    };
    if (!voters.includes(`${configuredHost}:${journalPort}`)) overrides['alluxio.master.hostname'] = host;
    instances.push({ kind: 'master', name: `master-${journalPort}`, journalPort, index: i, overrides, conf });
  });
  for (const key of ['alluxio.worker.rpc.port', 'alluxio.worker.web.port']) {
    const p = conf.getPort(key);
    if (used.has(p)) problems.push(`port ${p} is used twice on this host: ${used.get(p)} and the worker (${key})`);
  }
  if (problems.length) {
    throw new ConfigError(problems, { hint: `give every master of this host its own journal port (${J}) and rpc port (${R}); the web port is the rpc port + 1, so leave a gap of at least 2 between rpc ports` });
  }
  return {
    instances: instances.map((m) => ({ ...m, conf: conf.with(m.overrides, 'SYSTEM_PROPERTY') })),
    voters,
    localVoters: localIdx.length,
  };
}

/**
 * Names of the master pid files in the run dir (`master.pid`, `master-<port>.pid`, by port), so
 * that stop and format also see masters started under another configuration.
 */
export function masterPidNames(conf: Config): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(conf.get('alluxio.run.dir'));
  } catch {
    return [];
  }
  const port = (n: string) => Number(/^master-(\d+)$/.exec(n)?.[1] ?? -1);
  return names.flatMap((n) => {
    const m = /^(master(?:-\d{1,5})?)\.pid$/.exec(n);
    return m ? [m[1]!] : [];
  }).sort((a, b) => port(a) - port(b));
}

/**
 * The masters to stop, or to look for before a format: every `master*.pid` of the run dir (so a
 * master started under another configuration is not forgotten), or `master` when there is none.
 * Pid files, not the configuration, say what runs.
 */
export function masterRefsFromPidFiles(conf: Config): ProcessRef[] {
  const names = masterPidNames(conf);
  return (names.length ? names : ['master']).map((name) => ({ kind: 'master', name }));
}

const layoutCache = new WeakMap<Config, Promise<MasterLayout>>();

/** {@link masterLayout} computed once per configuration (a command asks several times). */
export function cachedMasterLayout(conf: Config): Promise<MasterLayout> {
  let p = layoutCache.get(conf);
  if (!p) {
    p = masterLayout(conf);
    layoutCache.set(conf, p);
  }
  return p;
}
