/**
 * `alluxio validateEnv`: can this cluster run here? Per host: SSH, node 20+, clock skew, name
 * resolution of every other host, free ports, writable directories, passwordless sudo when
 * SudoMount is planned; in ZooKeeper mode, ZooKeeper from every master host and the shared
 * journal folder (checkZkMode). A table of every check; non-zero exit when any check failed.
 */
import type { ClusterSession } from './cluster.js';
import { tail } from './cluster.js';
import { fanOut, type HostResult, type HostStatus } from './runner.js';
import * as b from './builders/remote.js';
import { HostError } from '../errors.js';
import type { MountMode } from './local/mount.js';
import { replyError, type SharedJournalResult } from './protocol.js';

/** Clock difference (after subtracting half the round trip) above which a host fails. */
export const MAX_CLOCK_SKEW_MS = 1000;

export const CHECKS = [
  ['ssh.reachable', 'the host answers over SSH (key authentication, known host key)'],
  ['node.version', 'Node.js 20 or newer is on the PATH of a non-interactive session'],
  ['clock.skew', `the clock is within ${MAX_CLOCK_SKEW_MS} ms of this host's`],
  ['hosts.resolve', 'every host of conf/masters and conf/workers resolves on this host'],
  ['master.rpc.port.available', 'alluxio.master.rpc.port is free (masters)'],
  ['master.web.port.available', 'alluxio.master.web.port is free (masters)'],
  ['worker.rpc.port.available', 'alluxio.worker.rpc.port is free (workers)'],
  ['worker.web.port.available', 'alluxio.worker.web.port is free (workers)'],
  ['*.dir.writable', 'alluxio.home, logs, run, journal (masters) and tier directories (workers) can be written'],
  ['sudo', 'sudo -n true works (workers, with --mount SudoMount)'],
  ['zookeeper', 'ZooKeeper mode: every member of alluxio.zookeeper.address answers from each master host (a session opens)'],
  ['journal.shared', 'ZooKeeper mode: alluxio.master.journal.folder is the same storage on every master (a marker one writes, the others see)'],
] as const;

export async function validateEnv(s: ClusterSession, what: 'all' | 'masters' | 'workers', o: { mountMode?: MountMode }): Promise<number> {
  const masters = what === 'workers' ? [] : s.masters;
  const workers = what === 'masters' ? [] : s.workers;
  const hosts = [...new Set([...masters, ...workers])];
  const reachable = await s.checkHosts(hosts);
  const skew: HostResult[] = reachable.map((host) => {
    const ms = Math.round(s.basics.get(host)!.skewMs);
    const ok = Math.abs(ms) <= MAX_CLOCK_SKEW_MS;
    const e = ok ? undefined : new HostError(host, `clock differs from this host's by ${ms} ms`, { hint: 'run a time service (chrony or systemd-timesyncd) on every host' });
    return { host, status: (ok ? 'ok' : 'failed') as HostStatus, detail: `clock skew ${ms} ms`, ms: 0, ...(e ? { error: e } : {}) };
  });
  s.rep.record('clock.skew', skew);

  s.rep.phase('Checking name resolution, ports and directories');
  const everyone = s.allHosts;
  const resolve = await fanOut(reachable, s.opts.parallel, async (host) => {
    const r = await s.exec.run(host, b.resolveNames(everyone), { timeoutMs: 30_000 });
    const found = new Set(r.stdout.trim().split('\n').filter(Boolean).map((l) => l.split(' ')[0]));
    const missing = everyone.filter((h) => !found.has(h));
    if (missing.length) throw new HostError(host, `cannot resolve ${missing.join(', ')}`, { hint: `add them to /etc/hosts or DNS on ${host}` });
    return { detail: `resolves all ${everyone.length} hosts` };
  });
  s.rep.record('hosts.resolve', resolve);

  const c = s.conf;
  const checks = new Map<string, HostResult[]>();
  await fanOut(reachable, s.opts.parallel, async (host) => {
    const isMaster = masters.includes(host), isWorker = workers.includes(host);
    const ports: [string, number][] = [];
    const dirs: [string, string][] = [['home.dir.writable', c.get('alluxio.home')], ['logs.dir.writable', c.get('alluxio.logs.dir')], ['run.dir.writable', c.get('alluxio.run.dir')]];
    if (isMaster) {
      ports.push(['master.rpc.port.available', c.getPort('alluxio.master.rpc.port')], ['master.web.port.available', c.getPort('alluxio.master.web.port')]);
      dirs.push(['journal.dir.writable', c.get('alluxio.master.journal.folder')]);
    }
    if (isWorker) {
      ports.push(['worker.rpc.port.available', c.getPort('alluxio.worker.rpc.port')], ['worker.web.port.available', c.getPort('alluxio.worker.web.port')]);
      const levels = c.getInt('alluxio.worker.tieredstore.levels');
      for (let i = 0; i < levels; i++) for (const d of c.getList(`alluxio.worker.tieredstore.level${i}.dirs.path`)) dirs.push([`tier${i}.dir.writable`, d]);
    }
    const r = await s.exec.run(host, b.envChecks({ ports, dirs, sudo: isWorker && o.mountMode === 'SudoMount' }), { timeoutMs: 30_000 });
    if (r.code !== 0) throw new HostError(host, `environment checks failed to run (exit ${r.code}): ${tail(r)}`);
    for (const x of JSON.parse(r.stdout.trim().split('\n').pop()!) as { check: string; ok: boolean; detail: string }[]) {
      const list = checks.get(x.check) ?? [];
      const hint = x.ok ? undefined : x.check === 'sudo' ? 'allow passwordless sudo for mount/umount/mkdir/chmod (docs/processes.md), or mount the ramdisk and use NoMount'
        : x.check.endsWith('port.available') ? 'another process (maybe an Alluxio server already running: alluxio-stop.sh all) holds it; or change the port in alluxio-site.properties'
          : 'fix the permissions or point the property at a writable directory';
      list.push({ host, status: x.ok ? 'ok' : 'failed', detail: x.detail, ms: 0, ...(hint ? { error: new HostError(host, x.detail, { hint }) } : {}) });
      checks.set(x.check, list);
    }
    return { detail: 'checked' };
  }).then((res) => { const failed = res.filter((r) => r.status === 'failed'); if (failed.length) s.rep.record('env.checks', failed); });
  for (const [name, results] of checks) s.rep.record(name, results);
  await checkZkMode(s, masters.filter((h) => reachable.includes(h)), { skip: masters.filter((h) => reachable.includes(h) && !s.installCurrent(h)) });
  return s.rep.finish();
}

