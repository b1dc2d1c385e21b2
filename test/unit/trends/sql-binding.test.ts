/**
 * Binding values into the trends/report SQL (src/trends/sql.ts): every value becomes one quoted
 * string literal that the engine reads back unchanged, whatever it holds (quotes, `--`, `:name`,
 * newlines, Unicode), and nothing in it is taken for a placeholder or for code.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openQueryEngine, type QueryEngine } from '../../../src/query/engine.js';
import { pipelineStatement, stringLiteral } from '../../../src/trends/sql.js';

let root: string;
let engine: QueryEngine;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'memgap-sql-binding-'));
  engine = await openQueryEngine(root);
});
afterAll(async () => {
  await engine.close();
  await rm(root, { recursive: true, force: true });
});

// DuckDB VARCHAR holds any Unicode text but NUL.
const text = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => !s.includes('\u0000'));

describe('string literals', () => {
  it('any value reads back unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(text, async (v) => {
        const r = await engine.query(`SELECT ${stringLiteral(v)} AS v`);
        expect(r.rows[0]!.v).toBe(v);
      }),
      { numRuns: 200 },
    );
  });

  it('a bound value never adds a placeholder, a comment or a statement', () => {
    fc.assert(
      fc.property(text, text, (dt, cluster) => {
        const sql = pipelineStatement('report-causes', { dt, cluster, n: '30' });
        // the bound statement has exactly the two literals, in place of :dt and :cluster
        expect(sql).toContain(`dt = ${stringLiteral(dt)} AND cluster = ${stringLiteral(cluster)}`);
      }),
    );
  });

  it('binds the report query and runs it on an empty output (no rows, no error)', async () => {
    await fc.assert(
      fc.asyncProperty(text, text, async (dt, cluster) => {
        const r = await engine.query(pipelineStatement('report-causes', { dt, cluster, n: '30' }));
        expect(r.rows).toEqual([]);
      }),
      { numRuns: 50 },
    );
  });
});
