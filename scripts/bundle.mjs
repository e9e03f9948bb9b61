// Build step (npm run build, after tsc): bundle the CLI entry (dist/src/cli.js) with our modules,
// commander, chalk and ssh2 into dist/cli/ (one file per verb group: esbuild code splitting follows the
// dynamic imports of src/commands/index.ts), so that a run of `alluxio <verb>` reads a few files
// instead of resolving and loading ~200 modules. bin/alluxio runs dist/cli/cli.js when it is there.
// import.meta.url of each bundled module is rewritten to that module's own path under dist/src,
// so the install root, proto/ and revision.txt are found as from the unbundled files.
// Native addons (ssh2's crypto binding, cpu-features) and gRPC / ZooKeeper / ora stay external.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
        text = text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`);
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
        text = text.replaceAll(/\b__dirname\b/g, `require('node:path').join(__bundleDir, ${JSON.stringify(rel)})`);
      }
      return { contents: text, loader: 'js' };
    });
  },
};

fs.rmSync(outdir, { recursive: true, force: true });
await esbuild.build({
  entryPoints: [path.join(src, 'cli.js')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  // CommonJS code in the bundle (ssh2, commander) calls require() for Node's built-ins and addons.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url); const __bundleDir = require('node:path').dirname(require('node:url').fileURLToPath(import.meta.url));" },
  external: ['@grpc/*', '@grpc/proto-loader', 'node-zookeeper-client', 'ora'],
  plugins: [metaUrl, nodeModules],
});
