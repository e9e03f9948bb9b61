/**
 * Alluxio URIs: `alluxio://authority/path` or a plain `/path`. The authority (single master,
 * `h1:p,h2:p` / `h1:p;h2:p` lists, zk@..., logical names) wins over configured properties.
 */
import { UsageError } from '../errors.js';

export type Authority =
  | { kind: 'none' }
  | { kind: 'single'; host: string; port: number }
  | { kind: 'multi'; addresses: string[] }
  | { kind: 'zookeeper'; addresses: string[] }
  | { kind: 'logical'; type: 'zk' | 'ebj'; name: string }
  | { kind: 'unknown'; raw: string };

export function parseAuthority(raw: string | undefined | null): Authority {
  if (!raw) return { kind: 'none' };
  let m = /^zk@([^:,;+]+:\d+(?:[,;+][^:,;+]+:\d+)*)$/.exec(raw);
  if (m) return { kind: 'zookeeper', addresses: m[1]!.split(/[,;+]/) };
  m = /^([^:,;]+):(\d+)$/.exec(raw);
  if (m) {
    const port = Number(m[2]);
    if (!(port <= 2 ** 31 - 1)) throw new UsageError(`"${raw}": port ${m[2]} is not a number an Alluxio port can be`, { hint: 'use host:port with a port from 1 to 65535' });
    return { kind: 'single', host: m[1]!, port };
  }
  if (/^[^:,;+]+:\d+(?:[,;+][^:,;+]+:\d+)+$/.test(raw)) return { kind: 'multi', addresses: raw.split(/[,;+]/) };
  m = /^(zk|ebj)@([a-zA-Z_\-0-9.]+)$/.exec(raw);
  if (m) return { kind: 'logical', type: m[1] as 'zk' | 'ebj', name: m[2]! };
  return { kind: 'unknown', raw };
}

export interface AlluxioUri { authority: Authority; path: string }

/** Split `alluxio://auth/path`, `alluxio:/path` or `/path`. Other schemes are errors. */
export function parseAlluxioUri(s: string): AlluxioUri {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$/s.exec(s);
  if (!m) return { authority: { kind: 'none' }, path: s };
  if (m[1]!.toLowerCase() !== 'alluxio') throw new UsageError(`"${s}": scheme "${m[1]}" is not supported; use alluxio:// or a path starting with /`);
  let rest = m[2]!;
  let auth = '';
  if (rest.startsWith('//')) {
    rest = rest.slice(2);
    const i = rest.indexOf('/');
    auth = i < 0 ? rest : rest.slice(0, i);
    rest = i < 0 ? '/' : rest.slice(i);
  }
  return { authority: parseAuthority(auth), path: rest || '/' };
}

/** Configuration overrides implied by an authority (empty for none). */
export function authorityOverrides(a: Authority): Record<string, string> {
  switch (a.kind) {
    case 'none': return {};
    case 'single': return { 'alluxio.master.hostname': a.host, 'alluxio.master.rpc.port': String(a.port), 'alluxio.master.rpc.addresses': `${a.host}:${a.port}` };
    case 'multi': return { 'alluxio.master.rpc.addresses': a.addresses.join(',') };
    case 'zookeeper': return { 'alluxio.zookeeper.enabled': 'true', 'alluxio.zookeeper.address': a.addresses.join(',') };
    case 'logical': throw new UsageError(`logical authority ${a.type}@${a.name} is not supported yet`);
    case 'unknown': throw new UsageError(`"${a.raw}" is not a valid Alluxio URI authority`, { hint: 'use host:port, host1:port,host2:port (or ; separated), or zk@host:port,...' });
  }
}
