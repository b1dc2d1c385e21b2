/**
 * The daily Lambda runs the trends and report SQL on Athena: its bundle must not import DuckDB
 * (a CLI-only dependency, absent from the zip), and the SQL files it reads at run time must be
 * where sqlDir() looks beside the handler (scripts/package.mjs adds sql/ to every zip).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('the daily Lambda bundle', () => {
  it('bundles the trends and report code without @duckdb/node-api or the DuckDB engine module', async () => {
    const r = await build({
      entryPoints: ['functions/daily.ts'],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
      external: ['@duckdb/node-api'],
    });
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs).toContain('src/trends/build.ts');
    expect(inputs).toContain('src/reports/data.ts');
    expect(inputs).not.toContain('src/query/engine.ts');
    expect(inputs).not.toContain('src/reports/local-engine.ts');
    expect(r.outputFiles[0]!.text).not.toMatch(/@duckdb\/node-api/);
  });

  it('is zipped with every sql/pipeline file the steps read', () => {
    const pkg = readFileSync('scripts/package.mjs', 'utf8');
    expect(pkg).toMatch(/run\('zip', \['-q', '-r', '-X', zip, 'sql', '-i', '\*\.sql'\]\)/);
    const used = readFileSync('src/trends/sql.ts', 'utf8').match(/'((?:trends|report)-[a-z-]+)'/g)!.map((s) => s.slice(1, -1));
    const files = readdirSync(path.join('sql', 'pipeline')).map((f) => f.replace(/\.sql$/, ''));
    expect(used.length).toBeGreaterThan(5);
    for (const name of used) expect(files).toContain(name);
  });
});
