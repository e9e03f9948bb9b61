// Build step (npm run build, after tsc): bundle the CLI entry (dist/src/cli.js) with our modules,
// commander, chalk and ssh2 into one CommonJS file, dist/cli/bundle.js, and put its loader
// (scripts/cliLoader.cjs, which compiles it with V8's code cache) at dist/cli/cli.js, with
// dist/cli/package.json saying that both are CommonJS. bin/alluxio runs dist/cli/cli.js when it is
// there and current. A run then reads two files instead of resolving and loading ~200 modules, and
// after the first run of a verb V8 no longer parses or compiles the code it uses.
// import.meta.url of each bundled module is rewritten to that module's own path under dist/src,
// so the install root, proto/ and revision.txt are found as from the unbundled files.
// gRPC and protobufjs are bundled too (their code then comes from the code cache: requiring them
// from node_modules compiled ~1 MB of JavaScript on every run of an fs verb). Native addons (ssh2's
// crypto binding, cpu-features), the ZooKeeper client and ora stay external (the ZooKeeper client
// is CommonJS, required; ora is ESM, imported through the loader's __import, see below).
// It also writes the .proto files' JSON form, dist/src/proto.json (src/protoRoot.ts), used by the
// bundle and by dist/src alike while it matches the .proto files.
import * as esbuild from 'esbuild';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist', 'cli');
const src = path.join(root, 'dist', 'src');

const metaUrl = {
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\/dist\/src\/.*\.js$/ }, (args) => {
      let text = fs.readFileSync(args.path, 'utf8');
      if (text.includes('import.meta.url')) {
        const rel = path.relative(outdir, args.path).split(path.sep).join('/');
        // __bundleUrl: the bundle's file URL, passed in by the loader.
        text = text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, __bundleUrl).href`);
      }
      return { contents: text, loader: 'js' };
    });
  },
};

// Inside bundled CommonJS packages (ssh2): __dirname and native addons stay where they are installed.
const nodeModules = {
  name: 'installed-paths',
  setup(build) {
    build.onResolve({ filter: /\.node$/ }, (args) => ({
      path: `./${path.relative(outdir, path.resolve(args.resolveDir, args.path)).split(path.sep).join('/')}`, external: true,
    }));
    build.onLoad({ filter: /\/node_modules\/.*\.js$/ }, (args) => {
      let text = fs.readFileSync(args.path, 'utf8');
      if (text.includes('__dirname')) {
        const rel = path.relative(outdir, path.dirname(args.path)).split(path.sep).join('/');
        text = text.replaceAll(/\b__dirname\b/g, `require('node:path').join(__dirname, ${JSON.stringify(rel)})`);
      }
      return { contents: text, loader: 'js' };
    });
  },
};

// ssh2's index loads its server, SFTP server side, key generator and HTTP agents, and with them
// Node's http, https and tls (~6 ms of CPU). Our one runtime import of ssh2 is
// orchestrate/ssh/lib.js, which uses its Client and utils.parseKey (its type says so): there,
// `ssh2` is those two alone. Any other runtime import of ssh2 fails the build.
const SSH2_LIB = path.join(src, 'orchestrate', 'ssh', 'lib.js');
const ssh2ClientOnly = {
  name: 'ssh2-client-only',
  setup(build) {
    build.onResolve({ filter: /^ssh2$/ }, (args) => {
      if (args.importer === SSH2_LIB) return { path: 'ssh2', namespace: 'ssh2-client-only' };
      if (args.importer.startsWith(src + path.sep)) throw new Error(`${args.importer} imports ssh2: only orchestrate/ssh/lib.ts may (scripts/bundle.mjs)`);
      return undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'ssh2-client-only' }, () => ({
      resolveDir: path.join(root, 'node_modules', 'ssh2', 'lib'),
      contents: "module.exports = { Client: require('./client.js'), utils: { parseKey: require('./protocol/keyParser.js').parseKey } };",
      loader: 'js',
    }));
  },
};

const { protoJson, PROTO_JSON } = await import(pathToFileURL(path.join(src, 'protoRoot.js')).href);
fs.writeFileSync(PROTO_JSON, JSON.stringify(protoJson()));

fs.rmSync(outdir, { recursive: true, force: true });
fs.mkdirSync(outdir, { recursive: true });
fs.writeFileSync(path.join(outdir, 'package.json'), '{ "type": "commonjs" }\n');
await esbuild.build({
  entryPoints: [path.join(src, 'cli.js')],
  outfile: path.join(outdir, 'bundle.js'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  external: ['node-zookeeper-client', 'ora'],
  plugins: [ssh2ClientOnly, metaUrl, nodeModules],
});
// V8 code caches lose the host's import() callback (Node 20), so the bundle must not call import():
// the external ESM packages it imports on demand (ora) come through the loader's __import instead.
const bundleFile = path.join(outdir, 'bundle.js');
let text = fs.readFileSync(bundleFile, 'utf8');
const ESM_EXTERNALS = ['ora'];
for (const name of ESM_EXTERNALS) text = text.replaceAll(`import(${JSON.stringify(name)})`, `__import(${JSON.stringify(name)})`);
// (The one other `import(` is inside the probe's source text, orchestrate/builders/remote.ts.)
const stray = [...text.matchAll(/(?<![\w$.'"])import\((?!url\.pathToFileURL)/g)].map((m) => text.slice(m.index, m.index + 60));
if (stray.length) throw new Error(`dist/cli/bundle.js calls import() (not possible under the code cache): ${stray.join('; ')}; list ESM externals in ESM_EXTERNALS`);
fs.writeFileSync(bundleFile, text);
const id = crypto.createHash('sha256').update(text).digest('hex').slice(0, 16);
const loader = fs.readFileSync(path.join(root, 'scripts', 'cliLoader.cjs'), 'utf8');
if (!loader.includes("'@BUNDLE_ID@'")) throw new Error('scripts/cliLoader.cjs: no @BUNDLE_ID@ to fill in');
// Written last: bin/alluxio and the install push take dist/cli/cli.js's time as the bundle's.
fs.writeFileSync(path.join(outdir, 'cli.js'), loader.replace("'@BUNDLE_ID@'", JSON.stringify(id)));
