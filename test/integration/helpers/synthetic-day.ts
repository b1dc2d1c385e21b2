/**
 * A large synthetic cluster-day for the daily report's bounds (test/integration/report-bounds.test.ts,
 * scripts/report-bounds.ts): DuckDB writes `pods` pods × `samples` captures straight into the
 * compacted discrepancy partition (every contract column; the ones not set here are NULL), then the
 * real trends step (buildTrends) and the real report read it. 110 pods per node, 40 namespaces, and
 * per pod three series as a kubelet sees them: the pod row, the app container and the pause
 * container — 330 series per node, the fleet model's figure.
 *
 * Planted, by pod number i, so that every report table has far more rows than it shows:
 *   i % 20 = 0   RSS grows 8 MiB/h (leak, rss)
 *   i % 25 = 1   tmpfs grows 6 MiB/h (leak, shmem)
 *   i % 10 = 2   working set (460 + 24 + up to 2) MiB of a 512 MiB limit, 94.5–95 %, all day (near limit)
 *   i % 5  = 3   RSS spikes +600 MiB (at most 863 MiB of 1024) from 11:00, OOM-killed at 12:00 (the counter goes 0 → 1; a spike, not a leak)
 *   every pod    a page-cache gap of 8 + (i % 97) MiB (24 MiB near the limit; legacy formula), so every pod is a top-gap candidate
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { compactedKey } from '../../../src/outputs/layout.js';
import { columnsOf, TABLES } from '../../../src/outputs/tables.js';
import { DUCKDB_TYPE, quoteLiteral } from '../../../src/query/views.js';

const MiB = 1024 * 1024;
export const SYNTHETIC_DT = '2026-11-26';
export const SYNTHETIC_CLUSTER = 'synthetic';
export const PODS_PER_NODE = 110;
export const NAMESPACES = 40;

/** The expressions of the columns the synthetic day sets, over g(s, i, k, h): sample, pod, series kind (0 pod, 1 app, 2 pause), hour. */
function columnExpressions(dayMs: number, intervalMs: number): Record<string, string> {
  const limit = `(CASE WHEN k = 2 THEN NULL WHEN i % 10 = 2 THEN ${512 * MiB} ELSE ${1024 * MiB} END)::BIGINT`;
  // app memory: anonymous, tmpfs and page cache (active part = the legacy formula's gap)
  const rss = `(CASE WHEN k = 2 THEN ${600 * 1024} WHEN i % 10 = 2 THEN ${460 * MiB} ELSE ${100 * MiB} + (i % 50) * ${MiB} END
    + CASE WHEN k <> 2 AND i % 20 = 0 THEN (h * ${8 * MiB})::BIGINT ELSE 0 END
    + CASE WHEN k <> 2 AND i % 5 = 3 AND h >= 11 AND h < 12 THEN ${600 * MiB} ELSE 0 END
    + CASE WHEN k <> 2 THEN (hash(i, s) % ${2 * MiB})::BIGINT ELSE 0 END)::BIGINT`;
  const shmem = `(CASE WHEN k <> 2 AND i % 25 = 1 THEN ${20 * MiB} + (h * ${6 * MiB})::BIGINT ELSE 0 END)::BIGINT`;
  const active = `(CASE WHEN k = 2 THEN 0 WHEN i % 10 = 2 THEN ${24 * MiB} ELSE ${8 * MiB} + (i % 97) * ${MiB} END)::BIGINT`;
  const ws = `(${rss} + ${shmem} + ${active})`;
  return {
    captured_at: `make_timestamptz((${dayMs} + s * ${intervalMs})::BIGINT * 1000)`,
    node: `'node-' || lpad(CAST(i // ${PODS_PER_NODE} AS VARCHAR), 4, '0')`,
    namespace: `'ns-' || (i % ${NAMESPACES})`,
    pod: `'app-' || i || '-5d6e7'`,
    pod_uid: `'uid-' || i`,
    container: `CASE k WHEN 0 THEN NULL WHEN 1 THEN 'app' ELSE 'POD' END`,
    container_id: `CASE WHEN k = 0 THEN NULL ELSE printf('%012x%d', i, k) END`,
    level: `CASE WHEN k = 0 THEN 'pod' ELSE 'container' END`,
    docker_formula: `'legacy'`,
    cause: `CASE WHEN k = 2 THEN 'container-mismatch' WHEN i % 25 = 1 THEN 'shmem' ELSE 'page-cache' END`,
    working_set_bytes: ws,
    kubectl_top_bytes: `CASE WHEN k = 2 THEN NULL ELSE ${ws} END`,
    docker_stats_bytes: rss,
    rss_bytes: rss,
    shmem_bytes: shmem,
    active_file_bytes: active,
    cache_bytes: `(${shmem} + ${active} + ${16 * MiB})`,
    gap_bytes: `CASE WHEN k = 2 THEN NULL ELSE ${shmem} + ${active} END`,
    gap_page_cache_bytes: `CASE WHEN k = 2 THEN NULL ELSE ${shmem} + ${active} END`,
    limit_bytes: limit,
    working_set_pct_of_limit: `100.0 * ${ws} / ${limit}`,
    oom_kill_count: `CASE WHEN k = 0 THEN NULL WHEN k = 1 AND i % 5 = 3 AND h >= 12 THEN 1 ELSE 0 END::BIGINT`,
    flags: `CASE WHEN k = 2 THEN ['pause-container', 'no-limit'] ELSE CAST([] AS VARCHAR[]) END`,
  };
}

/** Writes the day under `root` (an output folder) as discrepancy/dt=…/cluster=…/data.parquet. */
export async function writeSyntheticDay(root: string, pods: number, samples: number): Promise<void> {
  const file = path.join(root, ...compactedKey('discrepancy', SYNTHETIC_DT, SYNTHETIC_CLUSTER).split('/'));
  await mkdir(path.dirname(file), { recursive: true });
  const dayMs = Date.parse(`${SYNTHETIC_DT}T00:00:00Z`);
  const intervalMs = Math.floor((24 * 3_600_000) / samples);
  const set = columnExpressions(dayMs, intervalMs);
  const cols = columnsOf(TABLES.discrepancy).map((c) => `${set[c.name] ?? `CAST(NULL AS ${DUCKDB_TYPE[c.glue]})`} AS ${c.name}`);
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  try {
    await con.run(`COPY (
  SELECT ${cols.join(',\n    ')}
  FROM (SELECT s, i, k, s * ${intervalMs} / 3600000.0 AS h FROM range(0, ${samples}) t(s), range(0, ${pods}) p(i), range(0, 3) q(k)) AS g
  ORDER BY node, captured_at
) TO ${quoteLiteral(file)} (FORMAT parquet, COMPRESSION snappy)`);
  } finally {
    con.closeSync();
    db.closeSync();
  }
}
