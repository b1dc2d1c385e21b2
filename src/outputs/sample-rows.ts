import type { Sample } from '../model/sample.js';
import type { SampleRow } from './tables.js';

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
      usage_bytes: m.usage,
      working_set_bytes: m.workingSet,
      rss_bytes: m.rss,
      cache_bytes: m.cache,
      active_file_bytes: m.activeFile,
      inactive_file_bytes: m.inactiveFile,
      shmem_bytes: m.shmem,
      mapped_file_bytes: m.mappedFile,
      swap_bytes: m.swap,
      kernel_bytes: m.kernel,
      limit_bytes: m.limit === 'unlimited' ? null : m.limit,
      limit_unlimited: m.limit === null ? null : m.limit === 'unlimited',
      reported_bytes: s.reported ? Math.round(s.reported.bytes) : null,
      reported_uncertainty_bytes: s.reported ? Math.ceil(s.reported.uncertaintyBytes) : null,
      reported_text: s.reported?.text ?? null,
      oom_kill_count: s.oomKillCount,
    };
  });
}
