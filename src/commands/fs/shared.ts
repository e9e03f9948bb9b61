/** Helpers shared by the `alluxio fs` verbs: client lifetime, URI authorities, formatting. */
import type { CliContext } from '../context.js';
import type { FileSystem, FileInfo } from '../../client/fileSystem.js';
import { parseAlluxioUri, authorityOverrides } from '../../client/uri.js';
import { AlluxioError, UsageError, UnavailableError, TimeoutError, NotLeaderError, ConfigError } from '../../errors.js';
import { describeError } from '../errorOutput.js';
import { modeString as permString } from '../../server/master/permissions.js';

/**
 * Run `fn` with a FileSystem client. Paths may be alluxio://authority/path: all must agree on
 * the authority, which overrides the configured master addresses. Returns the plain paths.
 */
export async function withFs<T>(ctx: CliContext, uris: string[], fn: (fs: FileSystem, paths: string[]) => Promise<T>): Promise<T> {
  const parsed = uris.map(parseAlluxioUri);
  const auths = new Set(parsed.filter((p) => p.authority.kind !== 'none').map((p) => JSON.stringify(p.authority)));
  if (auths.size > 1) throw new UsageError('all alluxio:// paths of one command must name the same masters');
  let conf = ctx.conf();
  const withAuth = parsed.find((p) => p.authority.kind !== 'none');
  if (withAuth) conf = conf.with(authorityOverrides(withAuth.authority), 'URI_AUTHORITY');
  // Loaded here, not at start-up: gRPC costs ~60 ms that verbs without a master need not pay.
  const { FileSystem: Client } = await import('../../client/fileSystem.js');
  const fs = new Client(conf);
  try {
    return await fn(fs, parsed.map((p) => p.path));
  } finally {
    fs.close();
  }
}

/** Errors that say nothing about one path but about the cluster or the command: no use going on. */
function stopsAllPaths(e: unknown): boolean {
  return !(e instanceof AlluxioError) || e instanceof UnavailableError || e instanceof TimeoutError
    || e instanceof NotLeaderError || e instanceof ConfigError || e instanceof UsageError;
}

/**
 * Apply `fn` to every path of a multi-path verb (`fs rm a b c`, `fs mkdir a b`), as Alluxio's
 * shell does: a failure on one path is printed (Error/Hint lines) and the next path is tried;
 * `fn` returns the success line to print. The exit code is non-zero when any path failed. An
 * error about the cluster rather than the path (unreachable, timeout) stops the loop and names
 * the paths that were not tried.
 */
export async function forEachPath(ctx: CliContext, paths: readonly string[], fn: (path: string) => Promise<string>): Promise<void> {
  let exitCode = 0;
  for (let i = 0; i < paths.length; i++) {
    try {
      ctx.out(await fn(paths[i]!));
    } catch (e) {
      const report = describeError(e);
      for (const l of report.lines) ctx.err(l);
      if (exitCode === 0) exitCode = report.exitCode;
      if (stopsAllPaths(e) && i + 1 < paths.length) {
        ctx.err(`Not attempted: ${paths.slice(i + 1).join(' ')}`);
        break;
      }
    }
  }
  if (exitCode !== 0) ctx.setExitCode(exitCode);
}

export function pad(s: string | number, n: number): string { return String(s).padEnd(n); }

/** Alluxio's date format MM-dd-yyyy HH:mm:ss:SSS */
export function formatDate(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getMonth() + 1)}-${p(d.getDate())}-${d.getFullYear()} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}:${p(d.getMilliseconds(), 3)}`;
}

/** `drwxr-xr-x`, `-rw-r--r--`, `drwxrwxrwt` (sticky bit). */
export function modeString(info: FileInfo): string {
  return (info.folder ? 'd' : '-') + permString(info.mode);
}
