/**
 * `alluxio mount Mount|SudoMount|Umount|SudoUmount [local|workers]` (bin/alluxio-mount.sh
 * forwards here): the worker ramdisk of this host, or of every host of conf/workers.
 */
import os from 'node:os';
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { usageFailure } from './errorOutput.js';
import { HostError, UsageError } from '../errors.js';
import { CLUSTER_OPTIONS_HELP, lineSplitter, parseClusterOptions, tail, type ClusterSession } from '../orchestrate/cluster.js';
import { fanOut } from '../orchestrate/runner.js';
import { alluxio } from '../orchestrate/builders/remote.js';
import { mountRamdisk, unmountRamdisk, type UnmountMode } from '../orchestrate/local/mount.js';
import { status } from '../orchestrate/local/processes.js';
import { withCluster } from './cluster.js';

export const MOUNT_ACTIONS = ['Mount', 'SudoMount', 'Umount', 'SudoUmount'] as const;
export type MountAction = (typeof MOUNT_ACTIONS)[number];
export const MOUNT_MACHINES = ['local', 'workers'] as const;
export type MountMachine = (typeof MOUNT_MACHINES)[number];

export const MOUNT_USAGE = `Usage: alluxio-mount.sh [Mount|SudoMount|Umount|SudoUmount] [MACHINE]
       (same as: alluxio mount ACTION [MACHINE])
ACTION:
  Mount       Mount a tmpfs of alluxio.worker.ramdisk.size at each MEM tier directory
              (alluxio.worker.tieredstore.level0.dirs.path) that is not mounted yet; needs root.
  SudoMount   The same through passwordless sudo (sudo -n); fails at once if sudo would prompt.
  Umount      Unmount each MEM tier directory that is a tmpfs/ramfs mount of its own
              (Unmounting <dir>); needs root. Its contents are gone afterwards: save them first
              with alluxio-stop.sh worker -c <dir>. Refused while a worker runs on the host.
  SudoUmount  The same through passwordless sudo.
MACHINE:
  local       This host (the default).
  workers     Every host of conf/workers, over SSH (this machine directly); every host is
              reported and the exit code is 1 when any failed.

An already mounted ramdisk is kept (Alluxio's script unmounts and mounts again, losing the blocks).`;

export interface MountArgs { action: MountAction; machine: MountMachine }

/** Parse `ACTION [MACHINE]`; an error message for usage errors (printed with the usage). */
export function parseMountArgs(args: readonly string[]): MountArgs | { error: string } {
  const [action, machine = 'local', ...extra] = args;
  if (action === undefined) return { error: 'no ACTION specified' };
  if (!(MOUNT_ACTIONS as readonly string[]).includes(action)) return { error: `Invalid ACTION: ${action}` };
  if (!(MOUNT_MACHINES as readonly string[]).includes(machine)) return { error: `Invalid MACHINE: ${machine} (local or workers)` };
  if (extra.length) return { error: `Invalid argument: ${extra[0]}` };
  return { action: action as MountAction, machine: machine as MountMachine };
}

const isUnmount = (a: MountAction): a is UnmountMode => a === 'Umount' || a === 'SudoUmount';

export function register(program: Command, ctx: CliContext): void {
  program.command('mount')
    .description('mount or unmount the worker ramdisk here or on every worker (what bin/alluxio-mount.sh runs)')
    .usage('Mount|SudoMount|Umount|SudoUmount [local|workers]')
    .argument('[args...]', 'ACTION [MACHINE], see below')
    .allowUnknownOption()
    .helpOption('-h, --help', 'show this help')
    .addHelpText('after', `\n${MOUNT_USAGE.split('\n').slice(2).join('\n')}\n\n${CLUSTER_OPTIONS_HELP}

Examples:
  alluxio-mount.sh SudoMount             # this host
  alluxio-mount.sh SudoMount workers     # every worker host
  alluxio-stop.sh worker -c /var/lib/alluxio/ramcache && alluxio-mount.sh SudoUmount`)
    .action(async (args: string[]) => {
      const { rest } = parseClusterOptions(args);
      const parsed = parseMountArgs(rest);
      if ('error' in parsed) { usageFailure(ctx, parsed.error, MOUNT_USAGE); return; }
      if (parsed.machine === 'workers') {
        await withCluster(ctx, args, 'mount', (s) => mountOnWorkers(s, parsed.action));
        return;
      }
      if (rest.length !== args.length) throw new UsageError('--parallel, --dry-run, --json and --accept-new-host-keys apply to workers');
      const conf = ctx.conf();
      const out = (l: string) => ctx.out(l);
      if (isUnmount(parsed.action)) {
        const w = status(conf, 'worker');
        if (w.running) {
          throw new HostError(os.hostname(), `a worker runs on this host (pid ${w.pid}); unmounting its ramdisk would lose its blocks under it`, {
            hint: 'stop it first: alluxio-stop.sh worker (add -c <dir> to save the ramdisk)',
          });
        }
        await unmountRamdisk(conf, parsed.action, out);
      } else {
        await mountRamdisk(conf, parsed.action, out);
      }
    });
}

/** `ACTION workers`: check the hosts, push the install where stale, run `mount ACTION local` on each. */
async function mountOnWorkers(s: ClusterSession, action: MountAction): Promise<number> {
  const hosts = s.workers;
  const remote = ['mount', action, 'local'];
  if (s.opts.dryRun) {
    s.rep.phase('Plan (dry run: nothing is changed)');
    for (const h of hosts) s.rep.host(h, `would run: alluxio ${remote.join(' ')}`);
    return s.rep.finish({ dryRun: true, plan: hosts.map((host) => ({ host, steps: [`alluxio ${remote.join(' ')}`] })) });
  }
  const reachable = await s.checkHosts(hosts);
  await s.lock();
  try {
    const stale = reachable.filter((h) => !s.installCurrent(h) || !s.confCurrent(h));
    const failed = await s.push(stale.map((host) => ({ host, install: !s.installCurrent(host), conf: !s.confCurrent(host) })));
    const ready = reachable.filter((h) => !failed.has(h));
    // The host's own lines stream as [host] lines; its exit code says whether it worked.
    s.rep.phase(`${action} on ${ready.length} worker host(s)`);
    const results = await fanOut(ready, s.opts.parallel, async (host) => {
      const out = lineSplitter((l) => s.rep.host(host, l));
      const err = lineSplitter((l) => s.rep.host(host, l, 'err'));
      const r = await s.exec.run(host, alluxio(s.home, [...remote, ...s.defines()]), { timeoutMs: 180_000, onStdout: out.push, onStderr: err.push });
      out.flush(); err.flush();
      if (r.code !== 0) throw new HostError(host, `alluxio ${remote.join(' ')} failed (exit ${r.code}${r.signal ? `, ${r.signal}` : ''}):\n${tail(r)}`);
      return { detail: `${action} done` };
    });
    s.rep.record(action.toLowerCase(), results);
    await s.audit(ready);
  } finally {
    await s.unlock();
  }
  return s.rep.finish();
}
