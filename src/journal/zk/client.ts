/**
 * The one way this project opens a ZooKeeper client (the election, journal/zk/election.ts; the
 * clients' leader watch, client/zkLeader.ts): node-zookeeper-client, hardened against two defects
 * of its connection manager (version 1.1.3) that let the network crash the whole process:
 *
 * - It parses server packets inside the socket's 'data' handler and throws on anything it does
 *   not understand (an unknown error code, a truncated record: "Unknown code: ...", "offset ...
 *   is out of buffer range", upstream issues #39 and #70). A throw there is an uncaught exception:
 *   one bad or misframed packet ended the process. Here a packet that cannot be parsed drops the
 *   connection instead; the library reconnects and resumes the session (or reports it expired),
 *   exactly as after any other connection loss.
 * - Its reassembly buffer for a partial packet survives a reconnect: the tail of a packet cut by a
 *   lost connection was glued in front of the next connection's first packet, which then parsed
 *   as garbage (seen as "Unknown code: 796786692" in a client whose connection was re-established
 *   while a response was in flight). Here it is cleared whenever a socket connects or closes.
 *
 * And one that stalled the election for good: it clears its connect timeout once TCP connects and
 * then waits for the handshake's answer with no limit. A ZooKeeper server that accepts the
 * connection but never answers (seen right after a restart of the server: the connect request of
 * a session from before the restart stayed unanswered, 48 bytes out, 0 in, for minutes, while a
 * fresh session connected) held the client in CONNECTING forever. Here a handshake unanswered
 * within the library's connect timeout (session timeout / servers) drops the connection; the
 * library tries again (the next server, or the same one).
 */
import { createRequire } from 'node:module';
import zookeeper from 'node-zookeeper-client';

interface ConnectionManagerProto {
  onSocketData(this: ConnectionManager, buffer: Buffer): void;
  onSocketConnected(this: ConnectionManager): void;
  onSocketClosed(this: ConnectionManager, hasError: boolean): void;
}
interface ConnectionManager {
  pendingBuffer: Buffer | null;
  socket?: { destroy(): void; once(event: 'close', l: () => void): void };
  state: number;
  connectTimeout: number;
}

/** The library's STATES.CONNECTING (lib/ConnectionManager.js). */
const CONNECTING = 1;

let hardened = false;

/** Patch the connection manager once per process (idempotent). */
export function hardenZooKeeperClient(): void {
  if (hardened) return;
  hardened = true;
  const require = createRequire(import.meta.url);
  const proto = (require('node-zookeeper-client/lib/ConnectionManager.js') as { prototype: ConnectionManagerProto }).prototype;
  const onData = proto.onSocketData;
  const onConnected = proto.onSocketConnected;
  const onClosed = proto.onSocketClosed;
  proto.onSocketData = function (buffer) {
    try {
      onData.call(this, buffer);
    } catch {
      // An unparsable packet: drop the connection (the 'close' handler reconnects), never the process.
      this.pendingBuffer = null;
      this.socket?.destroy();
    }
  };
  proto.onSocketConnected = function () {
    this.pendingBuffer = null;
    onConnected.call(this);
    const socket = this.socket;
    if (!socket) return;
    const handshake = setTimeout(() => {
      if (this.socket === socket && this.state === CONNECTING) socket.destroy(); // 'close' reconnects
    }, this.connectTimeout);
    handshake.unref();
    socket.once('close', () => clearTimeout(handshake));
  };
  proto.onSocketClosed = function (hasError) {
    this.pendingBuffer = null;
    onClosed.call(this, hasError);
  };
}

/** `zookeeper.createClient`, after hardening the library (see the module comment). */
export function createZkClient(ensemble: string, options: Partial<zookeeper.Option>): zookeeper.Client {
  hardenZooKeeperClient();
  return zookeeper.createClient(ensemble, options);
}
