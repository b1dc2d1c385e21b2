/**
 * The local tables as DuckDB views over an output folder, named as in Athena (the SQL text of
 * the views only: no DuckDB import here, so code that a Lambda bundles may use it).
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { columnsOf, PARTITION_COLUMNS, TABLES, type GlueType, type TableName } from '../outputs/tables.js';

/** How DuckDB reads each Glue type from the files outputs/parquet.ts writes. */
export const DUCKDB_TYPE: Readonly<Record<GlueType, string>> = {
  bigint: 'BIGINT',
  string: 'VARCHAR',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP WITH TIME ZONE',
  'array<string>': 'VARCHAR[]',
};

export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

export const quoteLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;

function hasParquet(dir: string): boolean {
  if (!existsSync(dir)) return false;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.parquet')) return true;
    if (entry.isDirectory() && hasParquet(path.join(dir, entry.name))) return true;
  }
  return false;
}

/**
 * The view for one table. Partition keys are typed VARCHAR as in Glue (`dt` string, not DATE),
 * so `dt = '2026-11-26'` means the same in both engines. A table with no files yet (trends_daily
 * before the first daily run) gets an empty view with the contract's columns, as Athena would
 * show an empty table rather than fail.
 */
export function viewSql(table: TableName, root: string): string {
  const dir = path.join(root, table);
  if (hasParquet(dir)) {
    const glob = path.join(dir, 'dt=*', 'cluster=*', '*.parquet');
    const hiveTypes = PARTITION_COLUMNS.map((p) => `'${p.name}': VARCHAR`).join(', ');
    return `CREATE OR REPLACE VIEW ${table} AS SELECT * FROM read_parquet(${quoteLiteral(glob)}, hive_partitioning = true, hive_types = {${hiveTypes}}, union_by_name = true)`;
  }
  const cols = [
    ...columnsOf(TABLES[table]).map((c) => `CAST(NULL AS ${DUCKDB_TYPE[c.glue]}) AS ${c.name}`),
    ...PARTITION_COLUMNS.map((p) => `CAST(NULL AS VARCHAR) AS ${p.name}`),
  ];
  return `CREATE OR REPLACE VIEW ${table} AS SELECT ${cols.join(', ')} WHERE false`;
}

