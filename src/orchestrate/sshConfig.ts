/**
 * The subset of ssh_config(5) the orchestrator honours, for one host at a time.
 *
 * Keywords used: Host, Include, HostName, User, Port, IdentityFile, StrictHostKeyChecking,
 * UserKnownHostsFile, ConnectTimeout. `Match` blocks are ignored with a warning; ProxyJump and
 * ProxyCommand are not supported and are reported as a note for the hosts they apply to.
 * Everything else is accepted and ignored. As in OpenSSH, the first value obtained for a
 * keyword wins (IdentityFile accumulates), keywords are case-insensitive, `Key Value` and
 * `Key=Value` are both accepted, values may be quoted and `#` starts a comment.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../errors.js';

export interface HostConfig {
  /** The alias as given (a conf/masters or conf/workers line). */
  host: string;
  hostName: string;
  user: string;
  port: number;
  identityFiles: string[];
  strictHostKeyChecking?: 'yes' | 'no' | 'accept-new' | 'ask';
  userKnownHostsFile?: string;
  connectTimeoutSec?: number;
  /** Settings that apply to this host but that we do not support (e.g. ProxyJump), file:line. */
  notes?: string[];
}

export interface SshConfigEntry {
  /** Every list must match the host (Host line patterns; more than one through Include). */
  conditions: (readonly string[])[];
  /** Lower-case keyword. */
  keyword: string;
  args: string[];
  file: string;
  line: number;
}

export interface SshConfigFile {
  file: string;
  entries: SshConfigEntry[];
  warnings: string[];
}

export interface ParseOptions {
  /** Home for `~` and for relative Include paths (`<home>/.ssh/...`). Default: os.homedir(). */
  home?: string;
}

const STRICT_VALUES: Record<string, HostConfig['strictHostKeyChecking']> = {
  yes: 'yes', true: 'yes', no: 'no', off: 'no', false: 'no', 'accept-new': 'accept-new', ask: 'ask',
};
const UNSUPPORTED = new Set(['proxyjump', 'proxycommand']);
const MAX_INCLUDE_DEPTH = 16;

/** Split the value part of a line into words: quotes group, backslash escapes, `#` word ends the line. */
function splitArgs(s: string): { args: string[]; error?: string } {
  const args: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i]!)) i++;
    if (i >= s.length) break;
    if (s[i] === '#') break;
    let word = '';
    let quote: string | undefined;
    for (; i < s.length; i++) {
      const c = s[i]!;
      if (quote !== undefined) {
        if (c === '\\' && (s[i + 1] === quote || s[i + 1] === '\\')) { word += s[++i]; continue; }
        if (c === quote) { quote = undefined; continue; }
        word += c;
        continue;
      }
      if (/\s/.test(c)) break;
      if (c === '"' || c === "'") { quote = c; continue; }
      if (c === '\\' && i + 1 < s.length && /["'\\\s]/.test(s[i + 1]!)) { word += s[++i]; continue; }
      word += c;
    }
    if (quote !== undefined) return { args, error: 'unterminated quote' };
    args.push(word);
  }
  return { args };
}

function expandTilde(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return path.join(home, p.slice(2));
  return p;
}

/** An OpenSSH pattern (`*` any run, `?` one character, all else literal) as an anchored RegExp. */
export function globToRegExp(pattern: string, flags = ''): RegExp {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, flags);
}

/** Expand `*` and `?` in any path component (not matching leading dots), sorted like glob(3). */
function globFiles(pattern: string): string[] {
  if (!/[*?]/.test(pattern)) return fs.existsSync(pattern) ? [pattern] : [];
  const parts = pattern.split('/');
  let bases = [parts[0] === '' ? '/' : parts[0]!];
  for (const part of parts.slice(1)) {
    if (part === '') continue;
    const next: string[] = [];
    for (const b of bases) {
      if (!/[*?]/.test(part)) { next.push(path.join(b, part)); continue; }
      let names: string[];
      try { names = fs.readdirSync(b); } catch { continue; }
      const re = globToRegExp(part);
      for (const n of names.sort()) if (!n.startsWith('.') && re.test(n)) next.push(path.join(b, n));
    }
    bases = next;
  }
  return bases.filter((p) => { try { return fs.statSync(p).isFile(); } catch { return false; } });
}

/** Parse a config text; Include directives read further files from disk. Throws ConfigError listing every problem. */
export function parseSshConfig(text: string, file: string, opts: ParseOptions = {}): SshConfigFile {
  const home = opts.home ?? os.homedir();
  const out: SshConfigFile = { file, entries: [], warnings: [] };
  const problems: string[] = [];
  parseInto(text, file, [], 0, home, out, problems);
  if (problems.length > 0) throw new ConfigError(problems, { hint: 'fix the SSH client configuration (see ssh_config(5))' });
  return out;
}

