/**
 * Is a host from conf/masters or conf/workers this machine? Such hosts are driven directly,
 * without SSH, by the cluster commands.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import os from 'node:os';

/** Addresses of this host's interfaces, lower-case (IPv6 zone ids dropped). */
export function localAddresses(): Set<string> {
  const out = new Set<string>(['127.0.0.1', '::1']);
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) out.add(a.address.toLowerCase().replace(/%.*$/, ''));
  }
  return out;
}

function isLoopbackAddress(a: string): boolean {
  return a === '::1' || /^127\./.test(a) || /^::ffff:127\./i.test(a);
}

export type Resolver = (host: string) => Promise<string[]>;

const defaultResolver: Resolver = async (host) => {
  const timeout = new Promise<string[]>((resolve) => { setTimeout(() => resolve([]), 3000).unref(); });
  const res = lookup(host, { all: true }).then((r) => r.map((x) => x.address), () => [] as string[]);
  return Promise.race([res, timeout]);
};

/**
 * True when `host` is this machine: localhost, a loopback address, os.hostname() (or its short
 * form), an address of a local interface, or a name resolving to one of those addresses.
 */
export async function isLocalHost(host: string, resolve: Resolver = defaultResolver): Promise<boolean> {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  const addrs = localAddresses();
  if (h === 'localhost' || h === 'localhost.localdomain' || isLoopbackAddress(h) || addrs.has(h)) return true;
  const me = os.hostname().toLowerCase();
  if (h === me || h === me.split('.')[0]) return true;
  if (isIP(h)) return false;
  const resolved = await resolve(h);
  return resolved.some((a) => isLoopbackAddress(a.toLowerCase()) || addrs.has(a.toLowerCase()));
}
