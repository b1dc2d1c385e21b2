/**
 * What the daily report step reads through its engine: every statement's result rows and their
 * size as JSON (what Athena's GetQueryResults would carry into the Lambda), named by the
 * sql/pipeline/report-*.sql file it came from. Used by test/integration/report-bounds.test.ts and
 * scripts/report-bounds.ts.
 */
import type { QueryEngine } from '../../../src/query/engine.js';

export interface StatementRead {
  name: string;
  rows: number;
  /** JSON.stringify of the rows, BIGINT as a number */
  jsonBytes: number;
}

/** Distinctive text of each report statement (sql/pipeline/report-*.sql), in the bound SQL. */
const NAMES: [RegExp, string][] = [
  [/count_if\(level = 'pod' AND gap_max > 4096\) AS top_gap_rows/, 'report-totals'],
  [/'top-gaps' AS section/, 'report-lists'],
  [/other_namespaces/, 'report-causes'],
  [/lag\(oom_kill_count\)/, 'report-oom-events'],
  [/PARTITION BY node, namespace, pod ORDER BY gap_bytes DESC/, 'report-widest'],
  [/gap_residual_bytes\s+FROM discrepancy/, 'report-pod-points'],
  [/FROM trends_daily/, 'trends_daily (other)'],
];

const json = (rows: readonly unknown[]) => JSON.stringify(rows, (_, v) => (typeof v === 'bigint' ? Number(v) : v)).length;

/** An engine that records what each statement returned; `reads` grows as the report runs. */
export function countingEngine(engine: QueryEngine): { engine: QueryEngine; reads: StatementRead[] } {
  const reads: StatementRead[] = [];
  const counted: QueryEngine = {
    ...engine,
    async query(sql: string) {
      const result = await engine.query(sql);
      reads.push({ name: NAMES.find(([re]) => re.test(sql))?.[1] ?? 'other', rows: result.rows.length, jsonBytes: json(result.rows) });
      return result;
    },
    close: () => engine.close(),
  };
  return { engine: counted, reads };
}

/** Rows and bytes of every trends_daily row of the day: what the report read before it read bounded sets. */
export async function wholeDayRead(engine: QueryEngine, dt: string, cluster: string): Promise<StatementRead> {
  const rows = (await engine.query(`SELECT * FROM trends_daily WHERE dt = '${dt}' AND cluster = '${cluster}'`)).rows;
  return { name: 'all trends_daily rows of the day', rows: rows.length, jsonBytes: json(rows) };
}
