/**
 * `conf/masters` and `conf/workers`: one host per line. `#` starts a comment (whole line or
 * trailing); blank lines and surrounding blanks are ignored. Every problem in a file is reported
 * at once, each as `file:line: ...`.
 */
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import type { Config } from './config.js';

const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** True for a DNS host name (RFC 1123 labels), a dotted IPv4 address, or a plain or bracketed IPv6 address. */
export function isValidHost(host: string): boolean {
  if (host.startsWith('[') && host.endsWith(']')) return isIPv6(host.slice(1, -1));
  if (host.includes(':')) return isIPv6(host);
  if (/^[0-9.]+$/.test(host)) return isIPv4(host);
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((label) => DNS_LABEL.test(label));
}

/** Parse the text of a hosts file. Returns the hosts in file order (IPv6 brackets removed). */
export function parseHostsText(text: string, file: string): string[] {
  const hosts: string[] = [];
  const problems: string[] = [];
  const firstLine = new Map<string, number>();
  const lines = text.split(/\r\n|\r|\n/);
  lines.forEach((raw, idx) => {
    const n = idx + 1;
    const hash = raw.indexOf('#');
    const content = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (content === '') return;
    const tokens = content.split(/\s+/);
    if (tokens.length > 1) {
      problems.push(`${file}:${n}: "${content}" has more than one host; put one host per line`);
      return;
    }
    const host = tokens[0]!;
    if (!isValidHost(host)) {
      problems.push(`${file}:${n}: "${host}" is not a valid host name or IP address`);
      return;
    }
    const plain = host.startsWith('[') ? host.slice(1, -1) : host;
    const id = plain.toLowerCase();
    const first = firstLine.get(id);
    if (first !== undefined) {
      problems.push(`${file}:${n}: duplicate host "${host}" (first listed on line ${first})`);
      return;
    }
    firstLine.set(id, n);
    hosts.push(plain);
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return hosts;
}

/** Read and parse a hosts file; a missing or unreadable file is a ConfigError naming it. */
export function parseHostsFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ConfigError(`${file} does not exist`, {
        hint: `create ${path.basename(file)} with one host name or IP address per line ("#" starts a comment)`,
      });
    }
    throw new ConfigError(`${file}: cannot read the file (${code ?? String(e)})`);
  }
  return parseHostsText(text, file);
}

/** conf/masters and conf/workers of the conf dir in use. */
export function hostsFiles(conf: Config): { masters: string; workers: string } {
  const dir = conf.get('alluxio.conf.dir') || conf.confDir;
  return { masters: path.join(dir, 'masters'), workers: path.join(dir, 'workers') };
}

/** `host:port` → [host, port]; `[v6]:port` keeps the brackets off. */
export function splitHostPort(hp: string): { host: string; port: number } {
  const i = hp.lastIndexOf(':');
  const host = (i < 0 ? hp : hp.slice(0, i)).replace(/^\[(.*)\]$/, '$1');
  return { host, port: i < 0 ? NaN : Number(hp.slice(i + 1)) };
}
