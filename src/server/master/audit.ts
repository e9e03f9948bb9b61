/**
 * The master's audit log (alluxio.master.audit.logging.enabled): one line per namespace
 * operation in `${alluxio.logs.dir}/master_audit.log`, tab-separated key=value pairs as Alluxio
 * and HDFS write them (succeeded, allowed, ugi, ip, cmd, src, dst, perm, executionTimeUs).
 * Lines are appended in the order operations end; a write error is reported once, never thrown
 * at the operation.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface AuditEntry {
  succeeded: boolean;
  allowed: boolean;
  /** '' with NOSASL (no user known). */
  user: string;
  group: string;
  authType: string;
  ip: string;
  cmd: string;
  src: string;
  dst: string | null;
  /** owner:group:rwxr-xr-x of the source inode before the operation; null when there was none. */
  perm: string | null;
  executionTimeUs: number;
}

/** The line for `e` (no newline). Values cannot break the line: tabs and newlines become spaces. */
export function auditLine(e: AuditEntry): string {
  const v = (x: string | null) => (x === null ? 'null' : x.replace(/[\t\r\n]/g, ' '));
  const ugi = e.user ? `${e.user},${e.group}` : 'null';
  return [
    `succeeded=${e.succeeded}`, `allowed=${e.allowed}`, `ugi=${v(ugi)} (AUTH=${e.authType})`, `ip=${v(e.ip)}`, `cmd=${e.cmd}`,
    `src=${v(e.src)}`, `dst=${v(e.dst)}`, `perm=${v(e.perm)}`, `executionTimeUs=${Math.max(0, Math.round(e.executionTimeUs))}`,
  ].join('\t');
}

export class AuditLog {
  private stream?: fs.WriteStream;
  private failed = false;

  constructor(readonly file: string, private readonly onError: (message: string) => void) {}

  static fileIn(logsDir: string): string { return path.join(logsDir, 'master_audit.log'); }

  write(e: AuditEntry): void {
    if (this.failed) return;
    if (!this.stream) {
      try { fs.mkdirSync(path.dirname(this.file), { recursive: true }); } catch { /* reported by the stream */ }
      this.stream = fs.createWriteStream(this.file, { flags: 'a', mode: 0o640 });
      this.stream.on('error', (err) => {
        if (!this.failed) this.onError(`audit log ${this.file} cannot be written: ${err.message}`);
        this.failed = true;
      });
    }
    const date = new Date().toISOString().replace('T', ' ').replace('Z', '');
    this.stream.write(`${date} INFO AUDIT_LOG: ${auditLine(e)}\n`);
  }

  close(): Promise<void> {
    const st = this.stream;
    this.stream = undefined;
    return new Promise((r) => (st ? st.end(() => r()) : r()));
  }
}
