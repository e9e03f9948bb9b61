/**
 * Every command the README tells a user to run works exactly as written (issue #16).
 *
 * - The one-machine commands (the quickstart, both ways to stop it, the "On one host" block) run
 *   in order, as written, in a fresh copy of this checkout (git's files only: no dist/, no
 *   node_modules/), inside private namespaces: network (its own loopback, so the default ports are
 *   free), mount (a tmpfs on /mnt for the default ramdisk path) and UTS (hostname localhost).
 *   Each must exit 0, and after each stop no process of the copy may be left.
 * - The multi-host block and the inline commands: every verb and flag they name must exist in
 *   the CLI's own parser (`<verb> --help` answers and lists the flag).
 *
 * A README change that breaks a command, or moves it where this test cannot find it, fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../harness/cluster.js';
import { needsRoot, assertRoot } from '../harness/root.js';

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The text of the `## <title>` section (up to the next `## `). */
function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `README.md has no "## ${title}" section`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

/** The fenced block right after the line starting with `lead` (comments after `  #` removed). */
function fencedAfter(text: string, lead: string): string[] {
  const at = text.indexOf(`\n${lead}`);
  assert.ok(at >= 0, `README.md: no line starting with "${lead}"`);
  const m = /\n```[a-z]*\n([\s\S]*?)\n```/.exec(text.slice(at));
  assert.ok(m, `README.md: no code block after "${lead}"`);
  return m[1]!.split('\n').map((l) => l.replace(/\s+#\s.*$/, '').trim()).filter(Boolean);
}

/** Indented (4-space) code lines of a section. */
function indented(text: string): string[] {
  return text.split('\n').filter((l) => /^ {4}\S/.test(l)).map((l) => l.trim());
}

/** Inline code spans of the paragraph holding `phrase`. */
function inlineIn(text: string, phrase: string): string[] {
  const para = text.split(/\n\s*\n/).find((p) => p.includes(phrase));
  assert.ok(para, `README.md: no paragraph with "${phrase}"`);
  return [...para.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
}

const two = section('Two commands');
const using = section('Using it');
const QUICKSTART = indented(two).filter((c) => c.includes('quickstart'));
const STOPS = inlineIn(two, 'Stop it with').filter((c) => /\s/.test(c)); // commands, not names
const ONE_HOST = fencedAfter(using, 'On one host');
const MANY_HOSTS = fencedAfter(using, 'On many hosts');

test('README: the commands this test runs are where it looks for them', () => {
  assert.deepEqual(QUICKSTART, ['npm ci && npm run quickstart']);
  assert.ok(indented(two).includes('npm ci && npm test'), 'the test command is in "Two commands"');
  assert.ok(STOPS.length >= 1 && STOPS.every((c) => /stop/.test(c)), `stop commands: ${JSON.stringify(STOPS)}`);
  assert.ok(ONE_HOST.length >= 5 && ONE_HOST.at(-1)!.includes('alluxio-stop.sh'), `one-host block: ${JSON.stringify(ONE_HOST)}`);
  assert.ok(MANY_HOSTS.length >= 5, `many-host block: ${JSON.stringify(MANY_HOSTS)}`);
});

// ---- syntax of the commands for many hosts and of the inline ones -----------------------------

/** `bin/alluxio <verb> [sub] [--flags]` split out of one command line (null when it is not ours). */
function parseCli(cmd: string): { script: string; words: string[]; flags: string[] } | null {
  const m = /^(?:[A-Z_]+=\S+\s+)*(?:bin\/)?(alluxio(?:-[a-z]+\.sh)?)(?:\s+(.*))?$/.exec(cmd.trim());
  if (!m) return null;
  const args = (m[2] ?? '').replace(/<[^>]*>/g, 'X').split(/\s+/).filter(Boolean);
  return { script: m[1]!, words: args.filter((a) => !a.startsWith('-')), flags: args.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0]!) };
}

function help(script: string, words: string[]): { code: number; text: string } {
  const r = spawnSync(path.join(ROOT, 'bin', script), [...words, '--help'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? 1, text: `${r.stdout}${r.stderr}` };
}

const SYNTAX = [
  ...MANY_HOSTS.flatMap((l) => l.split('&&')),
  ...[...using.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).filter((c) => /^(bin\/)?alluxio(-[a-z]+\.sh)?\s/.test(c)),
].map((c) => c.trim()).filter((c) => parseCli(c) !== null);

test('README: every verb and flag of the many-host block and the inline commands exists', () => {
  assert.ok(SYNTAX.length >= MANY_HOSTS.length, `commands checked: ${JSON.stringify(SYNTAX)}`);
  for (const cmd of SYNTAX) {
    const { script, words, flags } = parseCli(cmd)!;
    if (script === 'alluxio') {
      // The verb (and a sub-verb when the verb has them) is known: `--help` on it answers.
      const verb = words.slice(0, 1);
      const h = help(script, verb);
      assert.equal(h.code, 0, `${cmd}: \`alluxio ${verb.join(' ')} --help\` exited ${h.code}:\n${h.text}`);
      assert.doesNotMatch(h.text, /unknown command/i, `${cmd}: unknown verb`);
      let text = h.text;
      if (words[1] && /\bCommands:/.test(h.text)) {
        const sub = help(script, words.slice(0, 2));
        assert.equal(sub.code, 0, `${cmd}: \`alluxio ${words.slice(0, 2).join(' ')} --help\` exited ${sub.code}:\n${sub.text}`);
        text = sub.text;
      }
      for (const f of flags) assert.ok(text.includes(f), `${cmd}: flag ${f} is not in \`alluxio ${words.slice(0, 2).join(' ')} --help\`:\n${text}`);
    } else {
      // alluxio-start.sh / -stop.sh / -mount.sh: their usage names every action and mount mode.
      const h = help(script, []);
      assert.equal(h.code, 0, `${cmd}: \`${script} --help\` exited ${h.code}:\n${h.text}`);
      for (const w of words) assert.ok(h.text.includes(w), `${cmd}: "${w}" is not in \`${script} --help\`:\n${h.text}`);
      for (const f of flags) assert.ok(h.text.includes(f), `${cmd}: flag ${f} is not in \`${script} --help\`:\n${h.text}`);
    }
  }
});

// ---- the one-machine commands, run as written --------------------------------------------------

/** This checkout's files as git knows them (tracked and new, not ignored), copied to `dest`. */
function copyCheckout(dest: string): void {
  const r = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, `git ls-files: ${r.stderr}`);
  for (const f of r.stdout.split('\0').filter(Boolean)) {
    const from = path.join(ROOT, f);
    if (!fs.existsSync(from)) continue; // deleted in the working tree
    fs.mkdirSync(path.dirname(path.join(dest, f)), { recursive: true });
    fs.copyFileSync(from, path.join(dest, f));
    fs.chmodSync(path.join(dest, f), fs.statSync(from).mode & 0o777);
  }
}

const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

test('README: the one-machine commands work as written in a fresh copy, and leave no process behind', { skip: needsRoot('private network, mount and UTS namespaces (unshare)'), timeout: 1_200_000 }, () => {
  assertRoot('private namespaces for the README commands');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-'));
  const clone = path.join(tmp, 'alluxio');
  try {
    copyCheckout(clone);
    fs.writeFileSync(path.join(clone, 'f.csv'), 'id,name\n1,alpha\n2,beta\n'); // the file the block copies in
    const steps: Array<{ cmd: string; ours?: boolean; thenNoneLeft?: boolean }> = [
      ...QUICKSTART.map((cmd) => ({ cmd })),
      // Each stop command gets a running cluster to stop (the quickstart's, then this test's restart of it).
      ...STOPS.flatMap((cmd, i) => [
        ...(i > 0 ? [{ cmd: 'ALLUXIO_CONF_DIR=.quickstart/conf bin/alluxio-start.sh local NoMount', ours: true }] : []),
        { cmd, thenNoneLeft: true },
      ]),
      ...ONE_HOST.map((cmd) => ({ cmd, thenNoneLeft: cmd.includes('alluxio-stop.sh') })),
    ];
    const lines = [
      'set -u',
      `cd ${sh(clone)}`,
      'hostname localhost && ip link set lo up && mount -t tmpfs -o size=1200m readme-mnt /mnt || exit 90',
      // npm from its cache only: these namespaces have no network (CI's npm ci filled the cache).
      'export npm_config_offline=true npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false NO_COLOR=1',
      `left() { for p in /proc/[0-9]*; do if tr '\\0' ' ' < "$p/cmdline" 2>/dev/null | grep -qF ${sh(clone)}; then printf '%s:%s\\n' "\${p#/proc/}" "$(tr '\\0' ' ' < "$p/cmdline" 2>/dev/null | cut -c1-160)"; fi; done; }`,
      ...steps.flatMap((s, i) => [
        `printf '\\n::cmd %s\\n' ${i}`,
        `timeout 900 bash -c ${sh(s.cmd)}; printf '\\n::rc %s %s\\n' ${i} $?`,
        ...(s.thenNoneLeft ? [`printf '::left %s %s\\n' ${i} "$(left | tr '\\n' ' ')"`] : []),
      ]),
      `printf '::left end %s\\n' "$(left | tr '\\n' ' ')"`,
    ];
    const script = path.join(tmp, 'run.sh');
    fs.writeFileSync(script, lines.join('\n') + '\n');
    const r = spawnSync('unshare', ['--net', '--mount', '--uts', '--propagation', 'private', 'bash', script], {
      encoding: 'utf8', timeout: 1_100_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, CI: process.env.CI ?? '' },
    });
    const out = `${r.stdout}\n${r.stderr}`;
    assert.notEqual(r.status, 90, `could not set up the namespaces:\n${out.slice(-3000)}`);
    const outputOf = (i: number) => {
      const from = out.indexOf(`::cmd ${i}\n`);
      return out.slice(from, out.indexOf(`::rc ${i} `, from) + 20).slice(-6000);
    };
    steps.forEach((s, i) => {
      const rc = new RegExp(`::rc ${i} (\\d+)`).exec(out)?.[1];
      assert.equal(rc, '0', `${s.ours ? '(test step) ' : 'README: '}\`${s.cmd}\` exited ${rc ?? '(did not run)'}:\n${outputOf(i)}`);
      const left = new RegExp(`::left ${i} (.*)`).exec(out)?.[1]?.trim();
      if (s.thenNoneLeft) assert.equal(left, '', `after \`${s.cmd}\` these processes of the copy are still running: ${left}`);
    });
    assert.equal(/::left end (.*)/.exec(out)?.[1]?.trim(), '', 'processes of the copy still running at the end');
  } finally {
    // Anything still running from the copy was started by this test: end it by pid.
    for (const p of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      let cmdline = '';
      try { cmdline = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8'); } catch { continue; }
      if (cmdline.includes(clone)) try { process.kill(Number(p), 'SIGKILL'); } catch { /* gone */ }
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
