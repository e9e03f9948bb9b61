/**
 * ssh2, loaded on the first connection, once its TCP connect is under way (a macrotask later, so
 * that the other hosts' name lookups and TCP connects are issued first): evaluating ssh2 takes
 * ~10-15 ms of CPU, which then overlaps with every host's sshd accepting and forking instead of
 * coming before any connection starts. Verbs that never connect over SSH never load it.
 */
import type Ssh2 from 'ssh2';

type Lib = typeof Ssh2;
let loading: Promise<Lib> | undefined;
let lib: Lib | undefined;

/** Load ssh2 (once). */
export function loadSsh2(): Promise<Lib> {
  return loading ??= new Promise<void>((resolve) => { setImmediate(resolve); })
    .then(() => import('ssh2'))
    .then((m) => (lib = m.default));
}

/** ssh2, once loadSsh2() resolved (the handshake's callbacks run after it). */
export function ssh2(): Lib {
  if (lib === undefined) throw new Error('ssh2 used before loadSsh2() resolved');
  return lib;
}
