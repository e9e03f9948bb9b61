/**
 * Host side of `alluxio diffConf` (protocol step `configProbe`): this host's running servers'
 * effective configuration (each answers `/api/v1/<kind>/config`: `{configHash, properties}`)
 * against what a conf dir sent by the controller would give them here, evaluated with this host's
 * environment and host-dependent defaults (hostname, the masters of its journal layout). The sent
 * conf dir is read from a temporary directory; this host's conf/ is never touched.
 */
import { loadConfig, type Config } from '../../conf/index.js';
import { configHash, effectiveProperties } from '../../conf/effective.js';
import { INSTALL_ROOT } from '../../conf/installRoot.js';
import type { ConfigDiff, ConfigProbeResult, ConfigProcess } from '../protocol.js';
import { masterLayout, masterPidNames } from './masters.js';
import {
  cmdlineMatches, defaultFetchJson, describeFetchError, isAlive, pidFile, readinessUrl, readPidFile, type JsonFetcher, type ProcessKind, type ProcessMatcher,
} from './processes.js';

export interface ConfigProbeOptions {
  /** The host's configuration as it is (finds the running processes and their web ports). */
  hostConf: Config;
  /** A directory holding the sent conf files (alluxio-site.properties, masters, workers...). */
  sentConfDir: string;
  /** Which processes to report. */
  kinds: readonly ProcessKind[];
  /** The command's -D flags (the sent conf is evaluated with them, as a start would). */
  flags: Readonly<Record<string, string>>;
  env?: NodeJS.ProcessEnv;
  fetchJson?: JsonFetcher;
  matches?: ProcessMatcher;
}

/** The keys whose values differ between `old` and `next`, in key order (a key absent on one side is ''). */
export function diffProperties(old: Readonly<Record<string, string>>, next: Readonly<Record<string, string>>): ConfigDiff[] {
  const keys = [...new Set([...Object.keys(old), ...Object.keys(next)])].sort();
  return keys.flatMap((key) => {
    const o = old[key] ?? '';
    const n = next[key] ?? '';
    return o === n ? [] : [{ key, old: o, new: n }];
  });
}

/** The sent conf as this host would load it: its environment and flags, but the sent directory instead of its conf dir. */
export function loadSentConf(sentConfDir: string, flags: Readonly<Record<string, string>>, env: NodeJS.ProcessEnv): Config {
  const { ALLUXIO_CONF_DIR: _ignored, ...rest } = env;
  const { 'alluxio.conf.dir': _flag, ...f } = flags;
  return loadConfig({ flags: f, env: rest, home: INSTALL_ROOT, confDir: sentConfDir });
}

export async function configProbe(o: ConfigProbeOptions): Promise<ConfigProbeResult> {
  const fetchJson = o.fetchJson ?? defaultFetchJson;
  const sent = loadSentConf(o.sentConfDir, o.flags, o.env ?? process.env);
  // The sent files would be installed as this host's conf dir: that is the value its processes would see.
  const confDirValue = o.hostConf.get('alluxio.conf.dir');
  const expectedOf = (c: Config) => ({ ...effectiveProperties(c), 'alluxio.conf.dir': confDirValue });
  const processes: ConfigProcess[] = [];
  const matches = o.matches ?? cmdlineMatches;

  const compare = async (kind: ProcessKind, name: string, runConf: Config | undefined, expectedConf: Config | undefined): Promise<ConfigProcess> => {
    // Read-only (status() would remove a stale pid file): alive and our server of this kind.
    const pid = readPidFile(pidFile(o.hostConf, { kind, name }));
    const p: ConfigProcess = { kind, name, running: pid !== undefined && isAlive(pid) && matches(pid, kind) };
    if (!p.running) return p;
    p.pid = pid!;
    if (!runConf) return { ...p, error: `its web port is unknown: neither this host's configuration nor the sent one has a ${name}` };
    const url = readinessUrl(runConf, kind).replace(/\/info$/, '/config');
    let running: { configHash: string; properties: Record<string, string> };
    try {
      const j = await fetchJson(url, 5_000) as Record<string, unknown>;
      if (typeof j?.configHash !== 'string' || typeof j.properties !== 'object' || j.properties === null) throw new Error('the answer has no configHash and properties');
      running = j as typeof running;
    } catch (e) {
      return { ...p, error: `${url} did not answer: ${describeFetchError(e)}` };
    }
    if (!expectedConf) return { ...p, error: `the sent configuration has no ${name} on this host` };
    const expected = expectedOf(expectedConf);
    return { ...p, configHash: running.configHash, expectedHash: configHash(expected), diff: diffProperties(running.properties, expected) };
  };

  if (o.kinds.includes('master')) {
    const [now, next] = await Promise.all([masterLayout(o.hostConf), masterLayout(sent)]);
    const names = [...new Set([...next.instances.map((m) => m.name), ...masterPidNames(o.hostConf)])];
    for (const name of names) {
      const runConf = now.instances.find((m) => m.name === name)?.conf ?? next.instances.find((m) => m.name === name)?.conf;
      processes.push(await compare('master', name, runConf, next.instances.find((m) => m.name === name)?.conf));
    }
  }
  if (o.kinds.includes('worker')) processes.push(await compare('worker', 'worker', o.hostConf, sent));
  return { processes };
}
