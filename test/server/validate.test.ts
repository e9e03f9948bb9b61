/** Request field checks (src/server/validate.ts): exact, table-driven. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nonNegativeInt, boundedString, clientPath, checkRequest, checkedService, MASTER_REQUESTS, MAX_PATH_LENGTH } from '../../src/server/validate.js';
import { InvalidArgumentError, InvalidPathError, type AlluxioError } from '../../src/errors.js';

function refuses(f: () => unknown, cls: new (...a: any[]) => AlluxioError, message: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof cls, `${message}: got ${String(e)}`);
    assert.equal((e as Error).message, message);
    return true;
  });
}

test('numbers, strings and paths', () => {
  for (const v of [0, 1, 2 ** 53 - 1]) assert.equal(nonNegativeInt(v, 'n'), v);
  for (const [v, shown] of [[-1, '-1'], [1.5, '1.5'], [2 ** 53, '9007199254740992'], [NaN, 'NaN'], [Infinity, 'Infinity'], ['3', '"3"'], [null, 'null'], [undefined, 'undefined'], [[], 'an array'], [{}, 'an object']] as const) {
    refuses(() => nonNegativeInt(v, 'ReadBlock offset'), InvalidArgumentError, `ReadBlock offset must be an integer between 0 and 9007199254740991, not ${shown}`);
  }
  assert.equal(boundedString('MEM', 'alias'), 'MEM');
  refuses(() => boundedString(5, 'alias'), InvalidArgumentError, 'alias must be a string, not 5');
  refuses(() => boundedString('x'.repeat(257), 'alias'), InvalidArgumentError, 'alias is 257 characters long (at most 256)');
  assert.equal(clientPath('/ufs/a/b.txt', 'ufsPath'), '/ufs/a/b.txt');
  const cases: [unknown, string][] = [
    ['', 'ufsPath must be a non-empty path, not ""'],
    [7, 'ufsPath must be a non-empty path, not 7'],
    ['/a\u0000b', 'ufsPath "/a\\u0000b" contains a NUL character'],
    ['ufs/a', 'ufsPath "ufs/a" is not absolute'],
    ['/ufs/../etc/passwd', 'ufsPath "/ufs/../etc/passwd" has a "." or ".." component'],
    ['/ufs/./a', 'ufsPath "/ufs/./a" has a "." or ".." component'],
    ['/ufs/..', 'ufsPath "/ufs/.." has a "." or ".." component'],
    ['/' + 'p'.repeat(MAX_PATH_LENGTH), `ufsPath is ${MAX_PATH_LENGTH + 1} characters long (at most ${MAX_PATH_LENGTH})`],
  ];
  for (const [v, message] of cases) refuses(() => clientPath(v, 'ufsPath'), InvalidPathError, message);
});

test('master request schemas: what a real client sends passes, each bad field is named', () => {
  const { file, blockWorker } = MASTER_REQUESTS;
  checkRequest('CreateFile', { path: '/a', recursive: true, blockSizeBytes: 0, writeType: 'CACHE_THROUGH', opId: 'x' }, file!.CreateFile!);
  const register = { address: { host: 'w1', rpcPort: 29999, webPort: 30000 }, previousWorkerId: 0, tiers: [{ alias: 'MEM', capacityBytes: 10, usedBytes: 0 }], blocks: [{ alias: 'MEM', blockIds: [16777216], lengths: [5] }], startTimeMs: 1, pinnedBlockIds: [16777216] };
  checkRequest('RegisterWorker', register, blockWorker!.RegisterWorker!);
  const cases: [string, Record<string, unknown>, Record<string, unknown>, new (...a: any[]) => AlluxioError, string][] = [
    ['CreateFile', file!.CreateFile!, { path: '/a\u0000', blockSizeBytes: 0, writeType: '', opId: '' }, InvalidPathError, 'CreateFile path "/a\\u0000" contains a NUL character'],
    ['CreateFile', file!.CreateFile!, { path: '/a', blockSizeBytes: -1, writeType: '', opId: '' }, InvalidArgumentError, 'CreateFile blockSizeBytes must be an integer between 0 and 9007199254740991, not -1'],
    ['CompleteFile', file!.CompleteFile!, { path: '/a', length: 2 ** 64, opId: '' }, InvalidArgumentError, 'CompleteFile length must be an integer between 0 and 9007199254740991, not 18446744073709552000'],
    ['Rename', file!.Rename!, { src: '/a', dst: 5, opId: '' }, InvalidArgumentError, 'Rename dst must be a string, not 5'],
    ['Remove', file!.Remove!, { path: '/a', opId: 'o'.repeat(300) }, InvalidArgumentError, 'Remove opId is 300 characters long (at most 256)'],
    ['RegisterWorker', blockWorker!.RegisterWorker!, { ...register, address: null }, InvalidArgumentError, 'RegisterWorker address: the request is not a message'],
    ['RegisterWorker', blockWorker!.RegisterWorker!, { ...register, address: { host: '', rpcPort: 1, webPort: 2 } }, InvalidArgumentError, 'RegisterWorker address.host must not be empty'],
    ['RegisterWorker', blockWorker!.RegisterWorker!, { ...register, address: { host: 'w', rpcPort: 70000, webPort: 2 } }, InvalidArgumentError, 'RegisterWorker address.rpcPort must be a port (0-65535), not 70000'],
    ['RegisterWorker', blockWorker!.RegisterWorker!, { ...register, blocks: [{ alias: 'MEM', blockIds: [1, -2], lengths: [] }] }, InvalidArgumentError, 'RegisterWorker blocks[0].blockIds[1] must be an integer between 0 and 9007199254740991, not -2'],
    ['CommitBlock', blockWorker!.CommitBlock!, { workerId: 1, blockId: 1, length: -5, tierAlias: 'MEM' }, InvalidArgumentError, 'CommitBlock length must be an integer between 0 and 9007199254740991, not -5'],
    ['BlockHeartbeat', blockWorker!.BlockHeartbeat!, { workerId: 1, tiers: 'x', addedBlocks: [], removedBlockIds: [], persistResults: [] }, InvalidArgumentError, 'BlockHeartbeat tiers must be a list, not "x"'],
    ['BlockHeartbeat', blockWorker!.BlockHeartbeat!, { workerId: 1, tiers: [], addedBlocks: [], removedBlockIds: [], persistResults: [{ fileId: 3, tempUfsPath: 7, error: '' }] }, InvalidArgumentError, 'BlockHeartbeat persistResults[0].tempUfsPath must be a string, not 7'],
    ['RegisterWorker', blockWorker!.RegisterWorker!, { ...register, pinnedBlockIds: [0.5] }, InvalidArgumentError, 'RegisterWorker pinnedBlockIds[0] must be an integer between 0 and 9007199254740991, not 0.5'],
  ];
  for (const [method, schema, req, cls, message] of cases) refuses(() => checkRequest(method, req, schema as any), cls, message);
});

test('checkedService answers a bad request with the typed error and never calls the handler', () => {
  let calls = 0;
  const svc = checkedService({ GetBlockInfo: (_c: unknown, cb: (e: unknown, r?: unknown) => void) => { calls++; cb(null, {}); }, Other: 1 }, MASTER_REQUESTS.block!);
  let got: any;
  svc.GetBlockInfo({ request: { blockId: -3 } }, (e: unknown) => { got = e; });
  assert.equal(calls, 0);
  assert.equal(got.details, 'GetBlockInfo blockId must be an integer between 0 and 9007199254740991, not -3');
  assert.equal(got.metadata.get('alluxio-code')[0], 'INVALID_ARGUMENT');
  svc.GetBlockInfo({ request: { blockId: 3 } }, (e: unknown) => { got = e; });
  assert.equal(calls, 1);
  assert.equal(got, null);
  assert.equal(svc.Other, 1);
});
