/**
 * The effective configuration of a process: every key's resolved value. Its hash identifies a
 * configuration across hosts and processes (the per-host protocol reports it; diffConf and
 * rolling restarts compare it), so it depends on the values only, never on where they came from.
 */
import { createHash } from 'node:crypto';
import type { Config } from './config.js';
import { SCHEMA, consistencyOf } from './schema.js';

/** Every known key with its resolved value ('' when unset), in key order. */
export function effectiveProperties(conf: Config): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of conf.keys()) out[key] = conf.get(key);
  return out;
}

/** sha256 (hex) of `key=value\n` for every key in order: equal exactly when every value is. */
export function configHash(conf: Config | Readonly<Record<string, string>>): string {
  const props = isConfig(conf) ? effectiveProperties(conf) : conf;
  const h = createHash('sha256');
  for (const key of Object.keys(props).sort()) h.update(`${key}=${props[key]}\n`);
  return h.digest('hex');
}

/** Keys whose value may differ from host to host (consistency IGNORE: hostnames, ports, local paths, sizes). */
const HOST_SPECIFIC = new Set(SCHEMA.filter((s) => consistencyOf(s) === 'IGNORE').map((s) => s.key));

/**
 * configHash over the keys that must or should be the same on every server (consistency ENFORCE
 * or WARN): equal on two hosts running the same cluster configuration, whatever their hostnames,
 * ports and local paths (their configHash differs). fsadmin report compares it across servers.
 */
export function sharedConfigHash(conf: Config | Readonly<Record<string, string>>): string {
  const props = isConfig(conf) ? effectiveProperties(conf) : conf;
  return configHash(Object.fromEntries(Object.entries(props).filter(([k]) => !HOST_SPECIFIC.has(k))));
}

function isConfig(c: Config | Readonly<Record<string, string>>): c is Config {
  return typeof (c as Config).keys === 'function' && typeof (c as Config).get === 'function';
}
