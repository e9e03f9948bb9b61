/**
 * The typed error hierarchy. Code branches on the class (or `code`), never on message text.
 * Only the bin/ entry points (src/cli.ts, server mains) catch and render these.
 */
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
  readonly code = 'UNAVAILABLE';
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
        UNAVAILABLE: UnavailableError, INVALID_PATH: InvalidPathError, FAILED_PRECONDITION: FailedPreconditionError,
        RESOURCE_EXHAUSTED: ResourceExhaustedError, BLOCK_DOES_NOT_EXIST: BlockDoesNotExistError,
        UNAUTHENTICATED: AuthenticationError,
      };
      const C = table[code] ?? InternalError;
      return new C(message);
    }
  }
}
