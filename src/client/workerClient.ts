/** Data-path client for one worker: block streams on its data channel, UFS streams over gRPC. */
import * as grpc from '@grpc/grpc-js';
import { protos, fromServiceError, CHANNEL_OPTIONS } from '../rpc.js';
import { secretClientInterceptors } from '../clusterSecret.js';
import { UnavailableError } from '../errors.js';
import { DataChannel, type BlockUpload } from './dataChannel.js';

export type { BlockUpload } from './dataChannel.js';

export const CHUNK_SIZE = 1024 * 1024;

/**
 * How long a read waits for a connection to a worker (TCP and the HTTP/2 handshake); as Alluxio's
 * alluxio.network.connection.health.check.timeout (5 s). grpc-js has no connect timeout: a call
 * to a host that is gone, or to a frozen worker, would wait until the OS gives up (minutes).
 */
export const WORKER_CONNECT_TIMEOUT_MS = 5000;

/**
 * Response metadata a worker sends as soon as it accepts a block or UFS write stream: from then on
 * its drain waits for the stream (docs/reliability.md, Worker restarts). A refused stream gets
 * only an error status.
 */
export const STREAM_ACCEPTED_KEY = 'alluxio-stream-accepted';

/** A client stream that sends a header then data chunks and resolves with the response. */
export class UploadStream implements BlockUpload {
  private done: Promise<any>;
  /** Resolves once the worker accepted the stream; rejects with its refusal or failure. */
  readonly accepted: Promise<void>;
  private stream: grpc.ClientWritableStream<any>;
  private failure: Error | undefined;

  constructor(client: grpc.Client, method: string, header: unknown, target: string) {
    let resolve!: (v: any) => void, reject!: (e: Error) => void;
    this.done = new Promise((res, rej) => { resolve = res; reject = rej; });
    this.done.catch(() => { /* surfaced by write/close */ });
    this.stream = (client as any)[method]((err: grpc.ServiceError | null, res: any) => {
      if (err) { this.failure = fromServiceError(err, target); reject(this.failure); } else resolve(res);
    });
    this.accepted = new Promise<void>((res, rej) => {
      this.stream.once('metadata', (md: grpc.Metadata) => { if (md.get(STREAM_ACCEPTED_KEY).length) res(); });
      this.done.then(() => res(), rej);
    });
    this.accepted.catch(() => { /* surfaced by the caller's await, or by write/close */ });
    this.stream.write({ header });
  }

  /**
   * Write data (split into chunks), waiting for flow control. When it returns, the caller may reuse
   * `buf`: a message written to a grpc-js stream is only serialized when the stream gets to it (up
   * to its high-water mark of messages later), so this waits for the last chunk's write callback,
   * which grpc-js calls after serializing it (the chunks before it went first).
   */
  async write(buf: Buffer): Promise<void> {
    const failed = this.done.then(() => {}, () => {}); // no callback or drain comes after a failure
    let lastTaken: Promise<void> | undefined;
    for (let off = 0; off < buf.length; off += CHUNK_SIZE) {
      if (this.failure) throw this.failure;
      const chunk = { chunk: buf.subarray(off, off + CHUNK_SIZE) };
      let ok: boolean;
      if (off + CHUNK_SIZE >= buf.length) {
        let taken!: () => void;
        lastTaken = new Promise<void>((r) => { taken = r; });
        ok = this.stream.write(chunk, () => taken());
      } else ok = this.stream.write(chunk);
      // Wait for flow control, but not past a failure of the call.
      if (!ok) await Promise.race([new Promise<void>((r) => this.stream.once('drain', r)), failed]);
    }
    if (lastTaken) await Promise.race([lastTaken, failed]);
    if (this.failure) throw this.failure;
  }

  async close(): Promise<any> {
    this.stream.end();
    return this.done;
  }

  cancel(): void {
    this.stream.cancel?.();
  }
}

export class WorkerClient {
  private client: grpc.Client;
  /** Block reads and writes: the worker's data channel on the same port (src/dataProtocol.ts). */
  private data: DataChannel;
  /** `secret`: the cluster secret, sent with every call (workers refuse callers without it). */
  constructor(readonly address: string, secret?: string) {
    const p = protos();
    this.client = new p.worker.BlockWorker(address, grpc.credentials.createInsecure(), { ...CHANNEL_OPTIONS, interceptors: secretClientInterceptors(secret) });
    this.data = new DataChannel(address, secret, WORKER_CONNECT_TIMEOUT_MS);
  }

  /** `pinned`: the block is the only copy of unpersisted data (MUST_CACHE, ASYNC_THROUGH): never evicted. */
  writeBlock(blockId: number, spaceToReserve: number, tierAlias = '', pinned = false): BlockUpload {
    return this.data.writeBlock(blockId, spaceToReserve, tierAlias, pinned);
  }

  /** Write file `fileId`'s data to a UFS temp file; close() resolves with { length, tempUfsPath }. */
  writeUfsFile(fileId: number): UploadStream {
    return new UploadStream(this.client, 'WriteUfsFile', { blockId: 0, spaceToReserve: 0, tierAlias: '', fileId }, this.address);
  }

  readBlock(blockId: number, offset: number, length: number, promote: boolean): AsyncIterable<Buffer> {
    return this.data.readBlock(blockId, offset, length, promote);
  }

  readUfsBlock(ufsPath: string, blockId: number, offsetInFile: number, blockLength: number, cache: boolean): AsyncIterable<Buffer> {
    return this.download('ReadUfsBlock', { ufsPath, blockId, offsetInFile, blockLength, cache });
  }

  /**
   * Resolve once the channel is connected; UnavailableError at once when the connection fails
   * (refused, unreachable) and after WORKER_CONNECT_TIMEOUT_MS when it neither fails nor succeeds.
   */
  async connected(): Promise<void> {
    const ch = this.client.getChannel();
    const deadline = Date.now() + WORKER_CONNECT_TIMEOUT_MS;
    for (let state = ch.getConnectivityState(true); state !== grpc.connectivityState.READY; state = ch.getConnectivityState(true)) {
      if (state === grpc.connectivityState.TRANSIENT_FAILURE || state === grpc.connectivityState.SHUTDOWN) {
        throw new UnavailableError(`${this.address} is unavailable: the connection failed`);
      }
      const changed = await new Promise<boolean>((r) => ch.watchConnectivityState(state, deadline, (err) => r(!err)));
      if (!changed) throw new UnavailableError(`${this.address} is unavailable: no connection within ${WORKER_CONNECT_TIMEOUT_MS} ms`);
    }
  }

  private async *download(method: string, req: unknown): AsyncIterable<Buffer> {
    await this.connected();
    const call: grpc.ClientReadableStream<any> = (this.client as any)[method](req);
    try {
      for await (const msg of call) yield msg.data as Buffer;
    } catch (e) {
      if ((e as any)?.code !== undefined && (e as any)?.metadata) throw fromServiceError(e as grpc.ServiceError, this.address);
      throw e;
    } finally {
      call.cancel();
    }
  }

  close(): void { this.client.close(); this.data.close(); }

  /** A short-circuit read session stream (src/client/shortCircuit.ts speaks its protocol), once connected. */
  async openLocalBlock(): Promise<grpc.ClientDuplexStream<any, any>> {
    await this.connected();
    return (this.client as any).OpenLocalBlock();
  }

  /** A short-circuit write session stream (src/client/shortCircuit.ts), once connected. */
  async createLocalBlock(): Promise<grpc.ClientDuplexStream<any, any>> {
    await this.connected();
    return (this.client as any).CreateLocalBlock();
  }
}
