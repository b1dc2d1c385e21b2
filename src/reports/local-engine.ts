/**
 * The CLI's read engine for the reports (`memgap explain`): DuckDB over an output folder, or over
 * a local copy of an `s3://` output's objects. CLI only: the Lambdas
 * read through Athena and never load DuckDB, so this lives apart from src/reports/data.ts.
 */
import { localCopyFor, openQueryEngine, type QueryEngine } from '../query/engine.js';
import type { TableName } from '../outputs/tables.js';
import type { ObjectStore } from '../store/port.js';

/**
 * A read engine over an output location for the CLI (`memgap explain`): DuckDB on the folder, or
 * on a local copy of the given tables' objects of an `s3://` output (explain reads discrepancy only).
 */
export async function withReportEngine<T>(location: string, fn: (engine: QueryEngine) => Promise<T>, tables: readonly TableName[] = ['discrepancy'], open?: (location: string) => ObjectStore): Promise<T> {
  const copy = await localCopyFor(location, `SELECT 1 FROM ${tables.join(', ')}`, open);
  try {
    const engine = await openQueryEngine(copy.root, { readOnly: true });
    try {
      return await fn(engine);
    } finally {
      await engine.close();
    }
  } finally {
    await copy.dispose();
  }
}
