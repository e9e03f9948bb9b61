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

export function hostsCli(get: () => { hosts: TestHosts; confDir: string }, masters: readonly string[], o: { everyMs?: number; extraLogs?: () => string } = {}) {
  const run = (args: string[], timeoutMs = 240_000) =>
    get().hosts.runControl([process.execPath, CLI, ...args], { env: { ALLUXIO_CONF_DIR: get().confDir, NO_COLOR: '1' }, timeoutMs });
  const masterLogs = async () => {
    const parts: string[] = [];
    for (const h of masters) parts.push(`--- ${h} master.log\n${(await get().hosts.run(h, ['sh', '-c', 'tail -n 40 /opt/alluxio/logs/master.log 2>/dev/null'])).stdout}`);
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
