/**
 * The worker's MEM tier ramdisk on this host (what Alluxio's alluxio-mount.sh and the mount
 * helpers of alluxio-start.sh do), with our differences:
 *   - Linux gets tmpfs with a `size=` limit, not ramfs (which ignores the size);
 *   - an already mounted ramdisk is kept (its blocks survive a worker restart);
 *   - SudoMount checks `sudo -n true` first and fails fast instead of hanging on a password prompt;
 *   - NoMount uses the directory as it is and only warns when it is not tmpfs/ramfs.
 * Commands run through execFile with argv arrays; no shell is involved.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, HostError, UsageError } from '../../errors.js';
import { resolveReal } from '../../fsutil.js';
import { toShell } from '../shell.js';

export type MountMode = 'Mount' | 'SudoMount' | 'NoMount';
export const MOUNT_MODES: readonly MountMode[] = ['Mount', 'SudoMount', 'NoMount'];

/** Parse a mount mode, case-sensitively as Alluxio does. */
export function parseMountMode(s: string): MountMode {
  if ((MOUNT_MODES as readonly string[]).includes(s)) return s as MountMode;
  throw new UsageError(`Invalid mount mode: ${s}`, { hint: `use one of ${MOUNT_MODES.join(', ')} (case-sensitive)` });
}

/** The part of the resolved configuration this module reads (the real `Config` satisfies it). */
export interface MountConf {
  get(key: string): string;
  getBytes(key: string): number;
  getList(key: string): string[];
}

export interface MountEntry {
  device: string;
  mountPoint: string;
  fsType: string;
  options: string;
}

/** Undo the octal escapes (`\040` for a space, ...) the kernel uses in /proc/self/mounts. */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parse the text of /proc/self/mounts (or /proc/mounts). */
export function parseMounts(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 3 || f[0] === '') continue;
    out.push({
      device: unescapeMountField(f[0]!),
      mountPoint: unescapeMountField(f[1]!),
      fsType: f[2]!,
      options: f[3] ?? '',
    });
  }
  return out;
}

export type TextReader = () => string;
export const readProcMounts: TextReader = () => fs.readFileSync('/proc/self/mounts', 'utf8');
export const readProcMeminfo: TextReader = () => fs.readFileSync('/proc/meminfo', 'utf8');

function isUnder(parent: string, p: string): boolean {
  if (parent === p) return true;
  const rel = path.relative(parent, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}


/**
 * The mount that holds `p`: the entry with the longest mount point equal to or above `p` (the
 * last one listed when several are stacked on the same point).
 */
export function mountFor(p: string, mounts: readonly MountEntry[]): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const m of mounts) {
    if (!isUnder(m.mountPoint, p)) continue;
    if (!best || m.mountPoint.length >= best.mountPoint.length) best = m;
  }
  return best;
}

/** True when `p` is a tmpfs or ramfs mount point or lies inside one. */
export function isRamMounted(p: string, readMounts: TextReader = readProcMounts): boolean {
  const m = mountFor(resolveReal(p), parseMounts(readMounts()));
  return m !== undefined && (m.fsType === 'tmpfs' || m.fsType === 'ramfs');
}

