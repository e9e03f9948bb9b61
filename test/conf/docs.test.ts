import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findSpec, parseProperties, renderPropertyTable, updateDocTable } from '../../src/conf/index.js';

/** The repository root, from dist/test/conf/ or test/conf/. */
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

test('docs/configuration.md has the current property table (UPDATE_DOCS=1 rewrites it)', () => {
  const file = path.join(repoRoot(), 'docs', 'configuration.md');
  const doc = fs.readFileSync(file, 'utf8');
  const want = updateDocTable(doc);
  if (process.env.UPDATE_DOCS === '1' && want !== doc) fs.writeFileSync(file, want);
  else assert.equal(doc, want);
  assert.ok(want.includes(renderPropertyTable()));
});

test('conf/alluxio-site.properties.template: every commented example is a known key', () => {
  const text = fs.readFileSync(path.join(repoRoot(), 'conf', 'alluxio-site.properties.template'), 'utf8');
  const examples = text.split('\n').filter((l) => /^# alluxio\.[a-z0-9.]+=/.test(l)).map((l) => l.slice(2)).join('\n');
  const { entries, problems } = parseProperties(examples, 'template');
  assert.deepEqual(problems, []);
  assert.ok(entries.length >= 15);
  assert.deepEqual(entries.filter((e) => !findSpec(e.key)).map((e) => e.key), []);
});
