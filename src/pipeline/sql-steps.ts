/**
 * The dedupe/compaction statements, rendered from one SQL source (sql/pipeline/*.sql, Athena's
 * Trino dialect): the Athena MERGE of one (arrival hour, cluster) step, and the local DuckDB COPY
 * of one (table, dt, cluster) partition. Both wrap the same dedupe SELECT.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { columnsOf, TABLES, type TableName } from '../outputs/tables.js';
import { sqlDir, sqlLiteral } from '../query/named.js';
import { trinoToDuckDb } from '../query/translate.js';

/** The tables ingest stages and compaction merges (trends_daily is built from them by SQL too, elsewhere). */
export const COMPACTED_TABLES = ['samples', 'discrepancy'] as const satisfies readonly TableName[];
export type CompactedTable = (typeof COMPACTED_TABLES)[number];

/** Columns a staging file holds beyond the table contract (all strings). */
export const STAGING_EXTRA_COLUMNS = ['dt', 'cluster', 'batch_id'] as const;

/** Glue/Athena name of a table's staging table (partitioned by arrival, cluster). */
export const stagingTableName = (table: CompactedTable) => `${table}_staging`;

const cache = new Map<string, string>();
/** A pipeline SQL file without its `--` header. */
export function pipelineSql(name: 'dedupe' | 'merge' | 'compact-local', dir: string = sqlDir()): string {
  const file = path.join(dir, 'pipeline', `${name}.sql`);
  let text = cache.get(file);
  if (text === undefined) {
    const lines = readFileSync(file, 'utf8').split('\n');
    let i = 0;
    while (i < lines.length && lines[i]!.startsWith('--')) i++;
    text = lines.slice(i).join('\n').trimEnd();
    cache.set(file, text);
  }
  return text;
}

/** Replaces every `{{name}}`; a missing or unused name is a programming error, caught by the golden tests. */
export function fill(template: string, parts: Readonly<Record<string, string>>): string {
  const used = new Set<string>();
  const out = template.replace(/\{\{([a-z_]+)\}\}/g, (_, name: string) => {
    const v = parts[name];
    if (v === undefined) throw new Error(`SQL template: no value for {{${name}}}`);
    used.add(name);
    return v;
  });
  for (const k of Object.keys(parts)) if (!used.has(k)) throw new Error(`SQL template: {{${k}}} is not used`);
  return out;
}

export const contractColumns = (table: CompactedTable) => columnsOf(TABLES[table]).map((c) => c.name);
const withPartitionColumns = (table: CompactedTable) => [...contractColumns(table), 'dt', 'cluster'];

export function dedupeSql(table: CompactedTable, staging: string, where: string): string {
  return fill(pipelineSql('dedupe'), { columns: withPartitionColumns(table).map((c) => `staged.${c}`).join(', '), staging, where });
}

/**
 * One Athena compaction step (src/pipeline/plan.ts enqueues them): the UTC hour the staging files
 * arrived in (`YYYY-MM-DDTHH`, the staging `arrival` partition) and the cluster.
 */
export interface MergeStep {
  arrival: string;
  cluster: string;
}

/**
 * Athena: the MERGE of one (arrival hour, cluster) into one Iceberg table. Athena runs it as is;
 * the stand-in translates it like every other Athena statement.
 */
export function athenaMergeSql(table: CompactedTable, step: MergeStep): string {
  const columns = withPartitionColumns(table);
  const where = `staged.arrival = ${sqlLiteral(step.arrival)} AND staged.cluster = ${sqlLiteral(step.cluster)}`;
  return fill(pipelineSql('merge'), {
    table,
    dedupe: dedupeSql(table, stagingTableName(table), where),
    columns: columns.join(', '),
    values: columns.map((c) => `s.${c}`).join(', '),
  });
}

const quotePath = (p: string) => sqlLiteral(p.replace(/\\/g, '/'));
/** `read_parquet([...])` over explicit files; hive partitioning off so the files' own dt/cluster columns are used. */
export const readFilesSql = (files: readonly string[]) => `read_parquet([${files.map(quotePath).join(', ')}], hive_partitioning = false)`;

/** The staging files local compaction reads: listed explicitly, never a glob (a file landing meanwhile waits for the next run). */
export interface LocalCompaction {
  table: CompactedTable;
  dt: string;
  cluster: string;
  staging: readonly string[];
  /** the partition's current data.parquet, or null */
  existing: string | null;
  /** its columns, when known (a column of the contract it lacks reads as NULL) */
  existingColumns?: readonly string[];
  target: string;
  /** Parquet options of the written file */
  rowGroupRows?: number;
}

/** DuckDB: the COPY of one partition's rows (current file ∪ new staging captures) to `target`. */
export function localCompactionSql(c: LocalCompaction): string {
  const contract = contractColumns(c.table);
  // No file yet: an empty relation with the staging files' column types. A file written before a
  // column was added to the contract reads that column as NULL.
  const has = (n: string) => !c.existingColumns || c.existingColumns.includes(n);
  const existing = c.existing
    ? `(SELECT ${contract.map((n) => (has(n) ? n : `NULL AS ${n}`)).join(', ')} FROM ${readFilesSql([c.existing])})`
    : `(SELECT ${contract.join(', ')} FROM ${readFilesSql(c.staging)} WHERE false)`;
  const where = `staged.dt = ${sqlLiteral(c.dt)} AND staged.cluster = ${sqlLiteral(c.cluster)}`;
  const sql = fill(pipelineSql('compact-local'), {
    existing,
    dedupe: dedupeSql(c.table, readFilesSql(c.staging), where),
    contract: contract.join(', '),
    target: quotePath(c.target),
    // ZSTD, as the Iceberg tables on AWS (ICEBERG_PROPERTIES.write_compression): ~1.7× smaller than SNAPPY.
    options: `FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${c.rowGroupRows ?? 122_880}`,
  });
  return trinoToDuckDb(sql);
}
