/**
 * `alluxio logLevel --logName=<name> [--target=master,workers,<host:webPort[:role]>] [--level=<LEVEL>]`,
 * as Alluxio's: set (or, without --level, show) the level of a logger in running servers, without
 * a restart. A logger's level applies to the names below it (`AlluxioMaster`, or a dotted prefix);
 * `root` is every logger. Targets: `master` is every master (its web port from GetMasterInfo),
 * `workers` every live worker of the leader's list, `host:port` one server's web port, with
 * `:master`/`:worker` when the port is not a default one. Default: master,workers.
 *
 * Each server answers its POST /api/v1/<master|worker>/logLevel, with the cluster secret of
 * conf/alluxio-cluster.secret when there is one. The level lasts until the process restarts
 * (conf/log4j.properties holds the lasting ones). Exit code 1 when a target did not answer.
 */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { withFs } from './fs/shared.js';
import { mastersToAsk } from '../client/zkMasters.js';
import { clusterSecret } from '../clusterSecret.js';
import { UsageError } from '../errors.js';
import { LEVELS, isLoggerName, parseLevel } from '../log.js';
import { SECRET_HEADER } from '../server/web.js';
import { describeFetchError } from '../orchestrate/local/processes.js';
import { masterWebUrl, webUrl, DOCTOR_PROBE_MS } from './doctor.js';

type Role = 'master' | 'worker';
interface Target { role: Role; name: string; url: () => Promise<string> }

const DEFAULT_WEB_PORTS: Record<string, Role> = { 19999: 'master', 30000: 'worker' };

/** One `host:port[:role]` target; the role from the port when it is a default web port. */
export function parseHostTarget(t: string): { host: string; port: number; role: Role } {
  const m = /^(.+):(\d{1,5})(?::(master|worker))?$/.exec(t);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) {
    throw new UsageError(`--target ${t} is not master, workers or host:webPort[:master|worker]`, { hint: 'e.g. --target=master,workers or --target=h1:19999,h2:30000 or --target=h3:8080:worker' });
  }
  const role = (m[3] as Role | undefined) ?? DEFAULT_WEB_PORTS[port];
  if (!role) throw new UsageError(`--target ${t}: port ${port} is not a default web port (master 19999, worker 30000), so its role is not known`, { hint: `add the role: --target=${t}:master or --target=${t}:worker` });
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port, role };
}

async function post(url: string, secret: string | undefined): Promise<{ logName: string; level: string }> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: secret ? { [SECRET_HEADER]: secret } : {}, signal: AbortSignal.timeout(DOCTOR_PROBE_MS) });
  } catch (e) {
    throw new Error(describeFetchError(e));
  }
  const body = await res.json().catch(() => undefined) as { logName?: string; level?: string; error?: string } | undefined;
  if (!res.ok) throw new Error(body?.error ?? `HTTP ${res.status}`);
  if (typeof body?.level !== 'string') throw new Error('it answered no level (an older server?)');
  return { logName: String(body.logName), level: body.level };
}

export function register(program: Command, ctx: CliContext): void {
  program.command('logLevel')
    .description('set or show the log level of a logger in running masters and workers')
    .requiredOption('--logName <name>', 'logger name (e.g. AlluxioMaster, AlluxioWorker, root); covers the names below it')
    .option('--target <targets>', 'master, workers, or host:webPort[:master|worker], comma-separated', 'master,workers')
    .option('--level <level>', `new level: ${LEVELS.join(', ')}; without it, the current level is shown`)
    .addHelpText('after', '\nExamples:\n  alluxio logLevel --logName=AlluxioMaster --target=master --level=DEBUG\n  alluxio logLevel --logName=root --target=workers\n  alluxio logLevel --logName=AlluxioWorker --target=h1:30000 --level=INFO')
    .action(async (o: { logName: string; target: string; level?: string }) => {
      if (!isLoggerName(o.logName)) throw new UsageError(`--logName ${o.logName} is not a logger name`, { hint: 'letters, digits and . _ $ -, e.g. AlluxioMaster or root' });
      if (o.level !== undefined && !parseLevel(o.level)) throw new UsageError(`--level ${o.level} is not a log level`, { hint: `one of ${LEVELS.join(', ')}` });
      const words = o.target.split(',').map((s) => s.trim()).filter(Boolean);
      if (words.length === 0) throw new UsageError('--target is empty', { hint: 'e.g. --target=master,workers' });
      for (const w of words) if (w !== 'master' && w !== 'workers') parseHostTarget(w); // usage errors before any network
      const query = `?logName=${encodeURIComponent(o.logName)}${o.level ? `&level=${encodeURIComponent(parseLevel(o.level)!)}` : ''}`;
      const secret = clusterSecret(ctx.conf());
      const targets: Target[] = [];
      const needCluster = words.includes('master') || words.includes('workers');
      const run = async () => {
        let failed = 0;
        const answers = await Promise.all(targets.map(async (t) => {
          try { return { t, ok: await post(await t.url(), secret) }; } catch (e) { return { t, error: (e as Error).message }; }
        }));
        for (const a of answers) {
          if ('ok' in a && a.ok) ctx.out(`${a.t.role} ${a.t.name}: ${a.ok.logName} is at level ${a.ok.level}`);
          else { failed++; ctx.err(`${a.t.role} ${a.t.name}: ${(a as { error: string }).error}`); }
        }
        if (failed) ctx.setExitCode(1);
      };
      const hostTargets = () => {
        for (const w of words.filter((x) => x !== 'master' && x !== 'workers')) {
          const h = parseHostTarget(w);
          targets.push({ role: h.role, name: `${h.host}:${h.port}`, url: async () => webUrl(h.host, h.port, `/api/v1/${h.role}/logLevel${query}`) });
        }
      };
      if (!needCluster) { hostTargets(); await run(); return; }
      await withFs(ctx, [], async (fs) => {
        if (words.includes('master')) {
          for (const addr of await mastersToAsk(fs.conf, fs.master.addresses)) {
            targets.push({ role: 'master', name: addr, url: () => masterWebUrl(addr, `/api/v1/master/logLevel${query}`) });
          }
        }
        if (words.includes('workers')) {
          for (const w of (await fs.workerInfoList(true)).filter((x) => x.state !== 'LOST')) {
            targets.push({ role: 'worker', name: `${w.address.host}:${w.address.rpcPort}`, url: async () => webUrl(w.address.host, w.address.webPort, `/api/v1/worker/logLevel${query}`) });
          }
        }
        hostTargets();
        await run();
      });
    });
}

