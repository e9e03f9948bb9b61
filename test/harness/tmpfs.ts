/**
 * Small tmpfs mounts for tests that need a disk that fills up (ENOSPC) and then grows: the
 * journal disk-full tests and the fault suite. Needs root (root.ts `needsRoot` says when to skip).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export class Tmpfs {
  private constructor(readonly dir: string) {}

  /** Mount a tmpfs of `size` (e.g. '1m') on `dir` (created if missing), or on a new temp directory. */
  static mount(size: string, dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alluxio-tmpfs-'))): Tmpfs {
    fs.mkdirSync(dir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
    return new Tmpfs(dir);
  }

  /** Fill the file system with `file` until no 4 KiB page is left (ENOSPC); returns the bytes written. */
  fill(file = path.join(this.dir, 'filler')): number {
    const fd = fs.openSync(file, 'w');
    let total = 0;
    try {
      for (const size of [1024 * 1024, 64 * 1024, 4096]) {
        const chunk = Buffer.alloc(size, 0x5a);
        for (let i = 0; i < 100_000; i++) {
          try { total += fs.writeSync(fd, chunk); } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
            break;
          }
        }
      }
    } finally { fs.closeSync(fd); }
    return total;
  }

  /** Grow (or shrink) the file system in place; files stay. */
  resize(size: string): void {
    execFileSync('mount', ['-o', `remount,size=${size}`, this.dir]);
  }

  unmount(): void {
    try { execFileSync('umount', ['-l', this.dir]); } catch { /* already gone */ }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
