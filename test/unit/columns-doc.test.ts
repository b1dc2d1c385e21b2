import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COLUMNS_MD, renderColumnsDoc } from '../../scripts/columns-doc.js';
import { columnsOf, PARTITION_COLUMNS, TABLES } from '../../src/outputs/tables.js';

describe('docs/columns.md', () => {
  const text = readFileSync(COLUMNS_MD, 'utf8');

  it('is the generator output (run `node scripts/run-ts.mjs scripts/columns-doc.ts` after changing tables.ts)', () => {
    expect(text).toBe(renderColumnsDoc());
  });

  it('has a row for every column of every table, with its type, unit and meaning', () => {
    for (const table of Object.values(TABLES)) {
      const section = text.split(`\n## ${table.name}\n`)[1]!.split('\n## ')[0]!;
      const rows = section.split('\n').filter((l) => l.startsWith('| `'));
      expect(rows.map((r) => r.slice(3, r.indexOf('`', 3)))).toEqual(columnsOf(table).map((c) => c.name));
      for (const c of columnsOf(table)) {
        const row = rows.find((r) => r.startsWith(`| \`${c.name}\` |`))!;
        const cells = row.split(/(?<!\\)\|/).map((s) => s.trim());
        expect(cells[2]).toBe(c.glue);
        expect(cells[4]).toBe(c.unit.replace(/\|/g, '\\|'));
        expect(cells[5]).toBe(c.meaning.replace(/\|/g, '\\|'));
      }
    }
    for (const p of PARTITION_COLUMNS) expect(text).toContain(`| \`${p.name}\` | string |`);
  });

  it('has the #leak-rule anchor trends_daily.leak_suspect points to', () => {
    expect(columnsOf(TABLES.trends_daily).find((c) => c.name === 'leak_suspect')!.meaning).toContain('docs/columns.md#leak-rule');
    expect(text).toContain('\n## Leak rule\n');
  });
});
