/** Helpers shared by the `alluxio fs` verbs: client lifetime, URI authorities, formatting. */
import type { CliContext } from '../context.js';
import type { FileSystem, FileInfo } from '../../client/fileSystem.js';
import { parseAlluxioUri, authorityOverrides } from '../../client/uri.js';
import { UsageError } from '../../errors.js';
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