// ---- ZooKeeper mode -----------------------------------------------------------------------------

/** The reply of a sharedJournal step, or its typed error thrown. */
async function sharedStep(s: ClusterSession, host: string, args: string[]): Promise<SharedJournalResult> {
  // The keys the step reads, as this machine's conf/ says (the host's conf may not be pushed yet).
  const keys = ['alluxio.master.journal.folder', 'alluxio.zookeeper.address', 'alluxio.zookeeper.connection.timeout'];
  const reply = await s.runStep(host, 'sharedJournal', ['sharedJournal', ...args, ...keys.map((k) => `-D${k}=${s.conf.get(k)}`)], 60_000);
  if (!reply.ok) throw replyError(reply.error, host);
  return reply.result;
}

/**
 * ZooKeeper mode, before masters start (validateEnv, alluxio-start.sh): from every master host,
 * every member of alluxio.zookeeper.address answers (row `zookeeper`: a host fails when fewer
 * than a majority of the members answer it, naming each member and why); and the journal folder
 * is the same storage on every master host (row `journal.shared`: the first master writes a
 * marker, each other master must see it; a host that does not fails naming the folder and the
 * writer, with a hint about shared storage). Hosts must run the current install (the step is its
 * CLI's); `skip` names the hosts that do not, reported as skipped. Returns whether every check
 * passed.
 */
export async function checkZkMode(s: ClusterSession, masters: readonly string[], o: { skip?: readonly string[] } = {}): Promise<boolean> {
  if (!s.zkHa || !masters.length) return true;
  const skip = new Set(o.skip ?? []);
  const hosts = masters.filter((h) => !skip.has(h));
  const skipped: HostResult[] = [...skip].filter((h) => masters.includes(h)).map((host) => ({ host, status: 'skipped', detail: 'its install is not this one: the check is its CLI\'s (alluxio format or alluxio-start.sh pushes it; start checks again)', ms: 0 }));
  const ensemble = s.conf.getList('alluxio.zookeeper.address').join(',');
  s.rep.phase(`Checking ZooKeeper (${ensemble}) from every master host`);
  const zk = await fanOut(hosts, s.opts.parallel, async (host) => {
    const members = (await sharedStep(s, host, ['zk'])).members ?? [];
    const ok = members.filter((m) => m.ok);
    const bad = members.filter((m) => !m.ok).map((m) => `${m.address}: ${m.error ?? 'no answer'}`);
    if (ok.length * 2 <= members.length) {
      throw new HostError(host, `ZooKeeper (alluxio.zookeeper.address=${ensemble}) does not answer from ${host}: ${bad.join('; ')}`, {
        hint: `check that the ensemble runs and that ${host} reaches it (firewall, name resolution, the client port); the masters elect their leader through it`,
      });
    }
    const slowest = Math.max(...ok.map((m) => m.ms));
    return { detail: `${ok.length} of ${members.length} ZooKeeper member(s) answer (slowest ${slowest} ms)${bad.length ? `; not answering: ${bad.join('; ')}` : ''}` };
  });
  s.rep.record('zookeeper', [...zk, ...skipped]);
  let passed = zk.every((r) => r.status !== 'failed');
  if (hosts.length < 2) return passed;
  const folder = s.conf.get('alluxio.master.journal.folder');
  s.rep.phase(`Checking that ${folder} is the same storage on every master host`);
  const [writer, ...readers] = hosts as [string, ...string[]];
  let token: string | undefined;
  try {
    token = (await sharedStep(s, writer, ['write'])).token!;
  } catch (e) {
    s.rep.record('journal.shared', [{ host: writer, status: 'failed', detail: `could not write a marker into ${folder}`, ms: 0, error: e as Error }]);
    return false;
  }
  const seen = await fanOut(readers, s.opts.parallel, async (host) => {
    await sharedStep(s, host, ['check', token!, writer]);
    return { detail: `sees the marker ${writer} wrote into ${folder}` };
  });
  await sharedStep(s, writer, ['remove', token]).catch((e: Error) => s.rep.warn(`[${writer}] could not remove the same-storage marker from ${folder}: ${e.message}`));
  const notShared = seen.filter((r) => r.status === 'failed').map((r) => r.host);
  if (notShared.length) {
    passed = false;
    s.rep.warn(`${folder} (alluxio.master.journal.folder) is not the same storage on ${writer} and ${notShared.join(', ')}: in ZooKeeper mode every master must use one shared folder (an NFS or cluster file system mount), not a local directory of the same name`);
  }
  s.rep.record('journal.shared', [{ host: writer, status: 'ok', detail: `wrote a marker into ${folder}`, ms: 0 }, ...seen, ...skipped]);
  return passed;
}
