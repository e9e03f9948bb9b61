/**
 * The format family. `format [-s]` and `formatMasters` act on the hosts of conf/masters and
 * conf/workers (over SSH; this machine directly); `formatJournal [-s]`, `formatWorker [-s]` and
 * `formatMaster` (deprecated alias) act on this host only.
 */
import * as grpc from '@grpc/grpc-js';
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import type { Config } from '../conf/index.js';
import { FailedPreconditionError, UsageError } from '../errors.js';
import { isZooKeeperMode, zkCandidateAddresses } from '../client/zkMasters.js';
import { formatHere, localMasters, refuseWhileRunning, type Io } from '../orchestrate/local/service.js';
import type { FormatResult } from '../orchestrate/protocol.js';
import { cachedMasterLayout, isHa } from '../orchestrate/local/masters.js';
import { embeddedSetup } from '../journal/index.js';
import { checkReseed, runningTargets, type QuorumView } from '../journal/format.js';
import { askMasterInfo, masterRpcAddresses } from '../client/masterClient.js';
import { CHANNEL_OPTIONS, callUnary, protos } from '../rpc.js';
import { clusterFormat } from '../orchestrate/clusterOps.js';
import { CLUSTER_OPTIONS_HELP } from '../orchestrate/cluster.js';
import { machineMode, stepReply, withCluster } from './cluster.js';
import { ensureClusterSecret, secretFileOf } from '../clusterSecret.js';

/**
 * `format` and `formatMasters` create the cluster secret in this host's conf dir when there is
 * none (never on --dry-run), before the session opens so that it is pushed with conf/ to every
 * host: masters and workers then accept only peers that send it. A command that fails keeps it
 * (it may have been pushed already; removing it here only would split the cluster).
 */
async function withSecret(ctx: CliContext, args: readonly string[], run: () => Promise<void>): Promise<void> {
  const file = args.includes('--dry-run') ? undefined : secretFileOf(ctx.conf());
  const created = file !== undefined && ensureClusterSecret(file);
  await run();
  if (created) ctx.out(`Created the cluster secret ${file} (pushed with conf/ to every host)`);
}

function io(ctx: CliContext): Io {
  return { out: (l: string) => ctx.out(l), err: (l: string) => ctx.err(l) };
}

/** The only argument of the local format verbs: -s (format only what is not formatted yet). */
function onlyS(name: string, args: readonly string[]): boolean {
  if (args.length > 1 || args.some((a) => a !== '-s')) throw new UsageError(`Invalid arguments: ${args.join(' ')}`, { hint: `usage: alluxio ${name} [-s]` });
  return args.length === 1;
}

/** formatJournal's arguments: [-s] [--journal-port <port>]. */
function journalArgs(args: readonly string[]): { onlyUnformatted: boolean; journalPort?: number } {
  const bad = () => new UsageError(`Invalid arguments: ${args.join(' ')}`, { hint: 'usage: alluxio formatJournal [-s] [--journal-port <port>]' });
  const out: { onlyUnformatted: boolean; journalPort?: number } = { onlyUnformatted: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-s' && !out.onlyUnformatted) out.onlyUnformatted = true;
    else if (a === '--journal-port' && out.journalPort === undefined && /^\d{1,5}$/.test(args[i + 1] ?? '')) out.journalPort = Number(args[++i]);
    else throw bad();
  }
  return out;
}

const PROBE_MS = 3000;

/**
 * Ask every master (alluxio.master.rpc.addresses) at once who leads; from the leader, the quorum.
 * `answering`: some master answered at all.
 */
