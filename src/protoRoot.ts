/**
 * The .proto files (proto/, the one source of truth) as gRPC package definitions, made without
 * @grpc/proto-loader's per-message descriptors. `npm run build` (scripts/bundle.mjs) writes the
 * parsed files in protobufjs's JSON form to dist/src/proto.json with the sha256 of their text;
 * a process uses that form when the hash matches the .proto files it has, and parses them
 * otherwise (a plain `tsc` build, an edited .proto): never a stale definition.
 *
 * Why (docs/benchmarks.md bench:io, `fs cat` start-up): proto-loader's loadSync parsed the files
 * (~20-30 ms of CPU) and then built a DescriptorProto and encoded every file's descriptor for each
 * message type (~13 ms more, on every gRPC process's start), which only reflection services read;
 * from the JSON form, with the definitions below, the same takes ~8 ms. The serializers are
 * proto-loader's own (fromObject + encode, decode + toObject with the same options), and
 * test/cli/protoRoot.test.ts checks every method against proto-loader's definition.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type * as grpc from '@grpc/grpc-js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const PROTO_DIR = path.resolve(HERE, '..', '..', 'proto');
/** Where the build writes the JSON form (next to this module's compiled file: dist/src). */
export const PROTO_JSON = path.join(HERE, 'proto.json');
export const PROTO_FILES = ['common.proto', 'file_system_master.proto', 'block_master.proto', 'meta_master.proto', 'block_worker.proto', 'raft_journal.proto', 'journal_master.proto', 'mux.proto'] as const;

/** How messages become objects (proto-loader's options as the project always used them). */
export const CONVERSION: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true, oneofs: true };

/** The JSON form's file: the sha256 of the .proto texts it was made from, and protobufjs's Root JSON. */
export interface ProtoJson { sourceHash: string; root: protobuf.INamespace }

/** sha256 of the .proto files' texts, in PROTO_FILES order (each preceded by its name). */
export function protoSourceHash(dir = PROTO_DIR): string {
  const h = crypto.createHash('sha256');
  for (const f of PROTO_FILES) h.update(`${f}\0`).update(fs.readFileSync(path.join(dir, f))).update('\0');
  return h.digest('hex');
}

/** Parse the .proto files (field names as written: keepCase). */
export function parseProtoFiles(dir = PROTO_DIR): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => path.join(dir, path.basename(target)); // imports are by file name, within proto/
  root.loadSync(PROTO_FILES.map((f) => path.join(dir, f)), { keepCase: true });
  root.resolveAll();
  return root;
}

/** The JSON form of the .proto files in `dir`, as the build writes it. */
export function protoJson(dir = PROTO_DIR): ProtoJson {
  return { sourceHash: protoSourceHash(dir), root: parseProtoFiles(dir).toJSON() };
}

/** Which form loadProtoRoot used last (for the tests and the start-up figures). */
export let protoRootSource: 'json' | 'parsed' | undefined;

/**
 * The Root: from the build's JSON form (`jsonFile`) when it was made from the .proto files in
 * `dir`, else parsed from them.
 */
export function loadProtoRoot(dir = PROTO_DIR, jsonFile = PROTO_JSON): protobuf.Root {
  let form: ProtoJson | undefined;
  try { form = JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as ProtoJson; } catch { /* not built by npm run build */ }
  if (form && form.sourceHash === protoSourceHash(dir)) {
    const root = protobuf.Root.fromJSON(form.root);
    root.resolveAll();
    protoRootSource = 'json';
    return root;
  }
  protoRootSource = 'parsed';
  return parseProtoFiles(dir);
}

/** lowerCamelCase of a method name, as proto-loader's originalName. */
function camel(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function serializer(type: protobuf.Type): grpc.serialize<unknown> {
  return (arg) => {
    if (Array.isArray(arg)) throw new Error(`Failed to serialize message: expected object with ${type.name} structure, got array instead`);
    // A Buffer under Node (protobufjs's BufferWriter), as proto-loader returns it.
    return type.encode(type.fromObject(arg as Record<string, unknown>)).finish() as Buffer;
  };
}

function deserializer(type: protobuf.Type): grpc.deserialize<unknown> {
  return (buf) => type.toObject(type.decode(buf), CONVERSION);
}

/**
 * Every service of `root` as a grpc-js package definition (`alluxio.grpc.file.FileSystemMasterClientService`
 * -> its methods), for grpc.loadPackageDefinition. Message types are not listed: nothing here
 * reads them from the package tree.
 */
export function packageDefinition(root: protobuf.Root): Record<string, grpc.ServiceDefinition> {
  const def: Record<string, grpc.ServiceDefinition> = {};
  const walk = (ns: protobuf.NamespaceBase, prefix: string): void => {
    for (const o of ns.nestedArray) {
      const name = prefix ? `${prefix}.${o.name}` : o.name;
      if (o instanceof protobuf.Service) {
        const service: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
        for (const m of o.methodsArray) {
          const req = m.resolvedRequestType!, res = m.resolvedResponseType!;
          service[m.name] = {
            path: `/${name}/${m.name}`,
            requestStream: !!m.requestStream,
            responseStream: !!m.responseStream,
            requestSerialize: serializer(req),
            requestDeserialize: deserializer(req),
            responseSerialize: serializer(res),
            responseDeserialize: deserializer(res),
            originalName: camel(m.name),
          };
        }
        def[name] = service;
      } else if (o instanceof protobuf.Namespace) {
        walk(o, name);
      }
    }
  };
  walk(root, '');
  return def;
}
