/**
 * src/protoRoot.ts: the JSON form the build writes matches the .proto files, a stale or missing
 * form is never used, and the package definitions made from it encode and decode every method's
 * messages exactly as @grpc/proto-loader's did (same bytes, same objects).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import protobuf from 'protobufjs';
import * as protoLoader from '@grpc/proto-loader';
import type * as grpc from '@grpc/grpc-js';
import { PROTO_DIR, PROTO_FILES, PROTO_JSON, protoJson, loadProtoRoot, packageDefinition, parseProtoFiles, protoRootSource, type ProtoJson } from '../../src/protoRoot.js';

test('dist/src/proto.json (written by npm run build) is the JSON form of the .proto files as they are', () => {
  assert.ok(fs.existsSync(PROTO_JSON), `${PROTO_JSON} is missing: npm run build writes it (scripts/bundle.mjs)`);
  const built = JSON.parse(fs.readFileSync(PROTO_JSON, 'utf8')) as ProtoJson;
  assert.deepEqual(built, JSON.parse(JSON.stringify(protoJson())), 'proto.json is stale: run npm run build');
  loadProtoRoot();
  assert.equal(protoRootSource, 'json');
});

test('a JSON form made from other .proto files, or none, is not used: the files are parsed', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'proto-root-'));
  try {
    const protoDir = path.join(dir, 'proto');
    fs.mkdirSync(protoDir);
    for (const f of PROTO_FILES) fs.copyFileSync(path.join(PROTO_DIR, f), path.join(protoDir, f));
    const json = path.join(dir, 'proto.json');
    fs.writeFileSync(json, JSON.stringify(protoJson(protoDir)));
    loadProtoRoot(protoDir, json);
    assert.equal(protoRootSource, 'json');
    // A new field in a copy of the files: the old form no longer matches, the parsed files win.
    const common = path.join(protoDir, 'common.proto');
    const text = fs.readFileSync(common, 'utf8');
    const m = /message (\w+) \{/.exec(text)!;
    fs.writeFileSync(common, text.replace(m[0], `${m[0]}\n  string added_for_test = 999;`));
    const root = loadProtoRoot(protoDir, json);
    assert.equal(protoRootSource, 'parsed');
    assert.ok(root.lookupType(m[1]!).fields.added_for_test, 'the parsed files have the new field');
    fs.rmSync(json);
    loadProtoRoot(protoDir, json);
    assert.equal(protoRootSource, 'parsed');
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

/** A message object with every field set (one member per oneof), nested messages to `depth`. */
function sample(type: protobuf.Type, depth = 3): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const skip = new Set<string>();
  for (const oneof of type.oneofsArray) for (const f of oneof.fieldsArray.slice(1)) skip.add(f.name);
  for (const f of type.fieldsArray) {
    if (skip.has(f.name)) continue;
    f.resolve();
    const one = (): unknown => {
      if (f.resolvedType instanceof protobuf.Type) return depth > 0 ? sample(f.resolvedType, depth - 1) : {};
      if (f.resolvedType instanceof protobuf.Enum) return Object.keys(f.resolvedType.values).at(-1);
      switch (f.type) {
        case 'string': return `s-${f.name}-é`;
        case 'bool': return true;
        case 'bytes': return Buffer.from(`b-${f.name}`);
        case 'double': case 'float': return 1.5;
        default: return f.id + 7; // integers, 32 and 64 bits (longs as Number)
      }
    };
    if (f instanceof protobuf.MapField) o[f.name] = { k1: one(), k2: one() };
    else o[f.name] = f.repeated ? [one(), one()] : one();
  }
  return o;
}

test('every method: the same path, streaming flags and name as proto-loader, and the same bytes and objects both ways', () => {
  const ours = packageDefinition(loadProtoRoot());
  const theirs = protoLoader.loadSync([...PROTO_FILES], { includeDirs: [PROTO_DIR], keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
  const root = parseProtoFiles();
  const services = Object.keys(theirs).filter((k) => !('format' in theirs[k]!));
  assert.deepEqual(Object.keys(ours).sort(), services.sort());
  let methods = 0;
  for (const name of services) {
    const t = theirs[name] as grpc.ServiceDefinition, o = ours[name]!;
    assert.deepEqual(Object.keys(o).sort(), Object.keys(t).sort(), name);
    for (const [m, td] of Object.entries(t)) {
      const od = o[m]!;
      const what = `${name}.${m}`;
      assert.equal(od.path, td.path, what);
      assert.equal(od.requestStream, td.requestStream, what);
      assert.equal(od.responseStream, td.responseStream, what);
      assert.equal(od.originalName, td.originalName, what);
      const method = root.lookupService(name).methods[m]!;
      for (const [side, type] of [['request', method.resolvedRequestType!], ['response', method.resolvedResponseType!]] as const) {
        const ser = side === 'request' ? 'requestSerialize' : 'responseSerialize';
        const de = side === 'request' ? 'requestDeserialize' : 'responseDeserialize';
        for (const value of [sample(type), {}]) {
          const bytes = td[ser](value);
          assert.ok(Buffer.isBuffer(od[ser](value)), `${what} ${side}: a Buffer`);
          assert.deepEqual(od[ser](value), bytes, `${what} ${side} bytes`);
          assert.deepEqual(od[de](bytes), td[de](bytes), `${what} ${side} object`);
        }
        assert.throws(() => od[ser]([]), /expected object/);
      }
      methods++;
    }
  }
  assert.ok(methods > 20, `${methods} methods compared`);
});
