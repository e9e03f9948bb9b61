/**
 * `alluxio fsadmin doctor [configuration|storage]`, as Alluxio's DoctorCommand.
 *
 * configuration: every master (the configured master rpc addresses, or in ZooKeeper mode without
 * them every candidate of the election; each tells its web port in GetMasterInfo) and every live
 * worker of the leader's list (host and web port) is asked for its effective configuration
 * (/api/v1/<kind>/config). A key is compared across the servers it applies to (its scope); the
 * keys whose values differ are errors (consistency ENFORCE) or warnings (WARN); IGNORE keys
 * (hostnames, ports, local paths, sizes) may differ. A server that cannot be asked is named.
 *
 * storage: from the leader's worker list, the workers that are lost (their storage with them),
 * tiers that some live workers have and others lack, and tiers without capacity.
 *
 * No category: both. The exit code is 1 when an ENFORCE key differs, a server could not be asked,
 * or storage is lost or missing; warnings alone exit 0.
 */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { withFs } from './fs/shared.js';
import { SCHEMA, consistencyOf, formatBytes, scopeIncludes, scopeOf, splitHostPort, splitList, tryParseBytes, tryParseDuration, type PropertySpec } from '../conf/index.js';
import { askMasterInfo } from '../client/masterClient.js';
import { mastersToAsk } from '../client/zkMasters.js';
import { UsageError } from '../errors.js';
import type { FileSystem, WorkerInfo } from '../client/fileSystem.js';
import { describeFetchError } from '../orchestrate/local/processes.js';

export const DOCTOR_CATEGORIES = ['configuration', 'storage'] as const;
export type DoctorCategory = (typeof DOCTOR_CATEGORIES)[number];

/** How long one server may take to answer (its master info, its configuration). */
export const DOCTOR_PROBE_MS = 5_000;

export type ServerKind = 'master' | 'worker';

/** A server's effective configuration, or why it could not be read. */
export interface ServerConf {
  kind: ServerKind;
  /** `master host:rpcPort` or `worker host:rpcPort`. */
  name: string;
  properties?: Readonly<Record<string, string>>;
  error?: string;
}

/** One key whose value differs between servers: each value with the servers that have it. */
export interface Inconsistency {
  key: string;
  values: { value: string; servers: string[] }[];
}

export interface ConfigReport {
  errors: Inconsistency[];
  warnings: Inconsistency[];
  unreachable: ServerConf[];
}

/** What a value means, so that equal values written differently (1s, 1sec; 64MB, 67108864) agree. */
export function canonicalValue(spec: PropertySpec, value: string): string {
  switch (spec.type) {
    case 'duration': return String(tryParseDuration(value) ?? value);
    case 'bytes': return String(tryParseBytes(value) ?? value);
    case 'bool': return value.toLowerCase();
    case 'enum': return value.toUpperCase();
    case 'list': case 'hostport-list': return splitList(value).join(',');
    default: return value;
  }
}

/**
 * Compare the servers' configurations key by key (sorted): a key counts for the servers whose kind
 * its scope includes and that report it; IGNORE keys are skipped; values are compared by meaning
 * ({@link canonicalValue}) and shown as the first server that has each wrote it.
 */
export function compareConfigs(servers: readonly ServerConf[]): ConfigReport {
  const report: ConfigReport = { errors: [], warnings: [], unreachable: servers.filter((s) => !s.properties) };
  for (const spec of [...SCHEMA].sort((a, b) => (a.key < b.key ? -1 : 1))) {
    const level = consistencyOf(spec);
    if (level === 'IGNORE') continue;
    const byValue = new Map<string, { value: string; servers: string[] }>();
    for (const s of servers) {
      const value = s.properties?.[spec.key];
      if (value === undefined || !scopeIncludes(scopeOf(spec), s.kind)) continue;
      const c = canonicalValue(spec, value);
      const group = byValue.get(c) ?? { value, servers: [] };
      group.servers.push(s.name);
      byValue.set(c, group);
    }
    if (byValue.size < 2) continue;
    const inc = { key: spec.key, values: [...byValue.values()] };
    (level === 'ENFORCE' ? report.errors : report.warnings).push(inc);
  }
  return report;
}

function inconsistencyLines(list: readonly Inconsistency[]): string[] {
  return list.flatMap((i) => [
    `key: ${i.key}`,
    ...i.values.map((v) => `    value: ${v.value === '' ? 'no value set' : v.value} (${v.servers.join(', ')})`),
  ]);
}

/** The report as Alluxio's doctor prints it, plus the servers that could not be asked. */
export function renderConfigReport(r: ConfigReport): string[] {
  const lines: string[] = [];
  if (r.errors.length) {
    lines.push('Server-side configuration errors (those properties are required to be identical): ', ...inconsistencyLines(r.errors));
  }
  if (r.warnings.length) {
    if (lines.length) lines.push('');
    lines.push('Server-side configuration warnings (those properties are recommended to be identical): ', ...inconsistencyLines(r.warnings));
  }
  if (r.unreachable.length) {
    if (lines.length) lines.push('');
    lines.push('Servers whose configuration could not be read (not checked): ', ...r.unreachable.map((s) => `    ${s.name}: ${s.error}`));
  }
  if (!r.errors.length && !r.warnings.length) {
    if (lines.length) lines.push('');
    lines.push(r.unreachable.length ? 'No server-side configuration errors or warnings among the servers that answered.' : 'No server-side configuration errors or warnings.');
  }
  return lines;
}

