/**
 * What running a command gives back, and what the two runners share so that a command behaves
 * the same run here (executor.ts runLocal) or over SSH (ssh/channel.ts): one output cap (the
 * tail is kept), output streamed as whole UTF-8 characters, one exit status rule (a signal
 * gives 128 + its number, as a shell reports it) and one timeout error.
 */
import os from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import { TimeoutError } from '../errors.js';

export interface ExecResult {
  host: string;
  code: number;
  signal?: string;
  stdout: string;
  stderr: string;
  ms: number;
  /** Bytes dropped from the head of stdout/stderr to keep each within OUTPUT_CAP (only when any were). */
  droppedBytes?: { stdout: number; stderr: number };
}

export interface RunOptions {
  /** Kill the command after this long and reject with TimeoutError. */
  timeoutMs?: number;
  onStdout?(chunk: string): void;
  onStderr?(chunk: string): void;
}

/** Cap on kept stdout and stderr, each (the tail is kept). */
export const OUTPUT_CAP = 1024 * 1024;

/** Keeps the last `cap` bytes of a stream. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  total = 0;
  constructor(private readonly cap: number) {}
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    this.total += b.length;
    if (this.size > 2 * this.cap) this.compact();
  }
  private compact(): void {
    const all = Buffer.concat(this.chunks);
    const kept = all.subarray(Math.max(0, all.length - this.cap));
    this.chunks = [kept];
    this.size = kept.length;
  }
  dropped(): number {
    return Math.max(0, this.total - this.cap);
  }
  text(): string {
    this.compact();
    let b = this.chunks[0] ?? Buffer.alloc(0);
    if (this.dropped() > 0) {
      // Do not start in the middle of a UTF-8 sequence.
      let i = 0;
      while (i < 3 && i < b.length && (b[i]! & 0xc0) === 0x80) i++;
      b = b.subarray(i);
    }
    return b.toString('utf8');
  }
}

/** One stream of a command: keeps its capped tail and passes whole characters to `on`. */
class Stream {
  private readonly tail = new Tail(OUTPUT_CAP);
  private readonly decoder = new StringDecoder('utf8');
  constructor(private readonly on: ((chunk: string) => void) | undefined) {}
  push(b: Buffer): void {
    this.tail.push(b);
    if (this.on) { const s = this.decoder.write(b); if (s !== '') this.on(s); }
  }
  /** Pass on what the decoder still holds (an incomplete character at the end). */
  flush(): void {
    const s = this.decoder.end();
    if (s !== '' && this.on) this.on(s);
  }
  text(): string { return this.tail.text(); }
  dropped(): number { return this.tail.dropped(); }
}

/** Collects a command's stdout and stderr and builds its ExecResult. */
export class CommandOutput {
  private readonly out: Stream;
  private readonly err: Stream;
  /** `t0`: when the run began (performance.now()), for ExecResult.ms; default now. */
  constructor(private readonly host: string, opts: RunOptions, private readonly t0 = performance.now()) {
    this.out = new Stream(opts.onStdout);
    this.err = new Stream(opts.onStderr);
  }
  stdout(b: Buffer): void { this.out.push(b); }
  stderr(b: Buffer): void { this.err.push(b); }
  /** Flush the streaming callbacks; call once, when the command is over (also on failure). */
  end(): void {
    this.out.flush();
    this.err.flush();
  }
  result(code: number, signal?: string): ExecResult {
    const r: ExecResult = { host: this.host, code, stdout: this.out.text(), stderr: this.err.text(), ms: Math.round(performance.now() - this.t0) };
    if (signal !== undefined) r.signal = signal;
    if (this.out.dropped() > 0 || this.err.dropped() > 0) r.droppedBytes = { stdout: this.out.dropped(), stderr: this.err.dropped() };
    return r;
  }
}

/** The exit status a shell reports: the code, or 128 + the signal's number (255 when neither is known). */
export function exitStatus(code: number | null | undefined, signal: string | null | undefined): number {
  if (typeof code === 'number') return code;
  const n = signal ? (os.constants.signals as Record<string, number>)[signal] : undefined;
  return n !== undefined ? 128 + n : 255;
}

/** The one error a timed-out command rejects with, here or over SSH (after it was sent SIGKILL). */
export function commandTimeout(host: string, command: string, timeoutMs: number): TimeoutError {
  return new TimeoutError(`[${host}] timed out after ${timeoutMs} ms running: ${command}`, {
    hint: `the command was sent SIGKILL; processes it started may still be running on ${host}`,
  });
}
