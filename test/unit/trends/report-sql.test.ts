/**
 * The report statements select what the report code reads: the chart points statement names every
 * column a chart draws (src/reports/charts.ts POD_POINT_COLUMNS), so a column added there without
 * the SQL fails here rather than drawing nothing.
 */
import { describe, expect, it } from 'vitest';
import { POD_POINT_COLUMNS } from '../../../src/reports/charts.js';
import { pipelineStatement } from '../../../src/trends/sql.js';

describe('report SQL', () => {
  it('report-pod-points selects every chart column and the pod identity', () => {
    const sql = pipelineStatement('report-pod-points', { dt: '2026-11-26', cluster: 'c', pods: ',n|ns|p,' });
    const select = sql.slice(sql.indexOf('SELECT') + 'SELECT'.length, sql.indexOf('FROM discrepancy'));
    const columns = select.split(',').map((c) => c.trim());
    expect(columns).toEqual(expect.arrayContaining(['node', 'namespace', 'pod', ...POD_POINT_COLUMNS]));
  });
});
