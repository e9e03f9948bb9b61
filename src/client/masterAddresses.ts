/**
 * Where the masters are, from the configuration alone (no gRPC): what the orchestrator needs
 * without loading the client (masterClient.ts re-exports it).
 */
import type { Config } from '../conf/index.js';

/** Master rpc addresses from the configuration, in Alluxio's order of preference. */
export function masterRpcAddresses(conf: Config): string[] {
  const rpcPort = conf.getPort('alluxio.master.rpc.port');
  const explicit = conf.getList('alluxio.master.rpc.addresses');
  if (explicit.length) return explicit;
  if (conf.isSet('alluxio.master.embedded.journal.addresses')) {
    const ej = conf.getList('alluxio.master.embedded.journal.addresses');
    if (ej.length > 1) return ej.map((a) => `${hostOf(a)}:${rpcPort}`);
  }
  return [`${conf.get('alluxio.master.hostname') || 'localhost'}:${rpcPort}`];
}

function hostOf(hostPort: string): string {
  const i = hostPort.lastIndexOf(':');
  return i < 0 ? hostPort : hostPort.slice(0, i);
}
