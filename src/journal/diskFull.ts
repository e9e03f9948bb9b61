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
