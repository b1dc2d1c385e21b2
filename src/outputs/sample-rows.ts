import type { Sample } from '../model/sample.js';
import { byteColumns, type SampleRow } from './tables.js';

/** Canonical samples → rows of the `samples` table (node-level samples included). */
export function sampleRows(samples: readonly Sample[], capturedAt: Date, node: string): SampleRow[] {
  return samples.map((s) => {
    const m = s.memory;
    return {
      captured_at: capturedAt,
      sampled_at: s.sampledAt,
      source: s.source,
      node,
      namespace: s.identity.namespace,
      pod: s.identity.pod,
      pod_uid: s.identity.podUid,
      container: s.identity.container,
      container_id: s.identity.containerId,
      level: s.identity.level,
      runtime_name: s.identity.runtimeName,
      cgroup_path: s.identity.cgroupPath,
      ...byteColumns(m),
      limit_unlimited: m.limit === null ? null : m.limit === 'unlimited',
      reported_bytes: s.reported ? Math.round(s.reported.bytes) : null,
      reported_uncertainty_bytes: s.reported ? Math.ceil(s.reported.uncertaintyBytes) : null,
      reported_text: s.reported?.text ?? null,
      oom_kill_count: s.oomKillCount,
    };
  });
}
