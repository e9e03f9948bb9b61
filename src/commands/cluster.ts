/** Shared by the verbs that act on the hosts of conf/masters and conf/workers. */
import type { CliContext } from './context.js';
import { ClusterSession, parseClusterOptions } from '../orchestrate/cluster.js';

/**
 * Parse the cluster options out of `args`, open a session (hosts files, SSH pool), run `fn`,
 * close everything, and set the exit code from the per-host results (1 when any host failed).
 */
export async function withCluster(
  ctx: CliContext, args: readonly string[], verb: string,
  fn: (session: ClusterSession, rest: string[]) => Promise<number>,
): Promise<void> {
  const { rest, opts } = parseClusterOptions(args);
  const command = ['alluxio', verb, ...args].join(' ');
  const session = await ClusterSession.open(ctx.conf(), opts, command, ctx.flags, { out: (l) => ctx.out(l), err: (l) => ctx.err(l) });
  try {
    ctx.setExitCode(await fn(session, rest));
  } catch (e) {
    session.rep.stopSpinner();
    throw e;
  } finally {
    await session.close();
  }
}
