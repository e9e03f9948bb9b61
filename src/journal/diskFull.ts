/**
 * A full journal disk is not a reason to stop for good (issue #10, defect 6): the write that
 * failed was not acknowledged, nothing after it was written, and the journal resumes by itself
 * once space returns. Every other write error stays fail-stop.
 */
import { ResourceExhaustedError } from '../errors.js';

/** ENOSPC (no space) or EDQUOT (quota): the disk may have room again later. */
export function isDiskFull(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** The error clients get while `who`'s journal folder is full. */
export function journalDiskFullError(who: string, folder: string, cause: unknown): ResourceExhaustedError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? 'ENOSPC';
  return new ResourceExhaustedError(
    `master ${who} cannot write its journal: ${folder} is full (${code}); writes are refused until space is freed, then resume by themselves`,
    { hint: `free space on the file system of ${folder} (alluxio.master.journal.folder); no acknowledged write was lost` },
  );
}

/**
 * Whether a journal's folder is full right now, for both journals: `failed` on a write that did
 * not fit (logs the first one; returns true then, so callers fail what waits once), `succeeded`
 * on the next write that did (logs how long writes were refused).
 */
export class DiskFullState {
  private state: { since: number; error: ResourceExhaustedError } | undefined;

  constructor(private readonly who: string, private readonly folder: string, private readonly log: (msg: string) => void) {}

  /** The refusal clients get while the folder is full; undefined when it is not. */
  get error(): ResourceExhaustedError | undefined { return this.state?.error; }

  failed(cause: unknown): boolean {
    if (this.state) return false;
    this.state = { since: Date.now(), error: journalDiskFullError(this.who, this.folder, cause) };
    this.log(`journal: ${this.state.error.message}`);
    return true;
  }

  succeeded(): void {
    if (!this.state) return;
    this.log(`journal: writes to ${this.folder} resumed after ${Date.now() - this.state.since} ms`);
    this.state = undefined;
  }
}
