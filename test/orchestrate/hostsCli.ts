/**
 * The CLI on SSH test hosts, as the HA end-to-end tests drive it (ha-e2e, zk-e2e): run it from the
 * control namespace, check exit codes (printing the masters' logs on failure), ask a master's info
 * directly, find the leader, wait with the masters' logs on a time-out. `hosts` and `confDir` are
 * read when called (the tests create them in `before`).
 */
import assert from 'node:assert/strict';
import { CLI, waitFor as harnessWaitFor } from '../harness/cluster.js';
import type { TestHosts } from '../harness/hosts.js';

export interface MasterInfoJson { isLeader: boolean; liveWorkers: unknown[]; leaderAddress: string; pid?: number }

export interface HostsCliOptions {
  /** waitFor's polling interval (default 200 ms). */
  everyMs?: number;
  /** More text for failure messages (e.g. ZooKeeper's log). */
  extraLogs?: () => string;
  /** Logs under /opt/alluxio/logs printed (their last 40 lines) per host on failure (default master.log). */
  logFiles?: readonly string[];
  /** run()'s default time-out (default 240 s). */
  runTimeoutMs?: number;
}

/** `masters`: the hosts whose logs a failure prints, and leaderNow's default candidates. */
export function hostsCli(get: () => { hosts: TestHosts; confDir: string }, masters: readonly string[], o: HostsCliOptions = {}) {
  const run = (args: string[], timeoutMs = o.runTimeoutMs ?? 240_000) =>
    get().hosts.runControl([process.execPath, CLI, ...args], { env: { ALLUXIO_CONF_DIR: get().confDir, NO_COLOR: '1' }, timeoutMs });
  const masterLogs = async () => {
    const parts: string[] = [];
    for (const h of masters) {
      for (const f of o.logFiles ?? ['master.log']) parts.push(`--- ${h} ${f}\n${(await get().hosts.run(h, ['sh', '-c', `tail -n 40 /opt/alluxio/logs/${f} 2>/dev/null`])).stdout}`);
    }
    return parts.join('\n');
  };
  const ok = async (r: { code: number; stdout: string; stderr: string }, code = 0) => {
    if (r.code !== code) assert.fail(`exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}\n${await masterLogs()}\n${o.extraLogs?.() ?? ''}--- hosts\n${get().hosts.logs()}`);
  };
  const info = async (h: string) => {
    const res = await fetch(`http://${get().hosts.host(h).ip}:19999/api/v1/master/info`, { signal: AbortSignal.timeout(2000) });
    return (await res.json()) as MasterInfoJson;
  };
  /** The master that leads now, asked directly (undefined when none answers as leader). */
  const leaderNow = async (among: readonly string[] = masters) => {
    for (const h of among) {
      try { if ((await info(h)).isLeader) return h; } catch { /* down */ }
    }
    return undefined;
  };
  /** The harness waitFor; a time-out adds the masters' logs. */
  const waitFor = <T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> =>
    harnessWaitFor(what, fn, ms, o.everyMs ?? 200).catch(async (e: Error) => assert.fail(`${e.message}\n${await masterLogs()}`));
  return { run, masterLogs, ok, info, leaderNow, waitFor };
}
