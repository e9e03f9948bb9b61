/**
 * Who calls the master and what they may do: the caller named in a call's metadata (SIMPLE),
 * the permission checks of each namespace operation (HDFS semantics, permissions.ts) on inodes as
 * the checks see them, and the audit log line of each operation.
 */
import os from 'node:os';
import type * as grpc from '@grpc/grpc-js';
import type { Config } from '../../conf/index.js';
import { USER_KEY } from '../../rpc.js';
import { NotLeaderError, AuthenticationError, PermissionDeniedError, UsageError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Namespace, Inode } from './namespace.js';
import * as perm from './permissions.js';
import { GroupCache } from './groups.js';
import { AuditLog } from './audit.js';

/** User and group names we accept from clients: printable, no blanks, ':' or ',' (owner:group syntax), at most 255 bytes. */
const NAME_RE = /^[^\s:,\x00-\x1f\x7f]{1,255}$/;

/** A user or group name from a client: printable, no blanks, ':' or ','. */
export function checkName(kind: string, v: string): string {
  if (!NAME_RE.test(v)) throw new UsageError(`"${v.slice(0, 64)}" is not a valid ${kind} name`);
  return v;
}

/** The existing inodes along a path as the checks see them; `complete` when the path exists. */
export interface Chain { inodes: Inode[]; views: perm.PermInode[]; complete: boolean }

export class Access {
  /** The OS user running this master: the superuser, and the owner shown for inodes of unknown owner. */
  private readonly superUser = os.userInfo().username;
  /** Its primary group (looked up by start()), shown for inodes of unknown group. */
  private superUserGroup = '';
  /** alluxio.security.authentication.type=SIMPLE: every namespace call names its user. */
  readonly authEnabled: boolean;
  /** SIMPLE and alluxio.security.authorization.permission.enabled: permissions are checked. */
  readonly permissionsEnabled: boolean;
  private readonly umask: number;
  private readonly supergroup: string;
  private readonly groupCache: GroupCache;
  private readonly audit?: AuditLog;

  constructor(private readonly ns: Namespace, conf: Config, log: Logger, private readonly isLeader: () => boolean) {
    this.authEnabled = conf.getEnum('alluxio.security.authentication.type') === 'SIMPLE';
    this.permissionsEnabled = this.authEnabled && conf.getBool('alluxio.security.authorization.permission.enabled');
    this.umask = perm.parseOctal(conf.get('alluxio.security.authorization.permission.umask')) ?? 0o022;
    this.supergroup = conf.get('alluxio.security.authorization.permission.supergroup');
    this.groupCache = new GroupCache(conf.getMs('alluxio.security.group.mapping.cache.timeout'));
    if (conf.getBool('alluxio.master.audit.logging.enabled')) {
      this.audit = new AuditLog(AuditLog.fileIn(conf.get('alluxio.logs.dir')), (m) => log.warn(m));
    }
  }

  /** Look up the superuser's primary group. */
  async start(): Promise<void> {
    this.superUserGroup = (await this.groupCache.primary(this.superUser)) || this.superUser;
  }

  async close(): Promise<void> { await this.audit?.close(); }

  /**
   * Who calls: with SIMPLE, the user named in the call's metadata (sent by every client), its
   * groups on this host, and whether it is a superuser (this master's OS user or a member of
   * alluxio.security.authorization.permission.supergroup). undefined with NOSASL.
   */
  private async caller(call: { metadata?: grpc.Metadata }): Promise<perm.Subject | undefined> {
    if (!this.authEnabled) return undefined;
    const v = call.metadata?.get(USER_KEY)?.[0];
    const user = typeof v === 'string' ? v : '';
    if (!user) {
      throw new AuthenticationError('Unauthenticated: the call names no user (alluxio.security.authentication.type=SIMPLE)', {
        hint: 'use a client of this version (it sends its login user), or set alluxio.security.authentication.type=NOSASL on the masters to turn users off',
      });
    }
    if (!NAME_RE.test(user)) throw new AuthenticationError(`Unauthenticated: "${user.slice(0, 64)}" is not a valid user name`);
    const groups = await this.groupCache.groups(user);
    return { user, groups, superuser: user === this.superUser || groups.includes(this.supergroup) };
  }

  /**
   * What the checks (and clients) see of an inode: an inode of unknown owner (NOSASL, or created
   * before permissions) is this master's, with its group; a known owner without a group (a user
   * with no groups on this host) keeps the empty group.
   */
  readonly view = (n: Inode): perm.PermInode => (n.owner
    ? { owner: n.owner, group: n.group, mode: n.mode }
    : { owner: this.superUser, group: n.group || this.superUserGroup, mode: n.mode });
  readonly entries = (n: Inode) => this.ns.entries(n);

