import type { InputLimits } from '../limits.js';
import type { InvalidSnapshotDetail } from '../errors.js';
import type { ObjectStore } from '../store/port.js';

export interface IngestOptions {
  limits?: Partial<InputLimits>;
}

export type IngestOutcome =
  | { status: 'ingested'; key: string; cluster: string; node: string; capturedAt: Date; written: string[]; containers: number }
  | { status: 'quarantined'; key: string; errors: InvalidSnapshotDetail[]; written: string[] };

/**
 * Ingests one capture object: decode → parse every source → discrepancy → Parquet (samples and
 * discrepancy tables, one file each per capture, keyed by the capture identity so re-runs
 * replace). A bad capture is copied to quarantine/ with `<key>.error.json` and reported as
 * `quarantined`; a store failure (TransientStoreError) is thrown for the caller to retry.
 */
export async function ingestObject(_input: ObjectStore, _key: string, _output: ObjectStore, _options: IngestOptions = {}): Promise<IngestOutcome> {
  throw new Error('ingestObject: being implemented');
}