function parseInto(text: string, file: string, outer: (readonly string[])[], depth: number, home: string, out: SshConfigFile, problems: string[]): void {
  // `current` is the condition for lines that follow; undefined inside an (ignored) Match block.
  let current: (readonly string[])[] | undefined = outer;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const where = `${file}:${lineNo}`;
    const raw = lines[i]!.replace(/\r$/, '');
    const m = /^\s*([^\s=#]+)\s*(?:=\s*)?(.*)$/.exec(raw);
    if (m === null) continue; // blank or comment
    const keyword = m[1]!.toLowerCase();
    const split = splitArgs(m[2]!);
    if (split.error !== undefined) { problems.push(`${where}: ${split.error}`); continue; }
    const args = split.args;
    switch (keyword) {
      case 'host':
        if (args.length === 0) { problems.push(`${where}: Host needs at least one pattern`); current = undefined; continue; }
        current = [...outer, args];
        continue;
      case 'match':
        out.warnings.push(`${where}: Match blocks are not supported; the lines up to the next Host or Match are ignored`);
        current = undefined;
        continue;
      case 'include': {
        if (current === undefined) continue;
        if (args.length === 0) { problems.push(`${where}: Include needs a file name`); continue; }
        if (depth + 1 > MAX_INCLUDE_DEPTH) { problems.push(`${where}: Include nested too deeply (more than ${MAX_INCLUDE_DEPTH} levels)`); continue; }
        for (const a of args) {
          const expanded = expandTilde(a, home);
          const abs = path.isAbsolute(expanded) ? expanded : path.join(home, '.ssh', expanded);
          for (const f of globFiles(abs)) {
            let t: string;
            try { t = fs.readFileSync(f, 'utf8'); } catch (e) {
              problems.push(`${where}: cannot read included file ${f}: ${(e as Error).message}`);
              continue;
            }
            parseInto(t, f, current, depth + 1, home, out, problems);
          }
        }
        continue;
      }
      default:
        break;
    }
    if (current === undefined) continue;
    if (args.length === 0) { problems.push(`${where}: ${m[1]} needs a value`); continue; }
    const v = args[0]!;
    switch (keyword) {
      case 'port': {
        const n = /^\d+$/.test(v) ? Number(v) : NaN;
        if (!(n >= 1 && n <= 65535)) { problems.push(`${where}: bad Port ${JSON.stringify(v)} (expected 1-65535)`); continue; }
        break;
      }
      case 'connecttimeout':
        if (!/^\d+$/.test(v)) { problems.push(`${where}: bad ConnectTimeout ${JSON.stringify(v)} (expected whole seconds)`); continue; }
        break;
      case 'stricthostkeychecking':
        if (STRICT_VALUES[v.toLowerCase()] === undefined) {
          problems.push(`${where}: bad StrictHostKeyChecking ${JSON.stringify(v)} (expected yes, no, accept-new or ask)`);
          continue;
        }
        break;
      default:
        break;
    }
    out.entries.push({ conditions: current, keyword, args, file, line: lineNo });
  }
}

/** One Host line's patterns against the alias: any `!pattern` match excludes, else any positive match includes. */
export function hostPatternsMatch(patterns: readonly string[], host: string): boolean {
  const h = host.toLowerCase();
  let positive = false;
  for (const pat of patterns) {
    const negated = pat.startsWith('!');
    if (globToRegExp((negated ? pat.slice(1) : pat).toLowerCase()).test(h)) {
      if (negated) return false;
      positive = true;
    }
  }
  return positive;
}

function expandTokens(s: string, tokens: Record<string, string>): string {
  return s.replace(/%(.)/g, (all, c: string) => (c === '%' ? '%' : tokens[c] ?? all));
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/**
 * What applies to `host`: config values (first wins), else the defaults (user as given, port
 * 22, the default key files that exist under `<home>/.ssh`).
 */
export function resolveHost(cfg: SshConfigFile | undefined, host: string, defaults: { user: string; home: string }): HostConfig {
  const first = new Map<string, SshConfigEntry>();
  const identity: SshConfigEntry[] = [];
  const notes: string[] = [];
  for (const e of cfg?.entries ?? []) {
    if (!e.conditions.every((c) => hostPatternsMatch(c, host))) continue;
    if (e.keyword === 'identityfile') { identity.push(e); continue; }
    if (first.has(e.keyword)) continue;
    first.set(e.keyword, e);
    if (UNSUPPORTED.has(e.keyword) && e.args[0]!.toLowerCase() !== 'none') {
      notes.push(`${e.file}:${e.line}: ${e.keyword === 'proxyjump' ? 'ProxyJump' : 'ProxyCommand'} is not supported; connecting directly`);
    }
  }
  const val = (k: string): string | undefined => first.get(k)?.args[0];
  const hostName = expandTokens(val('hostname') ?? host, { h: host });
  const user = val('user') ?? defaults.user;
  const port = Number(val('port') ?? 22);
  const tokens: Record<string, string> = {
    h: hostName, n: host, u: defaults.user, r: user, d: defaults.home, p: String(port),
  };
  const files: string[] = [];
  for (const e of identity) {
    if (e.args[0]!.toLowerCase() === 'none') continue;
    const f = expandTilde(expandTokens(e.args[0]!, tokens), defaults.home);
    if (!files.includes(f)) files.push(f);
  }
  if (identity.length === 0) {
    for (const k of DEFAULT_KEYS) {
      const f = path.join(defaults.home, '.ssh', k);
      if (fs.existsSync(f)) files.push(f);
    }
  }
  const out: HostConfig = { host, hostName, user, port, identityFiles: files };
  const strict = val('stricthostkeychecking');
  if (strict !== undefined) out.strictHostKeyChecking = STRICT_VALUES[strict.toLowerCase()]!;
  const known = val('userknownhostsfile');
  if (known !== undefined) out.userKnownHostsFile = expandTilde(expandTokens(known, tokens), defaults.home);
  const ct = val('connecttimeout');
  if (ct !== undefined) out.connectTimeoutSec = Number(ct);
  if (notes.length > 0) out.notes = notes;
  return out;
}