  /** The existing inodes along `path` as the checks see them; `complete` when `path` exists. */
  chainOf(path: string): Chain {
    const { chain, complete } = this.ns.chain(path);
    return { inodes: chain, views: chain.map(this.view), complete };
  }

  /** Owner, group (the user's primary group, as Alluxio) and modes (umask applied) of what `who` creates. */
  newPerm(who: perm.Subject | undefined, dir: boolean): { owner: string; group: string; mode: number; dirMode: number } {
    return {
      owner: who?.user ?? '', group: who?.groups[0] ?? '',
      mode: perm.createMode(dir, this.umask), dirMode: perm.createMode(true, this.umask),
    };
  }

  /** Creating or removing the entry `path`: write and execute on its directory. */
  checkParent(s: perm.Subject | undefined, path: string): Chain {
    const c = this.chainOf(path);
    if (s) perm.checkParentAccess(s, path, c.views, c.complete, perm.WRITE | perm.EXECUTE);
    return c;
  }

  /** Deleting or renaming `path` away: its directory's write permission and sticky bit. */
  checkRemovable(s: perm.Subject | undefined, path: string): void {
    const c = this.checkParent(s, path);
    if (s && c.complete && c.views.length > 1) perm.checkSticky(s, path, c.views[c.views.length - 2]!, c.views[c.views.length - 1]!);
  }

  /**
   * Adding blocks to or completing a file: write on it, except for its owner while it is being
   * written (as a POSIX open for writing stays valid whatever mode the file was created with: a
   * umask of 0277 must not stop a writer from finishing its own file).
   */
  checkWriting(s: perm.Subject | undefined, path: string): void {
    if (!s) return;
    const c = this.chainOf(path);
    const f = c.inodes[c.inodes.length - 1]!;
    if (c.complete && !f.dir && !f.completed && f.owner === s.user) { perm.checkAccess(s, path, c.views, 0); return; }
    perm.checkAccess(s, path, c.views, perm.WRITE);
  }

  /** `bits` on `path` itself (execute on every directory above it). */
  checkPath(s: perm.Subject | undefined, path: string, bits: number): void {
    if (s) perm.checkAccess(s, path, this.chainOf(path).views, bits);
  }

  /**
   * Run a namespace operation as its caller: `fn` gets the caller (undefined with NOSASL) and the
   * subject to check permissions for (undefined when checks are off). With the audit log on, one
   * line records who asked for what and whether it was allowed and succeeded.
   */
  async asCaller<T>(call: grpc.ServerUnaryCall<unknown, unknown>, cmd: string, src: string, dst: string | null,
    fn: (who: perm.Subject | undefined, check: perm.Subject | undefined) => Promise<T>): Promise<T> {
    const t0 = process.hrtime.bigint();
    const before = this.audit ? this.ns.lookup(src) : undefined;
    let who: perm.Subject | undefined;
    let allowed = true;
    let succeeded = false;
    try {
      who = await this.caller(call);
      const result = await fn(who, this.permissionsEnabled ? who : undefined);
      succeeded = true;
      return result;
    } catch (e) {
      if (e instanceof PermissionDeniedError || e instanceof AuthenticationError) allowed = false;
      if (e instanceof NotLeaderError) who = undefined;
      throw e;
    } finally {
      if (this.audit && (succeeded || this.isLeader())) {
        const v = before && this.view(before);
        this.audit.write({
          succeeded, allowed, user: who?.user ?? '', group: who?.groups[0] ?? '', authType: this.authEnabled ? 'SIMPLE' : 'NOSASL',
          ip: `/${call.getPeer?.() ?? ''}`, cmd, src, dst, perm: v ? `${v.owner}:${v.group}:${perm.modeString(v.mode)}` : null,
          executionTimeUs: Number(process.hrtime.bigint() - t0) / 1000,
        });
      }
    }
  }

  /** Administration (fsadmin journal quorum add/remove/elect) is for superusers when permissions are checked. */
  async requireSuperuser(call: { metadata?: grpc.Metadata }, what: string): Promise<void> {
    const who = await this.caller(call);
    if (this.permissionsEnabled && who && !who.superuser) {
      throw new PermissionDeniedError(`Permission denied: user=${who.user} may not ${what}: only a superuser (${this.superUser} or a member of ${this.supergroup}) may`);
    }
  }
}
