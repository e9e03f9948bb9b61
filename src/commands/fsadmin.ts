/** `alluxio fsadmin report`: Alluxio's cluster summary. */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { withFs, formatDate } from './fs/shared.js';
import { formatBytes } from '../conf/index.js';
import { uptime } from '../server/web.js';
import { UsageError } from '../errors.js';

const TIER_ORDER = ['MEM', 'SSD', 'HDD'];
const tierRank = (a: string) => { const i = TIER_ORDER.indexOf(a); return i < 0 ? TIER_ORDER.length : i; };

export function register(program: Command, ctx: CliContext): void {
  const fsadmin = program.command('fsadmin').description('administration: cluster report');
  fsadmin.command('report').description('cluster summary: leader, ports, workers, capacity')
    .argument('[category]', 'summary (default)', 'summary')
    .option('--json', 'print as JSON')
    .action(async (category: string, o: { json?: boolean }) => withFs(ctx, [], async (fs) => {
      if (category !== 'summary') throw new UsageError(`report category ${category} is not supported; use summary`);
      const info = await fs.masterInfo();
      const cap = await fs.master.call('block', 'GetCapacity', {});
      if (o.json) { ctx.out(JSON.stringify({ master: info, capacity: cap }, null, 2)); return; }
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
      for (const l of lines) ctx.out(l);
    }));
}
