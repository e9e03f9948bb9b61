/**
 * Argv builders for every remote step (convention 3): each returns a readonly argv; the executor
 * turns it into one string with toShell() only. Scripts are fixed strings; every variable part is
 * a positional argument, never interpolated into the script.
 */
import path from 'node:path';

/** `<home>/bin/alluxio <args...>`, the remote CLI. */
export function alluxio(home: string, args: readonly string[]): readonly string[] {
  return [path.posix.join(home, 'bin', 'alluxio'), ...args];
}

/**
 * Stage-one probe, safe before anything is installed (it needs only node, which every host must
 * have). Answers one protocol reply (protocol.ts, step `probe`) as its only stdout line: node
 * version, installHash, confHash (computed exactly like install.ts confHash(): sha256 over sorted
 * file names and contents of the conf dir), hostname, timeMs, and every `<name>.pid` of the run
 * dir with whether its pid is alive and our server (/proc/<pid>/cmdline: a node process with an
 * argument ending in `server/<master|worker>/main.js`, as processes.ts cmdlineMatches), so
 * servers are found even when alluxio.home holds no install. When the install and conf hashes
 * are the ones the controller expects (the install is current), the same process also loads the
 * install's facts module and adds the host's facts (or `factsError`): no second remote run.
 */
export const PROBE_SCRIPT = [
  "const fs=require('fs'),path=require('path'),crypto=require('crypto'),os=require('os'),url=require('url');",
  'const [home,conf,run,wantInstall,wantConf,flags]=process.argv.slice(1);',
  "const read=(f)=>{try{return fs.readFileSync(f,'utf8').trim()}catch{return ''}};",
  "const h=crypto.createHash('sha256');",
  "let names=[];try{names=fs.readdirSync(conf).filter((n)=>fs.statSync(path.join(conf,n)).isFile()).sort()}catch{}",
  "for(const n of names){h.update(n).update('\\0');h.update(fs.readFileSync(path.join(conf,n))).update('\\0')}",
  "let pids=[];try{pids=fs.readdirSync(run).filter((n)=>n.endsWith('.pid')&&(n.startsWith('master')||n==='worker.pid')).sort()}catch{}",
  'const servers=pids.map((n)=>{const name=n.slice(0,-4),kind=name.startsWith(\'master\')?\'master\':\'worker\',pidFile=path.join(run,n),s={name,kind,pidFile,running:false};',
  "const pid=Number(read(pidFile));if(!Number.isSafeInteger(pid)||pid<2)return s;s.pid=pid;",
  "let argv=[];try{argv=fs.readFileSync('/proc/'+pid+'/cmdline','utf8').replace(/\\0$/,'').split('\\0')}catch{return s}",
  "const marker='server/'+kind+'/main.js';",
  "s.running=argv.length>1&&/node/i.test(path.basename(argv[0]))&&argv.slice(1).some((a)=>a===marker||a.endsWith('/'+marker));",
  "if(s.running)s.cmd=argv.join(' ');return s});",
  "const result={node:process.version,installHash:read(path.join(home,'.install-hash')),confHash:h.digest('hex'),hostname:os.hostname(),timeMs:Date.now(),servers};",
  "const reply=()=>console.log(JSON.stringify({protocol:'alluxio-host/1',step:'probe',host:os.hostname(),ok:true,result}));",
  "if(wantInstall&&result.installHash===wantInstall&&result.confHash===wantConf){",
  "const mod=(...p)=>import(url.pathToFileURL(path.join(home,'dist','src',...p)).href);",
  "Promise.all([mod('conf','index.js'),mod('conf','installRoot.js'),mod('orchestrate','local','facts.js')])",
  ".then(async([c,r,f])=>{result.facts=await f.collectFacts(c.loadConfig({flags:JSON.parse(flags||'{}'),env:process.env,home:r.INSTALL_ROOT}))})",
  ".catch((e)=>{result.factsError={class:String(e&&e.name||'Error'),code:typeof(e&&e.code)==='string'?e.code:'INTERNAL',message:String(e&&e.message||e)}})",
  '.then(reply)}else reply()',
].join('');

/**
 * The probe's argv. With `current` (the install and conf hashes this controller pushes, and the
 * -D flags of the command), a host that has exactly those answers its facts too.
 */
export function probeBasics(home: string, runDir: string, current?: { installHash: string; confHash: string; flags: Readonly<Record<string, string>> }): readonly string[] {
  return ['node', '-e', PROBE_SCRIPT, home, path.posix.join(home, 'conf'), runDir,
    ...(current ? [current.installHash, current.confHash, JSON.stringify(current.flags)] : [])];
}

