/**
 * The typed error hierarchy. Code branches on the class (or `code`), never on message text.
 * Only the bin/ entry points (src/cli.ts, server mains) catch and render these.
 */
import { getSystemErrorMap } from 'node:util';

export abstract class AlluxioError extends Error {
  /** Stable machine-readable code, also carried across gRPC as metadata. */
  abstract readonly code: string;
  /** Optional hint shown to the operator under the message. */
  readonly hint?: string;
  /** Process exit code the CLI uses when this error ends a command. */
  readonly exitCode: number = 1;
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    if (opts.hint !== undefined) this.hint = opts.hint;
  }
}

/** A configuration file, key or value is wrong. `problems` lists every problem found at once. */
export class ConfigError extends AlluxioError {
  readonly code = 'CONFIG';
  readonly problems: readonly string[];
  constructor(problems: string | readonly string[], opts: { hint?: string } = {}) {
    const list = typeof problems === 'string' ? [problems] : problems;
    super(list.length === 1 ? list[0]! : `${list.length} configuration problems:\n  ${list.join('\n  ')}`, opts);
    this.problems = list;
  }
}

/** The command line is wrong (unknown verb, bad flag, missing argument). */
export class UsageError extends AlluxioError {
  readonly code = 'USAGE';
}

/** Something failed on a named host. */
export class HostError extends AlluxioError {
  readonly code = 'HOST';
  constructor(readonly host: string, message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(`[${host}] ${message}`, opts);
  }
}

/** SSH failure: unreachable, authentication or host key. */
export class SshError extends AlluxioError {
  readonly code = 'SSH';
  constructor(readonly host: string, readonly kind: 'unreachable' | 'auth' | 'hostkey' | 'dns' | 'other', message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(`[${host}] ${message}`, opts);
  }
}

/** The contacted master is not the leader; `leader` is the leader's rpc address when known. */
export class NotLeaderError extends AlluxioError {
  readonly code = 'NOT_LEADER';
  constructor(readonly leader: string | undefined, message = leader ? `not the leader; the leader is ${leader}` : 'not the leader; no leader is known') {
    super(message);
  }
}

export class TimeoutError extends AlluxioError {
  readonly code = 'TIMEOUT';
}

/** A journal record is corrupt where it cannot be repaired (not a torn tail). */
export class JournalCorruptError extends AlluxioError {
  readonly code = 'JOURNAL_CORRUPT';
}

export class InternalError extends AlluxioError {
  readonly code = 'INTERNAL';
}

/** Remote process unavailable (connection refused, no master answering). */
export class UnavailableError extends AlluxioError {
  readonly code: string = 'UNAVAILABLE';
}

/**
 * A worker refused a new block or UFS stream because it is shutting down (draining after SIGTERM).
 * It answered, so its connection is fine (streams still on it finish); the client goes to another
 * worker at once, or for a read waits until it is back (docs/reliability.md, Worker restarts).
 */
export class WorkerShuttingDownError extends UnavailableError {
  override readonly code: string = 'WORKER_SHUTTING_DOWN';
}

// ---- File system errors (namespace semantics; carried across gRPC by code) ----
export class FileDoesNotExistError extends AlluxioError {
  readonly code = 'FILE_DOES_NOT_EXIST';
  constructor(readonly path: string) { super(`Path "${path}" does not exist.`); }
}
export class FileAlreadyExistsError extends AlluxioError {
  readonly code = 'FILE_ALREADY_EXISTS';
  constructor(readonly path: string) { super(`Path "${path}" already exists.`); }
}
export class DirectoryNotEmptyError extends AlluxioError {
  readonly code = 'DIRECTORY_NOT_EMPTY';
  constructor(readonly path: string) {
    super(`Directory "${path}" is not empty.`, { hint: 'use -R to delete it and everything under it' });
  }
}
export class InvalidPathError extends AlluxioError {
  readonly code = 'INVALID_PATH';
}
/** A request field from the network is malformed (wrong type, out of range, too long). */
export class InvalidArgumentError extends AlluxioError {
  readonly code = 'INVALID_ARGUMENT';
}
export class FailedPreconditionError extends AlluxioError {
  readonly code = 'FAILED_PRECONDITION';
}
export class ResourceExhaustedError extends AlluxioError {
  readonly code = 'RESOURCE_EXHAUSTED';
}
export class BlockDoesNotExistError extends AlluxioError {
  readonly code = 'BLOCK_DOES_NOT_EXIST';
}
/**
 * A block of a file that is not persisted cannot be read: its only copies are on workers that
 * are LOST in the master or do not answer. Names the file, the block and each such worker.
 */
export class BlockLostError extends AlluxioError {
  readonly code = 'BLOCK_LOST';
}

/**
 * The caller may not do this (HDFS/Alluxio permission model): `user` lacked `access` (e.g. -w-)
 * on `path`; the message names the inode where the check failed, its owner, group and mode.
 */
export class PermissionDeniedError extends AlluxioError {
  readonly code = 'PERMISSION_DENIED';
  constructor(message: string, readonly path = '') { super(message); }
}
/** The caller did not say who it is (alluxio.security.authentication.type=SIMPLE needs a user). */
export class AuthenticationError extends AlluxioError {
  readonly code = 'UNAUTHENTICATED';
}

