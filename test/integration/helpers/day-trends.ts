/**
 * Every trends_daily row of one (dt, cluster), as the row type, for tests that check the rules row
 * by row. The daily report never reads this (src/reports/data.ts reads bounded result sets).
 */
import type { TrendsDailyRow } from '../../../src/outputs/tables.js';
import type { QueryEngine } from '../../../src/query/engine.js';
import { plain } from '../../../src/reports/data.js';
import { stringLiteral } from '../../../src/trends/sql.js';

export async function dayTrends(engine: QueryEngine, dt: string, cluster: string): Promise<TrendsDailyRow[]> {
  const sql = `SELECT * FROM trends_daily WHERE dt = ${stringLiteral(dt)} AND cluster = ${stringLiteral(cluster)} ORDER BY namespace, pod, level DESC, container, node`;
  return (await engine.query(sql)).rows.map((r) => plain(r) as TrendsDailyRow);
}
