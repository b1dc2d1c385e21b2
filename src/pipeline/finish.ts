import type { ObjectStore } from '../store/port.js';
import type { Partition } from './analyze.js';

export interface FinishSummary {
  compacted: number;
  trendRows: number;
  reports: string[];
}

/**
 * After ingest: compact closed hours, build daily trends and reports for the touched
 * (dt, cluster) partitions. Owned by the trends/reports capability.
 */
export async function finishPartitions(_out: ObjectStore, _partitions: readonly Partition[]): Promise<FinishSummary> {
  return { compacted: 0, trendRows: 0, reports: [] };
}