async function probeQuorum(conf: Config): Promise<{ quorum?: QuorumView; answering: boolean }> {
  const p = protos();
  const creds = grpc.credentials.createInsecure();
  const infos = await Promise.all(masterRpcAddresses(conf).map(async (addr) => {
    try {
      const info = await askMasterInfo(addr, PROBE_MS);
      return { addr, leader: info.isLeader === true };
    } catch {
      return undefined;
    }
  }));
  const leader = infos.find((i) => i?.leader);
  const answering = infos.some((i) => i !== undefined);
  if (!leader) return { answering };
  const journal = new p.journal.JournalMasterClientService(leader.addr, creds, CHANNEL_OPTIONS) as grpc.Client;
  try {
    return { answering, quorum: await callUnary<QuorumView>(journal, 'GetQuorumInfo', {}, PROBE_MS, leader.addr) };
  } catch {
    return { answering };
  } finally {
    journal.close();
  }
}

/**
 * `alluxio formatJournal` on the embedded journal: while the other masters run with a leader,
 * formatting re-seeds this master's journal (it rejoins and catches up from the leader, by
 * snapshot when needed) and is refused when it still runs or when the quorum could not spare it;
 * while no master answers it is an ordinary format. See docs/processes.md.
 */
async function formatJournalCommand(ctx: CliContext, args: readonly string[], io: Io): Promise<FormatResult> {
  const { onlyUnformatted, journalPort } = journalArgs(args);
  const conf = ctx.conf();
  let rejoin = false;
  const layout = await cachedMasterLayout(conf);
  // A master running on this host is named by its pid at once, before asking the cluster.
  refuseWhileRunning(conf, ['master'], io);
  if (isZooKeeperMode(conf)) await refuseWhileZkMastersRun(conf, io);
  if (isHa(layout)) {
    // Each local master's own configuration names its journal id (several masters on this host).
    const targets = localMasters(layout.instances, journalPort).flatMap((m) => embeddedSetup(m.conf)?.id ?? []);
    let probe = await probeQuorum(conf);
    // A master stopped a moment ago still looks available to the leader for up to two election
    // timeouts: look again a few times before calling it running.
    for (let i = 0; i < 4 && probe.quorum && runningTargets(targets, probe.quorum).length; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      probe = await probeQuorum(conf);
    }
    const { quorum, answering } = probe;
    rejoin = checkReseed(targets, quorum, answering);
    if (rejoin) io.out(`The embedded journal runs with leader ${quorum!.leader}: re-seeding ${targets.join(', ')}`);
  }
  const result = await formatHere(conf, ['master'], io, { onlyUnformatted, rejoin, ...(journalPort !== undefined ? { journalPort } : {}) });
  if (rejoin) {
    io.out('Start the master: it rejoins the quorum as RECOVERING (no vote) and catches up from the leader; check with: alluxio fsadmin journal quorum info -domain MASTER');
  }
  return result;
}

/**
 * ZooKeeper mode: the journal folder is shared by every master, so formatting it on this host
 * while a master runs anywhere would wipe the journal under it. Every running master is a
 * candidate of the election (its node names its rpc address): refused while there is one. When
 * ZooKeeper cannot be asked, a warning (this host's own masters were checked already; `alluxio
 * format` checks every master host).
 */
async function refuseWhileZkMastersRun(conf: Config, io: Io): Promise<void> {
  let running: string[];
  try {
    running = await zkCandidateAddresses(conf);
  } catch (e) {
    io.err(`WARNING: could not ask ZooKeeper which masters run (${(e as Error).message}); formatting the shared journal folder anyway (no master runs on this host)`);
    return;
  }
  if (running.length) {
    throw new FailedPreconditionError(`refusing to format the shared journal folder ${conf.get('alluxio.master.journal.folder')}: ${running.length === 1 ? 'a master is' : 'masters are'} running in ZooKeeper mode (${running.join(', ')}) and use it`, {
      hint: 'stop every master first: alluxio-stop.sh masters (then alluxio format, which formats the shared journal once)',
    });
  }
}