type Ctor = new (...args: any[]) => AlluxioError;
/** Rebuild a typed error from its code and message (used by the gRPC client side). */
export function errorFromCode(code: string, message: string, extra: Record<string, string> = {}): AlluxioError {
  switch (code) {
    case 'FILE_DOES_NOT_EXIST': { const e = new FileDoesNotExistError(extra.path ?? ''); e.message = message; return e; }
    case 'FILE_ALREADY_EXISTS': { const e = new FileAlreadyExistsError(extra.path ?? ''); e.message = message; return e; }
    case 'DIRECTORY_NOT_EMPTY': { const e = new DirectoryNotEmptyError(extra.path ?? ''); e.message = message; return e; }
    case 'NOT_LEADER': return new NotLeaderError(extra.leader || undefined, message);
    case 'PERMISSION_DENIED': return new PermissionDeniedError(message, extra.path ?? '');
    default: {
      const table: Record<string, Ctor> = {
        CONFIG: ConfigError, USAGE: UsageError, TIMEOUT: TimeoutError, JOURNAL_CORRUPT: JournalCorruptError,
        UNAVAILABLE: UnavailableError, WORKER_SHUTTING_DOWN: WorkerShuttingDownError, INVALID_PATH: InvalidPathError, FAILED_PRECONDITION: FailedPreconditionError,
        RESOURCE_EXHAUSTED: ResourceExhaustedError, BLOCK_DOES_NOT_EXIST: BlockDoesNotExistError, BLOCK_LOST: BlockLostError,
        INVALID_ARGUMENT: InvalidArgumentError, UNAUTHENTICATED: AuthenticationError,
      };
      const C = table[code] ?? InternalError;
      return new C(message);
    }
  }
}

// ---- Local file system errors (the CLI's side of copyToLocal, copyFromLocal, cat > file, ...) ----

/**
 * An operation on a local file failed or was refused: names the local path, what was being done
 * and why; `reason` is the system error code (EEXIST, ENOENT, EACCES, ...) so callers can branch
 * on it. Never carries a stack to the user.
 */
export class LocalFileError extends AlluxioError {
  readonly code = 'LOCAL_FILE';
  constructor(readonly path: string, readonly reason: string, message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, opts);
  }
}

/** A Node.js system error (fs, net, child_process): carries `code` (EACCES) and `syscall`. */
export function isSystemError(e: unknown): e is NodeJS.ErrnoException & { code: string; syscall: string } {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string'
    && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

/** What each system error code means to a person, and what to do about it. */
const SYSTEM_ERRORS: Record<string, { text: string; hint?: (path: string) => string }> = {
  ENOENT: { text: 'no such file or directory' },
  EEXIST: { text: 'it already exists' },
  EACCES: { text: 'permission denied', hint: (p) => `check the owner and mode of ${p} and of its parent directories (ls -ld)` },
  EPERM: { text: 'operation not permitted', hint: (p) => `check the owner, mode and attributes of ${p} (ls -ld, lsattr -d)` },
  EISDIR: { text: 'it is a directory' },
  ENOTDIR: { text: 'a component of the path is not a directory' },
  ENOTEMPTY: { text: 'the directory is not empty' },
  ENOSPC: { text: 'no space left on device', hint: (p) => `free some space on the file system holding ${p} (df -h)` },
  EDQUOT: { text: 'disk quota exceeded', hint: () => 'free some space or ask for a larger quota (quota -s)' },
  EROFS: { text: 'read-only file system', hint: () => 'choose a path on a writable file system' },
  ENAMETOOLONG: { text: 'file name too long' },
  ELOOP: { text: 'too many levels of symbolic links' },
  EMFILE: { text: 'too many open files', hint: () => 'raise the open files limit (ulimit -n)' },
  ENFILE: { text: 'too many open files in the system' },
  EIO: { text: 'input/output error' },
  EBUSY: { text: 'device or resource busy' },
  EXDEV: { text: 'cross-device link' },
};

/** `permission denied (EACCES)`: a short description of a system error code. */
export function describeSystemError(e: NodeJS.ErrnoException): string {
  const code = e.code ?? 'UNKNOWN';
  const text = SYSTEM_ERRORS[code]?.text ?? (e.errno !== undefined ? getSystemErrorMap().get(e.errno)?.[1] : undefined) ?? e.message;
  return `${text} (${code})`;
}

/**
 * Turn whatever a local file operation threw into a typed error naming the path: AlluxioErrors
 * pass through, system errors become LocalFileError (`Cannot <action> <path>: <reason> (CODE)`),
 * anything else is rethrown as is (a bug, rendered as an internal error).
 */
export function localFileError(e: unknown, path: string, action: string): AlluxioError {
  if (e instanceof AlluxioError) return e;
  if (!isSystemError(e)) throw e;
  const hint = SYSTEM_ERRORS[e.code]?.hint?.(path);
  return new LocalFileError(path, e.code, `Cannot ${action} ${path}: ${describeSystemError(e)}`, hint === undefined ? { cause: e } : { hint, cause: e });
}