/** MemTotal from /proc/meminfo, in bytes (undefined when it cannot be read). */
export function memTotalBytes(readMeminfo: TextReader = readProcMeminfo): number | undefined {
  try {
    const m = /^MemTotal:\s+(\d+)\s*kB/m.exec(readMeminfo());
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The level-0 directories whose medium type is MEM (one medium type per path, or one for all). */
export function memTierPaths(conf: MountConf): string[] {
  const paths = conf.getList('alluxio.worker.tieredstore.level0.dirs.path');
  const media = conf.getList('alluxio.worker.tieredstore.level0.dirs.mediumtype');
  const alias = conf.get('alluxio.worker.tieredstore.level0.alias');
  return paths.filter((_p, i) => (media[i] ?? media[media.length - 1] ?? alias) === 'MEM');
}

export interface ExecResult { code: number; stdout: string; stderr: string }
export type Exec = (cmd: string, args: readonly string[]) => Promise<ExecResult>;

/** Run a command without a shell; a missing program gives code 127. */
export const execCommand: Exec = (cmd, args) => new Promise((resolve) => {
  execFile(cmd, [...args], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
    if (!err) { resolve({ code: 0, stdout, stderr }); return; }
    const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
    if (e.code === 'ENOENT') { resolve({ code: 127, stdout, stderr: `${cmd}: command not found` }); return; }
    const code = typeof e.code === 'number' ? e.code : 1;
    resolve({ code, stdout, stderr: stderr || e.message });
  });
});

export interface MountDeps {
  readMounts?: TextReader;
  readMeminfo?: TextReader;
  exec?: Exec;
  /** Whether this process runs as root (defaults to getuid() === 0). */
  isRoot?: () => boolean;
}

export const SUDO_HINT =
  'configure passwordless sudo for mount/umount/mkdir/chmod (see docs/processes.md), mount the ramdisk yourself and use NoMount, or run as root with Mount';

const ALIAS_KEY = 'alluxio.worker.tieredstore.level0.alias';
const SIZE_KEY = 'alluxio.worker.ramdisk.size';

interface MountPlan {
  /** MEM paths already on tmpfs/ramfs. */
  mounted: string[];
  /** MEM paths still to mount. */
  toMount: string[];
  size: number;
  /** `sudo -n` for SudoMount. */
  prefix: string[];
}

/**
 * Everything Mount/SudoMount checks before running a command: level-0 alias MEM, which paths
 * need mounting, ramdisk size against MemTotal, and the privilege (root, or `sudo -n true`).
 */
async function planMount(conf: MountConf, mode: 'Mount' | 'SudoMount', deps: MountDeps): Promise<MountPlan> {
  const readMounts = deps.readMounts ?? readProcMounts;
  const alias = conf.get(ALIAS_KEY);
  if (alias !== 'MEM') {
    throw new ConfigError(`Can't Mount/SudoMount when ${ALIAS_KEY} is not MEM (it is ${alias})`, {
      hint: 'use NoMount, or set the level-0 alias to MEM',
    });
  }
  const plan: MountPlan = { mounted: [], toMount: [], size: 0, prefix: [] };
  for (const p of memTierPaths(conf)) (isRamMounted(p, readMounts) ? plan.mounted : plan.toMount).push(p);
  if (plan.toMount.length === 0) return plan;

  plan.size = conf.getBytes(SIZE_KEY);
  const mem = memTotalBytes(deps.readMeminfo);
  if (mem !== undefined && plan.size > mem) {
    throw new ConfigError(`${SIZE_KEY} (${plan.size} bytes) is larger than the memory of this host (MemTotal ${mem} bytes)`, {
      hint: `reduce ${SIZE_KEY} in alluxio-site.properties`,
    });
  }
  plan.prefix = await privilegePrefix(mode === 'SudoMount', 'Mount', deps);
  return plan;
}

/**
 * The argv prefix that runs mount(8)/umount(8): `sudo -n` after checking that sudo will not
 * prompt (`sudo -n true`), else nothing, as root only (HostError otherwise).
 */
async function privilegePrefix(sudo: boolean, verb: 'Mount' | 'Umount', deps: MountDeps): Promise<string[]> {
  const exec = deps.exec ?? execCommand;
  const isRoot = deps.isRoot ?? (() => process.getuid?.() === 0);
  const host = os.hostname();
  if (sudo) {
    const r = await exec('sudo', ['-n', 'true']);
    if (r.code !== 0) {
      const why = r.code === 127 ? 'sudo is not installed on this host' : 'sudo would prompt for a password on this host';
      throw new HostError(host, `${why} ('sudo -n true' exited with ${r.code}${r.stderr.trim() ? `: ${r.stderr.trim()}` : ''})`, { hint: SUDO_HINT });
    }
    return ['sudo', '-n'];
  }
  if (!isRoot()) {
    throw new HostError(host, `${verb} runs ${verb === 'Mount' ? 'mount(8)' : 'umount(8)'} as the current user, which needs root (uid ${process.getuid?.() ?? '?'})`, {
      hint: verb === 'Mount'
        ? 'use SudoMount (with passwordless sudo), or mount the ramdisk yourself and use NoMount'
        : 'use SudoUmount (with passwordless sudo), or run as root',
    });
  }
  return [];
}

/** Run `prefix + argv`; a HostError naming the command, its exit code and stderr when it fails. */
async function runChecked(exec: Exec, prefix: readonly string[], argv: readonly string[], hint: string): Promise<void> {
  const full = [...prefix, ...argv];
  const r = await exec(full[0]!, full.slice(1));
  if (r.code !== 0) {
    throw new HostError(os.hostname(), `'${toShell(full)}' failed with exit code ${r.code}: ${r.stderr.trim() || '(no stderr)'}`, { hint });
  }
}

/**
 * Check, without changing anything or printing, that `mountRamdisk` can do its job (alias, size,
 * privileges). Lets `alluxio-start.sh local SudoMount` fail before it starts the master.
 */
export async function checkMountPrerequisites(conf: MountConf, mode: MountMode, deps: MountDeps = {}): Promise<void> {
  if (mode === 'NoMount') return;
  await planMount(conf, mode, deps);
}

/**
 * Prepare the MEM tier directories of this host for a worker, per mount mode. Prints progress with
 * `out`. Throws ConfigError / HostError (naming the failing command, its exit code and stderr).
 */
export async function mountRamdisk(conf: MountConf, mode: MountMode, out: (line: string) => void, deps: MountDeps = {}): Promise<void> {
  const readMounts = deps.readMounts ?? readProcMounts;
  const exec = deps.exec ?? execCommand;
  const host = os.hostname();

  if (mode === 'NoMount') {
    if (conf.get(ALIAS_KEY) !== 'MEM') return;
    for (const p of memTierPaths(conf)) {
      if (!isRamMounted(p, readMounts)) {
        out(`WARNING: Ramdisk ${p} is not a tmpfs/ramfs mount; the MEM tier will be stored on the disk holding it (NoMount).`);
      }
      if (!fs.existsSync(p)) {
        try {
          fs.mkdirSync(p, { recursive: true });
        } catch (e) {
          throw new HostError(host, `cannot create the MEM tier directory ${p}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
            hint: 'create it yourself (it is alluxio.worker.tieredstore.level0.dirs.path) or use SudoMount',
          });
        }
      }
    }
    return;
  }

  const plan = await planMount(conf, mode, deps);
  for (const p of plan.mounted) out(`Ramdisk ${p} already mounted. Skipping mounting procedure.`);
  const run = (argv: string[]) => runChecked(exec, plan.prefix, argv, mode === 'Mount' ? 'check that you are root, or use SudoMount' : SUDO_HINT);
  for (const p of plan.toMount) {
    out(`Ramdisk ${p} not detected. Mounting tmpfs (size ${plan.size} bytes)...`);
    await run(['mkdir', '-p', p]);
    await run(['mount', '-t', 'tmpfs', '-o', `size=${plan.size}`, 'tmpfs', p]);
    await run(['chmod', 'a+w', p]);
  }
}

export type UnmountMode = 'Umount' | 'SudoUmount';

/**
 * `alluxio-mount.sh Umount|SudoUmount`: unmount each MEM tier directory that is a tmpfs/ramfs
 * mount point of its own (`Unmounting <p>`); one that is not mounted is only reported, and one
 * that merely lies inside a tmpfs it did not mount (/dev/shm/alluxio) is left alone. Its contents
 * are gone after the unmount (alluxio-stop.sh worker -c <dir> saves them first). The caller
 * refuses while a worker runs on this host.
 */
export async function unmountRamdisk(conf: MountConf, mode: UnmountMode, out: (line: string) => void, deps: MountDeps = {}): Promise<void> {
  const readMounts = deps.readMounts ?? readProcMounts;
  const exec = deps.exec ?? execCommand;
  const mounted: string[] = [];
  for (const p of memTierPaths(conf)) {
    const real = resolveReal(p);
    const m = mountFor(real, parseMounts(readMounts()));
    const ram = m !== undefined && (m.fsType === 'tmpfs' || m.fsType === 'ramfs');
    if (ram && m.mountPoint === real) mounted.push(p);
    else if (ram) out(`Ramdisk ${p} lies inside the ${m.fsType} mounted at ${m.mountPoint}, which is not its own mount; not unmounting it`);
    else out(`Ramdisk ${p} is not mounted; nothing to unmount`);
  }
  if (!mounted.length) return;
  const prefix = await privilegePrefix(mode === 'SudoUmount', 'Umount', deps);
  for (const p of mounted) {
    out(`Unmounting ${p}`);
    await runChecked(exec, prefix, ['umount', p], mode === 'Umount' ? 'check that you are root, or use SudoUmount' : SUDO_HINT);
  }
}
