import path from 'node:path';
import { bundleKey, encodeBundle } from '../../../src/agent/bundle.js';
import type { CaptureBundle } from '../../../src/model/bundle.js';
import { compactedKey, dtOf } from '../../../src/outputs/layout.js';
import { stringLiteral } from '../../../src/trends/sql.js';
import { openQueryEngine } from '../../../src/query/engine.js';
import { compactStaging } from '../../../src/pipeline/compact.js';
import { ingestObject } from '../../../src/pipeline/ingest.js';
import { FsObjectStore } from '../../../src/store/fs-store.js';

export type Row = Record<string, unknown>;

/** Parquet INT64 columns read back as bigint; null stays null. */
export const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * What the pipeline does with an agent's capture: the agent's gzip bytes under its raw/ key,
 * `ingestObject` + compaction, then this capture's rows of both tables read back from their Parquet files.
 */
export async function ingestAgentBundle(bundle: CaptureBundle, dir: string): Promise<{ discrepancy: Row[]; samples: Row[] }> {
  const input = new FsObjectStore(path.join(dir, 'in'));
  const output = new FsObjectStore(path.join(dir, 'out'));
  const key = bundleKey(bundle);
  await input.put(key, await encodeBundle(bundle));
  const outcome = await ingestObject(input, key, output);
  if (outcome.status !== 'ingested') throw new Error(`the agent's bundle was ${outcome.status}: ${JSON.stringify(outcome)}`);
  await compactStaging(output);
  const at = new Date(bundle.capturedAt);
  const read = async (table: 'discrepancy' | 'samples'): Promise<Row[]> => {
    // read back with DuckDB, straight from the partition's one file
    const file = path.join(output.root, ...compactedKey(table, dtOf(at), bundle.cluster).split('/'));
    const engine = await openQueryEngine(output.root);
    try {
      const rows = (await engine.query(`SELECT * FROM read_parquet(${stringLiteral(file)}, hive_partitioning = false)`)).rows;
      return rows.filter((r) => r.node === bundle.node && new Date(r.captured_at as Date).getTime() === at.getTime());
    } finally {
      await engine.close();
    }
  };
  return { discrepancy: await read('discrepancy'), samples: await read('samples') };
}
