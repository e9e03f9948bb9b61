/**
 * Timeline of a journal write, for benchmarks only: with JOURNAL_TRACE_DIR set (an environment
 * variable, not an Alluxio property: the bench sets it for the masters it starts), each master
 * process records when a write passes each stage of its critical path, and writes the records to
 * `<dir>/trace-<pid>.jsonl` (one `[stage, index, ns]` per line; ns from the monotonic clock, which
 * every process on one machine shares, so the files of several processes line up).
 *
 * Off by default and free when off: `trace` is then undefined, and every call site is
 * `trace?.(...)`, a single check that evaluates none of its arguments.
 *
 * Stages (index = the Raft index of the entry, or 0 where it is not known yet):
 * - leader: `recv` (the createFile handler starts, 0), `propose` (the entry has its index),
 *   `send` (appends handed to the transport; the socket write follows at the end of the turn),
 *   `write` (its own write handed to the disk), `saved` (its own write durable),
 *   `ack` (a follower's acknowledgement arrived, index = what it acknowledged), `apply` (the
 *   entry applied and its caller answered);
 * - follower: `append` (an append arrived, index = its last entry), `write`, `saved`,
 *   `acksent` (the acknowledgement handed to the transport).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Records kept at most (a bench run makes far fewer; the rest are dropped, not grown without bound). */
const MAX_RECORDS = 2_000_000;

function tracer(dir: string): (stage: string, index: number) => void {
  const file = path.join(dir, `trace-${process.pid}.jsonl`);
  let lines: string[] = [];
  let kept = 0;
  const flush = () => {
    if (!lines.length) return;
    try { fs.appendFileSync(file, lines.join('\n') + '\n'); } catch { /* the bench's folder is gone: nothing to keep */ }
    lines = [];
  };
  setInterval(flush, 500).unref();
  process.on('exit', flush);
  return (stage, index) => {
    if (kept++ >= MAX_RECORDS) return;
    lines.push(`["${stage}",${index},${process.hrtime.bigint()}]`);
  };
}

const dir = process.env.JOURNAL_TRACE_DIR;
export const trace: ((stage: string, index: number) => void) | undefined = dir ? tracer(dir) : undefined;