const SAFETY = `
Several masters on this host (several entries of alluxio.master.embedded.journal.addresses are this
machine): formatJournal formats the journal of each, <alluxio.master.journal.folder>/<journal port>.

Safety: nothing is deleted while a master or worker runs (on any host, for format), and a path is refused
(nothing deleted) when it is /, the home directory or an ancestor, alluxio.home or an ancestor,
or (journal) a non-empty directory without the .alluxio-journal marker. Worker format deletes
only <tier dir>/<alluxio.worker.data.folder>, never the tier directory (ramdisk mount point).`;

export function register(program: Command, ctx: CliContext): void {
  program.command('format')
    .description('format the journal of every master (conf/masters) and the storage of every worker (conf/workers)')
    .usage('[-s] [--dry-run] [--json] [--parallel N]')
    .argument('[args...]')
    .allowUnknownOption()
    .addHelpText('after', `
-s  Format only what is not formatted yet: a journal folder without its marker, worker data
    folders that do not exist.
${CLUSTER_OPTIONS_HELP}
${SAFETY}
A host that cannot be reached is reported and left alone; nothing is ever formatted implicitly.

Examples:
  alluxio format
  alluxio format -s
  alluxio formatJournal
  alluxio formatWorker`)
    .action((args: string[]) => withSecret(ctx, args, () =>
      withCluster(ctx, args, 'format', (session, rest) => clusterFormat(session, { onlyUnformatted: onlyS('format', rest) }))));

  program.command('formatJournal')
    .description("format this host's journal folder (alluxio.master.journal.folder; every local master's with several masters here)")
    .usage('[-s] [--journal-port <port>] [--json]')
    .argument('[args...]')
    .allowUnknownOption()
    .addHelpText('after', `
--journal-port <port>  With several masters on this host: only the one with this embedded journal port.
--json                 Machine mode: human lines to stderr, one protocol reply (JSON) on stdout.
${SAFETY}

Re-seeding one master of a running embedded journal: when the other masters answer with a leader,
formatJournal re-seeds this master's journal: it is refused while the master runs or when the
members left would not be a majority, and the master, once started, rejoins as RECOVERING (it does
not vote) and catches up from the leader. With masters running but no leader it is refused.

Examples:
  alluxio formatJournal
  alluxio formatJournal --journal-port 19201`)
    .action(async (args: string[]) => {
      const { machine, rest } = machineMode(args);
      await stepReply(ctx, 'formatJournal', machine, (out) => formatJournalCommand(ctx, rest, out));
    });

  program.command('formatWorker')
    .description("format this host's worker storage (<tier dir>/<alluxio.worker.data.folder>)")
    .usage('[-s] [--json]')
    .argument('[args...]')
    .allowUnknownOption()
    .addHelpText('after', `${SAFETY}\n\nExample:\n  alluxio formatWorker`)
    .action(async (args: string[]) => {
      const { machine, rest } = machineMode(args);
      await stepReply(ctx, 'formatWorker', machine, (out) => formatHere(ctx.conf(), ['worker'], out, { onlyUnformatted: onlyS('formatWorker', rest) }));
    });

  program.command('formatMaster')
    .description('deprecated: same as formatJournal')
    .argument('[args...]')
    .allowUnknownOption()
    .action(async (args: string[]) => {
      if (args.length) throw new UsageError(`Invalid arguments: ${args.join(' ')}`, { hint: 'usage: alluxio formatMaster' });
      ctx.out('formatMaster is deprecated - use formatMasters instead');
      await formatHere(ctx.conf(), ['master'], io(ctx));
    });

  program.command('formatMasters')
    .description('format the journal of every master in conf/masters')
    .usage('[-s] [--dry-run] [--json] [--parallel N]')
    .argument('[args...]')
    .allowUnknownOption()
    .addHelpText('after', `
${CLUSTER_OPTIONS_HELP}
${SAFETY}

Example:
  alluxio formatMasters`)
    .action((args: string[]) => withSecret(ctx, args, () => withCluster(ctx, args, 'formatMasters', (session, rest) =>
      clusterFormat(session, { onlyUnformatted: onlyS('formatMasters', rest), what: 'masters' }))));
}
