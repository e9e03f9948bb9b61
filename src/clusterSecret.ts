/**
 * The cluster secret: proof that a peer of the embedded journal port (masters) or of a worker's
 * data port belongs to this cluster. `alluxio format` creates it once, as 32 random bytes in hex
 * in `${alluxio.conf.dir}/alluxio-cluster.secret` (mode 0600); `alluxio copyDir conf/` carries it
 * to every host with the rest of conf/. Every call and stream on those ports carries it as gRPC
 * metadata and is refused (UNAUTHENTICATED) without it.
 *
 * Threat model: the secret travels in clear text (no TLS yet), so it keeps out hosts and users
 * that can reach the ports but cannot read conf/ nor sniff the cluster's traffic (loopback or a
 * private network): a stray client, a scanner, a user without access to the secret file. Anyone
 * who can read the file or capture a packet can join. With NOSASL, or when no secret file
 * exists, the ports stay open as before (the servers say so in their log).
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Config } from './conf/index.js';
import { AuthenticationError, ConfigError } from './errors.js';
import { toServiceError } from './rpc.js';

export const SECRET_FILE = 'alluxio-cluster.secret';
export const SECRET_KEY = 'alluxio-cluster-secret';
const SECRET_RE = /^[0-9a-f]{64}$/;

export function secretFileOf(conf: Config): string {
  return path.join(conf.get('alluxio.conf.dir'), SECRET_FILE);
}

/** Create the secret file unless it exists; true when created. */
export function ensureClusterSecret(file: string): boolean {
  try {
    fs.writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new ConfigError(`cannot create the cluster secret ${file}: ${(e as Error).message}`);
  }
}

/**
 * The secret this process uses: undefined with NOSASL, when the file does not exist, or (a
 * client) when this user may not read it. A file that exists but is not a secret is an error.
 */
export function clusterSecret(conf: Config): string | undefined {
  if (conf.getEnum('alluxio.security.authentication.type') === 'NOSASL') return undefined;
  const file = secretFileOf(conf);
  let text: string;
  try { text = fs.readFileSync(file, 'utf8').trim(); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EPERM') return undefined;
    throw new ConfigError(`cannot read the cluster secret ${file}: ${(e as Error).message}`);
  }
  if (!SECRET_RE.test(text)) throw new ConfigError(`${file} is not a cluster secret (64 hex digits)`, { hint: 'delete it and run alluxio format, then alluxio copyDir conf/' });
  return text;
}

/** Is `given` (what a caller sent: a header, metadata, a field) the cluster secret? (constant time) */
export function secretMatches(given: unknown, secret: string): boolean {
  if (typeof given !== 'string' || given.length !== secret.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(secret));
}

/** Does `metadata` carry `secret`? (constant time) */
export function hasSecret(metadata: grpc.Metadata, secret: string): boolean {
  return secretMatches(metadata.get(SECRET_KEY)[0], secret);
}

/** What a server (`what`: "embedded journal h1:19200") answers a caller without the secret. */
export function notAMemberError(what: string): AuthenticationError {
  return new AuthenticationError(`Unauthenticated: ${what} accepts only members of this cluster (the caller did not send the cluster secret)`, {
    hint: `the caller needs ${SECRET_FILE} from alluxio.conf.dir (alluxio copyDir conf/ puts it on every host)`,
  });
}

/** Server side: refuse every call whose metadata lacks the secret (none when `secret` is undefined). */
export function secretServerInterceptors(secret: string | undefined, what: string): grpc.ServerInterceptor[] {
  if (!secret) return [];
  return [(_method, call) => new grpc.ServerInterceptingCall(call, {
    start: (next) => next({
      onReceiveMetadata: (metadata, mdNext) => {
        if (hasSecret(metadata, secret)) { mdNext(metadata); return; }
        const e = toServiceError(notAMemberError(what));
        call.sendStatus({ code: e.code!, details: e.details!, metadata: e.metadata! });
      },
    }),
  })];
}

/** Client side: send the secret with every call and stream (none when `secret` is undefined). */
export function secretClientInterceptors(secret: string | undefined): grpc.Interceptor[] {
  if (!secret) return [];
  return [(options, nextCall) => new grpc.InterceptingCall(nextCall(options), {
    start: (metadata, listener, next) => { metadata.set(SECRET_KEY, secret); next(metadata, listener); },
  })];
}
