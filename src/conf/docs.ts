/** Renders the property table of docs/configuration.md from the schema (the docs never drift). */
import { SCHEMA, consistencyOf, scopeOf, type PropertySpec } from './schema.js';

const esc = (s: string): string => s.replace(/\|/g, '\\|');

function shownDefault(spec: PropertySpec): string {
  if (spec.displayDefault !== undefined) return spec.displayDefault;
  if ((spec.default ?? '') === '') return '(empty)';
  return `\`${spec.default}\``;
}

function shownType(spec: PropertySpec): string {
  return spec.type === 'enum' ? (spec.values ?? []).join(' \\| ') : spec.type;
}

/** A Markdown table of every property: key, type, default, scope, consistency, description (sorted by key). */
export function renderPropertyTable(): string {
  const rows = [...SCHEMA].sort((a, b) => (a.key < b.key ? -1 : 1)).map((s) => {
    const aliases = s.aliases?.length ? ` Deprecated alias: ${s.aliases.map((a) => `\`${a}\``).join(', ')}.` : '';
    return `| \`${s.key}\` | ${shownType(s)} | ${esc(shownDefault(s))} | ${scopeOf(s)} | ${consistencyOf(s)} | ${esc(s.doc)}${esc(aliases)} |`;
  });
  return ['| Property | Type | Default | Scope | Consistency | Description |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

export const TABLE_BEGIN = '<!-- BEGIN PROPERTY TABLE (generated from src/conf/schema.ts) -->';
export const TABLE_END = '<!-- END PROPERTY TABLE -->';

/** Replace the generated section of a Markdown document with the current table. */
export function updateDocTable(markdown: string): string {
  const a = markdown.indexOf(TABLE_BEGIN);
  const b = markdown.indexOf(TABLE_END);
  if (a < 0 || b < a) throw new Error('property table markers not found');
  return `${markdown.slice(0, a + TABLE_BEGIN.length)}\n${renderPropertyTable()}\n${markdown.slice(b)}`;
}