/** Make `dir` and unpack a gzip'd tar from stdin into it; write the hash file last. */
export function unpackInstall(home: string, hash: string): readonly string[] {
  return ['sh', '-c',
    'set -e; mkdir -p "$1"; rm -f "$1/.install-hash"; tar -x -z -m -C "$1"; printf "%s\\n" "$2" > "$1/.install-hash.tmp"; mv "$1/.install-hash.tmp" "$1/.install-hash"',
    'unpack', home, hash];
}

/** Replace `<home>/conf` with the gzip'd tar on stdin (the conf dir's files). */
export function unpackConf(home: string): readonly string[] {
  return ['sh', '-c', 'set -e; d="$1/conf"; mkdir -p "$d.new"; tar -x -z -m -C "$d.new"; rm -rf "$d.old"; if [ -d "$d" ]; then mv "$d" "$d.old"; fi; mv "$d.new" "$d"; rm -rf "$d.old"', 'unpack-conf', home];
}

/** Unpack a gzip'd tar from stdin into `dir` (copyDir). */
export function unpackInto(dir: string): readonly string[] {
  return ['sh', '-c', 'set -e; mkdir -p "$1"; tar -x -z -m -C "$1"', 'unpack', dir];
}

/** Take the cluster lock (a directory, atomic mkdir) or print who holds it. */
export function lockAcquire(dir: string, owner: string): readonly string[] {
  return ['sh', '-c',
    'mkdir -p "$(dirname "$1")"; if mkdir "$1" 2>/dev/null; then printf "%s\\n" "$2" > "$1/owner"; echo LOCKED; else echo HELD; cat "$1/owner" 2>/dev/null; fi',
    'lock', dir, owner];
}

export function lockRelease(dir: string): readonly string[] {
  return ['rm', '-rf', '--', dir];
}

/** Append one line to the audit log. */
export function auditAppend(file: string, line: string): readonly string[] {
  return ['sh', '-c', 'mkdir -p "$(dirname "$1")" && printf "%s\\n" "$2" >> "$1"', 'audit', file, line];
}

/** Resolve names with the host's resolver: prints `<name> <address>` for each name that resolves. */
export function resolveNames(names: readonly string[]): readonly string[] {
  return ['sh', '-c', 'for n in "$@"; do a=$(getent hosts "$n" | awk "NR==1{print \\$1}"); [ -n "$a" ] && printf "%s %s\\n" "$n" "$a"; done; true', 'resolve', ...names];
}

/**
 * Environment checks that need only node: each [name, port] must be free to listen on, each
 * [name, dir] writable (its nearest existing ancestor), and `sudo -n true` must work when asked.
 * Prints a JSON array of {check, ok, detail}.
 */
export const ENV_CHECK_SCRIPT = [
  "const s=JSON.parse(process.argv[1]);const net=require('net'),fs=require('fs'),path=require('path'),cp=require('child_process');",
  '(async()=>{const out=[];',
  'for(const [name,port] of s.ports){await new Promise((r)=>{const srv=net.createServer();',
  "srv.once('error',(e)=>{out.push({check:name,ok:false,detail:'port '+port+' is in use ('+e.code+')'});r()});",
  "srv.listen(port,'0.0.0.0',()=>srv.close(()=>{out.push({check:name,ok:true,detail:'port '+port+' is free'});r()}))})}",
  'for(const [name,dir] of s.dirs){let d=path.resolve(dir);while(!fs.existsSync(d))d=path.dirname(d);',
  "try{fs.accessSync(d,fs.constants.W_OK);out.push({check:name,ok:true,detail:dir+' is writable'+(d===path.resolve(dir)?'':' (created under '+d+')')})}",
  "catch{out.push({check:name,ok:false,detail:dir+' is not writable ('+d+' denies write)'})}}",
  "if(s.sudo){const r=cp.spawnSync('sudo',['-n','true'],{timeout:5000});out.push({check:'sudo',ok:r.status===0,detail:r.status===0?'sudo -n true works':'sudo -n true failed: sudo would prompt for a password, or is not installed'})}",
  'console.log(JSON.stringify(out))})()',
].join('');

export function envChecks(spec: { ports: [string, number][]; dirs: [string, string][]; sudo: boolean }): readonly string[] {
  return ['node', '-e', ENV_CHECK_SCRIPT, JSON.stringify(spec)];
}
