/**
 * `alluxio fsadmin report`: Alluxio's cluster summary, then the rolling view (every master's role,
 * applied journal index, lag and configuration hash; every worker's hash: report.ts), and the
 * `journal quorum` administration.
 */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { withFs, formatDate } from './fs/shared.js';
import type { FileSystem } from '../client/fileSystem.js';
import { formatBytes } from '../conf/index.js';
import { uptime } from '../server/web.js';
import { UsageError } from '../errors.js';
import { register as registerDoctor } from './doctor.js';
import { gatherView, renderView } from './report.js';
import { reportMetrics } from './reportMetrics.js';

const TIER_ORDER = ['MEM', 'SSD', 'HDD'];
const tierRank = (a: string) => { const i = TIER_ORDER.indexOf(a); return i < 0 ? TIER_ORDER.length : i; };

interface QuorumInfo { leader: string; term: number; members: { address: string; available: boolean; role: string; matchIndex: number; lag: number; recovering?: boolean }[] }

/**
 * STATE: AVAILABLE (answered the leader within two election timeouts), UNAVAILABLE, or RECOVERING
 * (answers, but lost its log and does not count toward the quorum until it caught up). MATCH: the
 * last index the leader knows the member holds; LAG: the leader's last index minus that.
 */
function printQuorum(ctx: CliContext, q: QuorumInfo): void {
  ctx.out('Journal domain\t: MASTER');
  ctx.out(`Quorum size\t: ${q.members.length}`);
  ctx.out(`Quorum leader\t: ${q.leader || 'UNKNOWN'}`);
  ctx.out('');
  ctx.out(`${'STATE'.padEnd(11)} | ${'PRIORITY'.padEnd(8)} | ${'SERVER ADDRESS'.padEnd(21)} | ${'ROLE'.padEnd(8)} | ${'MATCH'.padEnd(8)} | LAG`);
  for (const m of q.members) {
    const state = !m.available ? 'UNAVAILABLE' : m.recovering ? 'RECOVERING' : 'AVAILABLE';
    ctx.out(`${state.padEnd(11)} | ${'0'.padEnd(8)} | ${m.address.padEnd(21)} | ${m.role.padEnd(8)} | ${String(m.matchIndex).padEnd(8)} | ${m.lag}`);
  }
}

/** The journal domains Alluxio names; only MASTER has an embedded journal here (no job master). */
const DOMAINS = ['MASTER', 'JOB_MASTER'];

/**
 * `-domain` as Alluxio's quorum commands read it: required by info, add and remove (as Alluxio's
 * info and remove), optional for elect; MASTER is served, JOB_MASTER is refused with the reason.
 */
function domainOption(verb: string, o: { domain?: string }, required: boolean): void {
  if (o.domain === undefined) {
    if (!required) return;
    throw new UsageError(`fsadmin journal quorum ${verb} needs -domain <MASTER|JOB_MASTER>`, {
      hint: `alluxio fsadmin journal quorum ${verb} -domain MASTER${verb === 'info' ? '' : ' -address <host:port>'}`,
    });
  }
  const d = o.domain.toUpperCase();
  if (!DOMAINS.includes(d)) {
    throw new UsageError(`-domain ${o.domain} is not a journal domain`, { hint: `use one of ${DOMAINS.join(', ')}` });
  }
  if (d !== 'MASTER') {
    throw new UsageError(`-domain ${o.domain} is not supported; only MASTER has an embedded journal here`, { hint: 'there is no job master in this cluster; use -domain MASTER' });
  }
}

/** `journal quorum` is about the embedded journal: with the shared (UFS) journal and ZooKeeper election there is no quorum. */
function embeddedJournalOnly(ctx: CliContext, verb: string): void {
  const conf = ctx.conf();
  const type = conf.get('alluxio.master.journal.type').toUpperCase();
  if (type === 'EMBEDDED') return;
  const zk = conf.getBool('alluxio.zookeeper.enabled');
  throw new UsageError(`fsadmin journal quorum ${verb} applies to the embedded journal only (alluxio.master.journal.type=EMBEDDED); this cluster uses alluxio.master.journal.type=${type}${zk ? ` with ZooKeeper election (${conf.getList('alluxio.zookeeper.address').join(',')})` : ''}`, {
    hint: zk
      ? 'the leader is whoever ZooKeeper elected: see it with alluxio fs leader or alluxio fsadmin report; to move leadership, stop the leading master (the next candidate takes over)'
      : 'there is no journal quorum to administer with this journal type',
  });
}

