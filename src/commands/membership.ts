/**
 * `alluxio addMaster <host>` and `alluxio removeMaster <host>`: grow or shrink the embedded
 * journal's quorum online, one master per command (src/orchestrate/membership.ts).
 */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { withCluster } from './cluster.js';
import { DEFAULT_PARALLEL, parseClusterOptions } from '../orchestrate/cluster.js';
import { JOIN_MS, clusterMembership, type MembershipOp } from '../orchestrate/membership.js';
import { CATCH_UP_MS } from '../orchestrate/rolling.js';
import { isValidHost } from '../conf/index.js';
import { usageFailure } from './errorOutput.js';

const OPTIONS = `Options:
  --dry-run                print the checks' outcome and the steps; change nothing
  --json                   the per-step, per-host results (or the --dry-run plan) as JSON
  --parallel N             hosts asked at once (default ${DEFAULT_PARALLEL})
  --accept-new-host-keys   add unknown SSH host keys to ~/.ssh/known_hosts (a changed key is still refused)`;

export const ADD_MASTER_USAGE = `Usage: alluxio addMaster [-h] <host>
Adds the master of <host> to the running embedded journal quorum, online. First add <host> to
conf/masters and its embedded journal address (host:19200) to
alluxio.master.embedded.journal.addresses; then this command:
  - checks the cluster: a master leads, and the quorum stays able to commit while the new
    master catches up (it does not count until then: n+1 members need quorum(n+1) of the n
    running ones up to date); no master lagging;
  - pushes the install and conf/ to <host>, and conf/ to every host whose conf differs;
  - formats the journal of <host> only (it rejoins: no other journal is touched), starts its
    master, adds it with quorum add through the leader, and waits until it has caught up from
    the leader, by snapshot when the log was compacted (at most ${JOIN_MS / 1000} s);
  - rolls the new address list onto the other masters (standbys one at a time, each caught up
    within ${CATCH_UP_MS / 1000} s, the leader last after a transfer) and the workers, as
    alluxio rollingRestart all.
Rerun after a failure to resume: a host already a member keeps its journal and only the
catch-up and the roll are done. Every step goes to the audit log (alluxio.logs.dir/audit.log).
A single master (local journal) cannot be grown online: see docs/orchestration.md.
-h  Show this help.
${OPTIONS}
Examples:
  alluxio addMaster --dry-run m4     what would be done
  alluxio addMaster m4`;

export const REMOVE_MASTER_USAGE = `Usage: alluxio removeMaster [-h] <host>
Removes the master of <host> from the running embedded journal quorum, online. First remove
<host> from conf/masters and its entry from alluxio.master.embedded.journal.addresses; then this
command:
  - checks the cluster: a master leads, the members left can still elect (quorum(n-1) of them
    up to date), one master removed per command (removing several at once could remove a
    majority), at least two masters left;
  - transfers leadership to a caught-up member first if <host> leads;
  - removes it with quorum remove through the leader and stops its master (over SSH);
  - pushes conf/ to every host whose conf differs and rolls the new address list onto the
    remaining masters and the workers, as alluxio rollingRestart all.
The journal of <host> stays on disk (nothing is deleted); the command prints how to remove it.
Rerun after a failure to resume. Every step goes to the audit log (alluxio.logs.dir/audit.log).
-h  Show this help.
${OPTIONS}
Examples:
  alluxio removeMaster --dry-run m4
  alluxio removeMaster m4`;

function registerOne(program: Command, ctx: CliContext, verb: string, op: MembershipOp, usage: string, description: string): void {
  program.command(verb)
    .description(description)
    .usage('[-h] <host>')
    .argument('[args...]', 'the host')
    .allowUnknownOption()
    .helpOption('-h, --help', 'show this help')
    .addHelpText('after', `\n${usage.split('\n').slice(1).join('\n')}`)
    .action(async (args: string[]) => {
      const { rest } = parseClusterOptions(args);
      if (rest.length !== 1 || rest[0]!.startsWith('-') || !isValidHost(rest[0]!)) {
        usageFailure(ctx, rest.length ? `Invalid arguments: ${rest.join(' ')} (expected one host name)` : `${verb} needs the host of the master`, usage);
        return;
      }
      await withCluster(ctx, args, verb, (session) => clusterMembership(session, op, rest[0]!));
    });
}

export function register(program: Command, ctx: CliContext): void {
  registerOne(program, ctx, 'addMaster', 'add', ADD_MASTER_USAGE, 'add a master to the embedded journal quorum online (after adding it to conf/masters and the journal addresses)');
  registerOne(program, ctx, 'removeMaster', 'remove', REMOVE_MASTER_USAGE, 'remove a master from the embedded journal quorum online (after removing it from conf/masters and the journal addresses)');
}
