/**
 * explainRow's "active page cache" (issue 11 point 15): the kernel's active_file where the row has
 * it, never the page-cache term less tmpfs (a difference that can hold other memory); that
 * difference only when active_file was not captured, and then the text says it is an estimate.
 * Rows are legacy-formula (Docker ≤ 19.03: usage − cache) pod rows, whose page-cache term
 * working_set − docker_stats = active_file + tmpfs + whatever else `cache` holds.
 */
import { describe, expect, it } from 'vitest';
import { columnsOf, TABLES, type DiscrepancyRow } from '../../src/outputs/tables.js';
import { explainRow } from '../../src/reports/explain.js';

const MiB = 1024 * 1024;

/** A legacy-formula pod row whose whole gap is the page-cache term (no rounding, skew or residual). */
function row(x: { term: number; activeFile: number | null; shmem?: number; formula?: string }): DiscrepancyRow {
  const o: Record<string, unknown> = {};
  for (const c of columnsOf(TABLES.discrepancy)) o[c.name] = c.glue === 'array<string>' ? [] : null;
  const docker = 20 * MiB;
  return Object.assign(o, {
    captured_at: new Date('2026-11-26T12:00:00Z'), node: 'n1', namespace: 'shop', pod: 'api', level: 'pod', docker_formula: x.formula ?? 'legacy', cause: 'page-cache',
    kubectl_top_bytes: docker + x.term, docker_stats_bytes: docker, gap_bytes: x.term, gap_page_cache_bytes: x.term, gap_rounding_bytes: 0, gap_skew_bytes: 0, gap_residual_bytes: 0,
    active_file_bytes: x.activeFile, shmem_bytes: x.shmem ?? 0,
  }) as DiscrepancyRow;
}

describe('explainRow: active page cache', () => {
  it('names the kernel active_file, not the page-cache term less tmpfs', () => {
    // term 110 MiB, tmpfs 0, active_file 100 MiB: 10 MiB of the term is something else (> 2 % of the gap, 2.2 MiB)
    const text = explainRow(row({ term: 110 * MiB, activeFile: 100 * MiB }));
    expect(text).toContain('kubectl top counts 100.0 MiB of active page cache that the Docker CLI (≤ 19.03 formula) subtracts; reclaimable under pressure, yet kubelet eviction counts it.');
    expect(text).toContain('The other 10.0 MiB that the Docker CLI (≤ 19.03 formula) subtracts is neither active_file nor tmpfs.');
    expect(text).not.toContain('110.0 MiB of active');
    expect(text).not.toContain('estimated');
  });

  it('the report-builder case: 395 MiB term = active_file 15 MiB + tmpfs 380 MiB', () => {
    const text = explainRow(row({ term: 395 * MiB, activeFile: 15 * MiB, shmem: 380 * MiB }));
    expect(text).toContain('kubectl top counts 15.0 MiB of active page cache');
    expect(text).toContain('380.0 MiB is tmpfs/shared memory');
    expect(text).not.toContain('neither active_file');
  });

  it('a difference under 2 % of the gap is not worth a sentence', () => {
    // term 101 MiB, active_file 100 MiB: 1 MiB < 2 % of 101 MiB (2.02 MiB)
    expect(explainRow(row({ term: 101 * MiB, activeFile: 100 * MiB }))).not.toContain('neither active_file');
  });

  it('without active_file: the term less tmpfs, said to be an estimate', () => {
    const text = explainRow(row({ term: 110 * MiB, activeFile: null }));
    expect(text).toContain('kubectl top counts 110.0 MiB of active page cache that the Docker CLI (≤ 19.03 formula) subtracts (estimated as the page-cache term less tmpfs: no active_file was captured for this row, so it may hold other memory)');
  });

  it("a pod row takes its app containers' active_file (the counterpart of its summed term), not its own cgroup's", () => {
    // pod cgroup active_file 120 MiB (pause and pod overhead included), app containers' 100 MiB, term 100 MiB
    const pod = { ...row({ term: 100 * MiB, activeFile: 120 * MiB }), level: 'pod' };
    expect(explainRow(pod, undefined, 100 * MiB)).toContain('kubectl top counts 100.0 MiB of active page cache');
    expect(explainRow(pod, undefined, 100 * MiB)).not.toContain('neither active_file');
    // one app container without active_file: the estimate, said so
    expect(explainRow(pod, undefined, null)).toContain('100.0 MiB of active page cache that the Docker CLI (≤ 19.03 formula) subtracts (estimated');
    // no container figure given: the pod row's own active_file
    expect(explainRow(pod)).toContain('kubectl top counts 120.0 MiB of active page cache');
  });

  it('the ≥ 20.10 formula subtracts no active page cache: no sentence about it, whatever active_file is', () => {
    // docker stats = usage − inactive_file = the working set: a zero page-cache term
    const text = explainRow(row({ term: 0, activeFile: 200 * MiB, formula: 'modern' }));
    expect(text).not.toContain('active page cache');
  });
});
