/**
 * A Raft transport in a process of its own, for transport.test.ts's connection-reset tests: it
 * listens on loopback port 0, prints {"port": N}, and sends a heartbeat to `a` at the address in
 * argv[2] every 20 ms (as a leader would), until it is killed. argv[3]: the wire ('framed' or
 * 'grpc', NetTransportOptions.wire; default framed).
 */
import { NetTransport } from '../../../src/journal/raft/transport.js';

// `node --test dist/test/` runs every .js file below a directory named test, this one too
// (without arguments): under the test runner it is not a test and does nothing.
if (process.env.NODE_TEST_CONTEXT !== undefined && process.argv.length <= 2) process.exit(0);

const aAddress = process.argv[2]!;
const wire = process.argv[3] === 'grpc' ? 'grpc' : 'framed';
const { transport, port } = await NetTransport.start('b', { host: '127.0.0.1', port: 0 }, new Map([['a', aAddress]]), { clusterId: 'c1', wire });
transport.onMessage(() => {});
transport.onPeerLost(() => {});
process.stdout.write(`${JSON.stringify({ port })}\n`);
setInterval(() => transport.send([{ type: 'Heartbeat', from: 'b', to: 'a', term: 2, commit: 0 }]), 20);
