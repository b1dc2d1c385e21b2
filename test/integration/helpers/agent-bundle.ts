import path from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { bundleKey, encodeBundle } from '../../../src/agent/bundle.js';
import type { CaptureBundle } from '../../../src/model/bundle.js';
import { compactedKey, dtOf } from '../../../src/outputs/layout.js';
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
    const bytes = await output.getBytes(compactedKey(table, dtOf(at), bundle.cluster));
    const rows = (await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer })) as Row[];
    return rows.filter((r) => r.node === bundle.node && new Date(r.captured_at as Date).getTime() === at.getTime());
  };
  return { discrepancy: await read('discrepancy'), samples: await read('samples') };
}