/** The properties of a /api/v1/<kind>/config answer, or undefined when it is not one (hostile bytes). */
export function parseConfigAnswer(body: unknown): Record<string, string> | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const props = (body as { properties?: unknown }).properties;
  if (typeof props !== 'object' || props === null || Array.isArray(props)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(props)) {
    if (typeof v !== 'string') return undefined;
    out[k] = v;
  }
  return out;
}

export function webUrl(host: string, port: number, path: string): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${h}:${port}${path}`;
}

async function fetchConf(server: Omit<ServerConf, 'properties' | 'error'>, url: string): Promise<ServerConf> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(DOCTOR_PROBE_MS) });
    if (!res.ok) return { ...server, error: `HTTP ${res.status} from ${url}` };
    const properties = parseConfigAnswer(await res.json());
    return properties ? { ...server, properties } : { ...server, error: `${url} answered no configuration (an older server?)` };
  } catch (e) {
    return { ...server, error: `${describeFetchError(e)} (${url})` };
  }
}

/** The URL of `path` on the web port of the master at rpc address `addr` (it tells its web port in GetMasterInfo). */
export async function masterWebUrl(addr: string, path: string, timeoutMs = DOCTOR_PROBE_MS): Promise<string> {
  const webPort: unknown = (await askMasterInfo(addr, timeoutMs)).webPort;
  if (typeof webPort !== 'number' || !Number.isInteger(webPort) || webPort < 1 || webPort > 65535) {
    throw new Error(`it answered no valid web port (${String(webPort)})`);
  }
  return webUrl(splitHostPort(addr).host, webPort, path);
}

/** Ask one master (rpc address) for its web port, then for its configuration. */
async function masterConf(addr: string): Promise<ServerConf> {
  const server = { kind: 'master' as const, name: `master ${addr}` };
  let url: string;
  try {
    url = await masterWebUrl(addr, '/api/v1/master/config');
  } catch (e) {
    return { ...server, error: (e as Error).message };
  }
  return fetchConf(server, url);
}

function workerName(w: WorkerInfo): string {
  return `${w.address.host}:${w.address.rpcPort}`;
}

/** Every master's and every live worker's configuration (in parallel), masters first. */
export async function gatherConfigs(fs: FileSystem, workers: readonly WorkerInfo[]): Promise<ServerConf[]> {
  // ZooKeeper mode: every master of the election unless alluxio.master.rpc.addresses names them.
  const masters = await mastersToAsk(fs.conf, fs.master.addresses);
  return Promise.all([
    ...masters.map(masterConf),
    ...workers.filter((w) => w.state !== 'LOST').map((w) =>
      fetchConf({ kind: 'worker', name: `worker ${workerName(w)}` }, webUrl(w.address.host, w.address.webPort, '/api/v1/worker/config'))),
  ]);
}

/** Storage problems from the leader's worker list (lost workers, missing tiers, empty tiers); [] when none. */
export function storageProblems(workers: readonly WorkerInfo[]): string[] {
  const lines: string[] = [];
  const live = workers.filter((w) => w.state !== 'LOST');
  for (const w of workers.filter((x) => x.state === 'LOST')) {
    lines.push(`The storage of worker ${workerName(w)} (id ${w.id}) is lost: no heartbeat for ${w.lastContactSec} s: `);
    for (const t of w.tiers) lines.push(`    ${t.alias} ${formatBytes(t.capacityBytes)}`);
  }
  const aliases = [...new Set(live.flatMap((w) => w.tiers.map((t) => t.alias)))];
  for (const w of live) {
    for (const a of aliases) {
      const tier = w.tiers.find((t) => t.alias === a);
      if (!tier) lines.push(`Worker ${workerName(w)} has no ${a} tier (other workers have one).`);
      else if (tier.capacityBytes <= 0) lines.push(`Tier ${a} of worker ${workerName(w)} has no capacity.`);
    }
  }
  if (!live.length) lines.push('No live workers: the cluster has no worker storage.');
  return lines;
}

export function register(fsadmin: Command, ctx: CliContext): void {
  const cmd = fsadmin.command('doctor')
    .description('show configuration differences between servers and lost or missing worker storage')
    .argument('[category]', 'configuration or storage (both when omitted)')
    .addHelpText('after', `
configuration: keys whose values differ between masters and workers (errors: must be identical,
  warnings: should be); exit 1 on an error or a server that cannot be asked.
storage: lost workers, and tiers missing on some workers; exit 1 when any.

Examples:
  alluxio fsadmin doctor
  alluxio fsadmin doctor configuration
  alluxio fsadmin doctor storage`)
    .action(async (category: string | undefined) => {
      if (category !== undefined && !(DOCTOR_CATEGORIES as readonly string[]).includes(category)) {
        ctx.err(cmd.helpInformation().trimEnd());
        throw new UsageError('doctor category is invalid.');
      }
      await withFs(ctx, [], async (fs) => {
        await fs.masterInfo(); // the leader answers (Alluxio checks the master first)
        const workers = await fs.workerInfoList(true);
        let failed = false;
        if (category !== 'storage') {
          const report = compareConfigs(await gatherConfigs(fs, workers));
          for (const l of renderConfigReport(report)) ctx.out(l);
          failed ||= report.errors.length > 0 || report.unreachable.length > 0;
        }
        if (category === undefined) ctx.out('');
        if (category !== 'configuration') {
          const problems = storageProblems(workers);
          for (const l of problems.length ? problems : ['All worker storage paths are in working state.']) ctx.out(l);
          failed ||= problems.length > 0;
        }
        if (failed) ctx.setExitCode(1);
      });
    });
}
