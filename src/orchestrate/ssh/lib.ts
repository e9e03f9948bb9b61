/**
 * ssh2, loaded on the first connection, once its TCP connect is under way (a macrotask later, so
 * that the other hosts' name lookups and TCP connects are issued first): evaluating ssh2 takes
 * ~10-15 ms of CPU, which then overlaps with every host's sshd accepting and forking instead of
 * coming before any connection starts. Verbs that never connect over SSH never load it.
 *
 * Only the parts named in `Lib` are used. The CLI bundle (scripts/bundle.mjs) relies on that: it
 * maps this import to ssh2's client and key parser alone, without its server, SFTP server,
 * key generator and HTTP agents (which load Node's http, https and tls: ~6 ms of CPU).
 */
import type Ssh2 from 'ssh2';

export interface Lib {
  Client: typeof Ssh2.Client;
  utils: { parseKey: typeof Ssh2.utils.parseKey };
}

let loading: Promise<Lib> | undefined;
let lib: Lib | undefined;

/** Load ssh2 (once). */
export function loadSsh2(): Promise<Lib> {
  return loading ??= new Promise<void>((resolve) => { setImmediate(resolve); })
    .then(() => import('ssh2'))
    .then((m): Lib => (lib = { Client: m.default.Client, utils: { parseKey: m.default.utils.parseKey } }));
}

/** ssh2, once loadSsh2() resolved (the handshake's callbacks run after it). */
export function ssh2(): Lib {
  if (lib === undefined) throw new Error('ssh2 used before loadSsh2() resolved');
  return lib;
}