export function register(program: Command, ctx: CliContext): void {
  /** A quorum subcommand: -domain is checked first (a usage error needs no master), then `fn` runs. */
  const quorumAction = <O extends { domain?: string }>(verb: string, domainRequired: boolean, fn: (fs: FileSystem, o: O) => Promise<void>) =>
    async (o: O) => { domainOption(verb, o, domainRequired); embeddedJournalOnly(ctx, verb); await withFs(ctx, [], (fs) => fn(fs, o)); };
  const fsadmin = program.command('fsadmin').description('administration: cluster report, journal quorum');
  registerDoctor(fsadmin, ctx);
  const quorum = fsadmin.command('journal').description('embedded journal administration').command('quorum')
    .description('embedded journal quorum: info, add, remove, elect')
    .addHelpText('after', `
Examples:
  alluxio fsadmin journal quorum info -domain MASTER
  alluxio fsadmin journal quorum elect -address m2:19200
  alluxio fsadmin journal quorum remove -domain MASTER -address m3:19200
  alluxio fsadmin journal quorum add -domain MASTER -address m4:19200`);
  quorum.command('info').description('members, their state, match index and lag, and the leader')
    .option('--domain <domain>', 'the journal domain (required, as in Alluxio): MASTER')
    .option('--json', 'print as JSON (members: address, available, role, matchIndex, lag, recovering)')
    .action(quorumAction('info', true, async (fs, o: { domain?: string; json?: boolean }) => {
      const q: QuorumInfo = await fs.master.call('journal', 'GetQuorumInfo', {});
      if (o.json) ctx.out(JSON.stringify(q, null, 2));
      else printQuorum(ctx, q);
    }));
  quorum.command('add').description('add a master (host:port of its embedded journal) to the quorum')
    .requiredOption('--address <host:port>', 'embedded journal address').option('--domain <domain>', 'the journal domain (required): MASTER')
    .action(quorumAction('add', true, async (fs, o: { address: string; domain?: string }) => {
      await fs.master.call('journal', 'AddQuorumServer', { address: o.address });
      ctx.out(`Added server at: ${o.address} to quorum: MASTER`);
    }));
  quorum.command('remove').description('remove a master from the quorum')
    .requiredOption('--address <host:port>', 'embedded journal address').option('--domain <domain>', 'the journal domain (required, as in Alluxio): MASTER')
    .action(quorumAction('remove', true, async (fs, o: { address: string; domain?: string }) => {
      await fs.master.call('journal', 'RemoveQuorumServer', { address: o.address });
      ctx.out(`Removed server at: ${o.address} from quorum: MASTER`);
    }));
  quorum.command('elect').description('transfer leadership to a master; returns once it serves')
    .requiredOption('--address <host:port>', 'embedded journal address').option('--domain <domain>', 'MASTER (optional; elect is always about the masters)')
    .action(quorumAction('elect', false, async (fs, o: { address: string; domain?: string }) => {
      try {
        // Done when the new leader itself answers (quorum info is served by the serving leader only).
        await fs.master.transferLeadership(o.address, fs.master.policy.maxDurationMs);
      } catch (e) {
        ctx.err(`Failed to elect ${o.address} as the new leader: ${(e as Error).message}`);
        throw e;
      }
      ctx.out(`Successfully elected ${o.address} as the new leader`);
    }));

  fsadmin.command('report').description('cluster summary: leader, ports, workers, capacity; every master and worker with its configuration hash')
    .argument('[category]', 'summary (default), or metrics (the leader\'s metrics, docs/metrics.md)', 'summary')
    .option('--json', 'print as JSON: master (the leader\'s info), capacity, leaderCommitIndex, masters, workers')
    .addHelpText('after', `
After Alluxio's summary lines: "Masters:" (each configured master and quorum member: role
LEADER/STANDBY/UNREACHABLE, applied journal index, lag behind the leader's commit index,
configuration hash, pid) and "Workers:" (each worker's configuration hash). The hash covers the
keys every server should agree on (not hostnames, ports, local paths); * marks one that differs
from the leader's (masters) or from most workers' (workers). A master that does not answer is
shown UNREACHABLE; the command still succeeds.`)
    .action(async (category: string, o: { json?: boolean }) => withFs(ctx, [], async (fs) => {
      if (category === 'metrics') { await reportMetrics(ctx, fs, !!o.json); return; }
      if (category !== 'summary') throw new UsageError(`report category ${category} is not supported; use summary or metrics`);
      const info = await fs.masterInfo();
      const cap = await fs.master.call('block', 'GetCapacity', {});
      const view = await gatherView(fs, info, await fs.workerInfoList(true));
      if (o.json) { ctx.out(JSON.stringify({ master: info, capacity: cap, ...view }, null, 2)); return; }
      const tiers = [...cap.tiers].sort((a: any, b: any) => tierRank(a.alias) - tierRank(b.alias));
      const lines = [
        'Alluxio cluster summary: ',
        `    Master Address: ${info.leaderMasterAddress}`,
        `    Web Port: ${info.webPort}`,
        `    Rpc Port: ${info.rpcPort}`,
        `    Started: ${formatDate(info.startTimeMs)}`,
        `    Uptime: ${uptime(info.upTimeMs)}`,
        `    Version: ${info.version}`,
        `    Safe Mode: ${info.safeMode}`,
        ...(info.journalWriteError ? [`    Journal Write Error: ${info.journalWriteError}`] : []),
        ...(info.filesFailedToPersist > 0 ? [`    Files Failed To Persist: ${info.filesFailedToPersist} (fs stat shows why; fs ls shows them NOT_PERSISTED)`] : []),
        `    Zookeeper Enabled: ${info.zookeeperEnabled}`,
        ...(info.zookeeperEnabled ? ['    Zookeeper Addresses: ', ...info.zookeeperAddresses.map((a: string) => `        ${a}`)] : []),
        `    Live Workers: ${info.liveWorkers}`,
        `    Lost Workers: ${info.lostWorkers}`,
        `    Total Capacity: ${formatBytes(cap.capacityBytes)}`,
        ...tiers.map((t: any) => `        Tier: ${t.alias}  Size: ${formatBytes(t.capacityBytes)}`),
        `    Used Capacity: ${formatBytes(cap.usedBytes)}`,
        ...tiers.map((t: any) => `        Tier: ${t.alias}  Size: ${formatBytes(t.usedBytes)}`),
        `    Free Capacity: ${formatBytes(cap.capacityBytes - cap.usedBytes)}`,
      ];
      for (const l of [...lines, ...renderView(view)]) ctx.out(l);
    }));
}
