/**
 * Output of multi-host commands (convention 7): phases, `[host]` prefixes padded to the longest
 * name, one ora spinner at a time (none without a TTY or with --json), a per-host summary table
 * printed before the exit code, and --json for machines.
 */
import chalk from 'chalk';
import type { Ora } from 'ora';
import type { HostResult, HostStatus } from './runner.js';

export interface ReporterOptions {
  json: boolean;
  out(line: string): void;
  err(line: string): void;
  /** The spinner factory (ora, loaded only when stdout is a TTY and not --json); none: no spinner. */
  spinner?: ((text: string) => Ora) | undefined;
}

export interface PhaseRecord { phase: string; results: HostResult[] }

const STATUS_COLOUR: Record<HostStatus, (s: string) => string> = {
  ok: chalk.green, changed: chalk.yellow, failed: chalk.red, skipped: chalk.gray,
};

export class Reporter {
  private width = 0;
  private spin: Ora | undefined;
  readonly phases: PhaseRecord[] = [];
  readonly notes: string[] = [];

  constructor(readonly opts: ReporterOptions) {}

  /** Pad `[host]` prefixes to the longest of these names. */
  setHosts(hosts: readonly string[]): void {
    this.width = Math.max(this.width, ...hosts.map((h) => h.length + 2));
  }

  private print(line: string, stream: 'out' | 'err' = 'out'): void {
    if (this.opts.json) return;
    if (this.spin) this.spin.clear();
    if (stream === 'out') this.opts.out(line); else this.opts.err(line);
    if (this.spin) this.spin.render();
  }

  phase(title: string): void {
    this.stopSpinner();
    this.print(chalk.bold(title));
    if (this.opts.spinner && !this.opts.json) this.spin = this.opts.spinner(title).start();
  }

  stopSpinner(): void {
    if (this.spin) { this.spin.stop(); this.spin = undefined; }
  }

  /** A line about a host, prefixed `[host]`. */
  host(host: string, text: string, stream: 'out' | 'err' = 'out'): void {
    for (const l of text.replace(/\n+$/, '').split('\n')) this.print(`${`[${host}]`.padEnd(this.width)} ${l}`, stream);
  }

  info(text: string): void { this.print(text); }

  warn(text: string): void {
    this.notes.push(text);
    this.print(`${chalk.yellow('Warning:')} ${text}`, 'err');
  }

  /** Record a phase's per-host results and print failures with their detail. */
  record(phase: string, results: HostResult[]): void {
    this.stopSpinner();
    this.phases.push({ phase, results });
    for (const r of results) if (r.status === 'failed') this.host(r.host, `${chalk.red('FAILED')} ${phase}: ${r.detail}${hintOf(r.error)}`, 'err');
  }

  failedHosts(): string[] {
    return [...new Set(this.phases.flatMap((p) => p.results.filter((r) => r.status === 'failed').map((r) => r.host)))];
  }

  /** The summary table (or JSON). Returns the exit code: 1 when any host failed. */
  finish(extra: Record<string, unknown> = {}): number {
    this.stopSpinner();
    const failed = this.failedHosts();
    if (this.opts.json) {
      this.opts.out(JSON.stringify({
        ok: failed.length === 0, failedHosts: failed, ...extra, notes: this.notes,
        phases: this.phases.map((p) => ({ phase: p.phase, results: p.results.map((r) => ({ host: r.host, status: r.status, detail: r.detail, ms: r.ms })) })),
      }, null, 2));
      return failed.length ? 1 : 0;
    }
    if (this.phases.length) {
      const rows = this.phases.flatMap((p) => p.results.map((r) => [r.host, p.phase, r.status, r.detail.split('\n')[0]!] as const));
      const w = [0, 1, 2].map((i) => Math.max(['HOST', 'STEP', 'RESULT'][i]!.length, ...rows.map((r) => r[i]!.length)));
      this.opts.out('');
      this.opts.out(chalk.bold(`${'HOST'.padEnd(w[0]!)}  ${'STEP'.padEnd(w[1]!)}  ${'RESULT'.padEnd(w[2]!)}  DETAIL`));
      for (const r of rows) {
        this.opts.out(`${r[0].padEnd(w[0]!)}  ${r[1].padEnd(w[1]!)}  ${STATUS_COLOUR[r[2] as HostStatus](r[2].padEnd(w[2]!))}  ${r[3]}`);
      }
    }
    if (failed.length) this.opts.err(chalk.red(`${failed.length} host(s) failed: ${failed.join(', ')}`));
    return failed.length ? 1 : 0;
  }
}

function hintOf(e: Error | undefined): string {
  const hint = (e as { hint?: string } | undefined)?.hint;
  return hint ? `\n  Hint: ${hint}` : '';
}
