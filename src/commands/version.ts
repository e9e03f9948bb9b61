/** `alluxio version [-r [len]]`: the bare version, as Alluxio's Version command. */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { UsageError } from '../errors.js';
import { VERSION, revision } from '../version.js';

const USAGE = 'Usage: alluxio version [-r [len]]';

/** `2.9.3`, or with `-r` `2.9.3-<sha>` (the first `len` characters of it; `unknown` is never cut). */
export function versionString(rev: boolean | string | undefined, sha = revision()): string {
  if (rev === undefined || rev === false) return VERSION;
  if (rev === true || sha === 'unknown') return `${VERSION}-${sha}`;
  if (!/^[+-]?\d+$/.test(rev.trim())) throw new UsageError(`Couldn't parse ${rev} as an integer`, { hint: USAGE });
  const len = Number(rev);
  if (len < 1) throw new UsageError(`the revision length must be at least 1 (got ${rev})`, { hint: USAGE });
  return `${VERSION}-${sha.slice(0, len)}`;
}

export function register(program: Command, ctx: CliContext): void {
  program.command('version')
    .description('print the version (bare, as Alluxio does); -r adds the git revision of this build')
    .option('-r, --revision [len]', 'append -<git commit> (its first len characters when given)')
    .addHelpText('after', `
The revision is recorded when the install is built (npm run build writes dist/src/revision.txt)
and travels with it; a build without git says "unknown".

Examples:
  alluxio version          # 2.9.3
  alluxio version -r 8     # 2.9.3-1a2b3c4d`)
    .action((o: { revision?: boolean | string }) => ctx.out(versionString(o.revision)));
}
