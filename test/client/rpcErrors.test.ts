/**
 * Typed errors across gRPC: whatever a path or message holds (non-ASCII names, a lone surrogate
 * from a hostile request), the server can always answer with the typed error, and the client
 * rebuilds the same class and path. Found by the port fuzzer (seed 1611997097): grpc-js refuses
 * metadata values outside printable ASCII and its sendStatus throws on a lone surrogate, so the
 * handler's rejection went unanswered (a logged bug; the client waited for its deadline).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as grpc from '@grpc/grpc-js';
import { fromServiceError, toServiceError, ERROR_EXTRA_KEY } from '../../src/rpc.js';
import { AlluxioError, FileDoesNotExistError, NotLeaderError, PermissionDeniedError } from '../../src/errors.js';

const rows: [string, AlluxioError, string, string | undefined][] = [
  ['ASCII path', new FileDoesNotExistError('/a/b'), 'FileDoesNotExistError', '/a/b'],
  ['accented path', new FileDoesNotExistError('/données/é'), 'FileDoesNotExistError', '/données/é'],
  ['CJK and emoji path', new PermissionDeniedError('user x cannot read /日本/😀', '/日本/😀'), 'PermissionDeniedError', '/日本/😀'],
  ['lone surrogate in the path', new FileDoesNotExistError('/a\ud800b'), 'FileDoesNotExistError', '/a\ufffdb'],
  ['leader hint', new NotLeaderError('m2:19998'), 'NotLeaderError', undefined],
];

for (const [what, err, cls, path] of rows) {
  test(`typed error across gRPC: ${what}`, () => {
    const se = toServiceError(err);
    const extra = se.metadata!.get(ERROR_EXTRA_KEY)[0] as string;
    assert.match(extra, /^[ -~]*$/, 'metadata values are printable ASCII');
        assert.doesNotThrow(() => encodeURI(se.details!));
    const back = fromServiceError(se as grpc.ServiceError, 'm1:19998');
    assert.equal(back.name, cls);
    if (path !== undefined) assert.equal((back as FileDoesNotExistError).path, path);
    if (err instanceof NotLeaderError) assert.equal((back as NotLeaderError).leader, 'm2:19998');
  });
}
