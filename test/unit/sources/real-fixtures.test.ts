import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify } from '../../../src/cli/pack.js';
import { DEFAULT_LIMITS } from '../../../src/limits.js';
import { parseCaptureSources } from '../../../src/sources/index.js';

/**
 * Every verbatim real-world file is either recognised as a source and parsed, or rejected with
 * a specific reason. The parsed numbers are asserted in each parser's own test; this one makes
 * sure no fixture is silently ignored and that `memgap pack` sees each for what it is.
 */
const DIR = path.resolve('test/fixtures/real');
const ctx = { capturedAt: new Date('2026-11-27T00:00:00Z'), host: {}, limits: DEFAULT_LIMITS };

type Expected = { as: string; samples: 'some' | 'none' } | { rejected: RegExp } | { documentation: true };
const EXPECTED: Record<string, Expected> = {
  'SOURCES.md': { documentation: true },
  'nri-kubernetes_1_18_README.md': { documentation: true },
  'nri-kubernetes_1_35_README.md': { documentation: true },
  'kubelet-stats-summary_k8s-1.18_docker-20.10.8_systemd.json': { as: 'kubeletSummary', samples: 'some' },
  'kubelet-stats-summary_k8s-1.35_containerd-2.2.1_cgroupfs-v2.json': { as: 'kubeletSummary', samples: 'some' },
  // only a {cpu, memory} excerpt of .node: recognised as a summary, refused by its parser
  'kubelet-stats-summary-node-cpu-memory_zero-usage_metrics-server-known-issues.json': { rejected: /excerpt|summary/i },
  'kubelet-metrics-cadvisor_k8s-1.18_memory-lines.prom': { as: 'kubeletCadvisorMetrics', samples: 'some' },
  'kubelet-metrics-cadvisor_k8s-1.35_memory-lines.prom': { as: 'kubeletCadvisorMetrics', samples: 'some' },
  // cAdvisor's golden test output: real metric names, but no kubelet cgroup paths in `id`
  'cadvisor-prometheus-metrics_testdata.prom': { as: 'kubeletCadvisorMetrics', samples: 'none' },
  'docker-stats-format-json_docs-example.jsonl': { as: 'dockerStats', samples: 'some' },
  'docker-stats-table_docs-example.txt': { as: 'dockerStatsTable', samples: 'some' },
  'docker-engine-api-v1.24-container-stats_docs-example_cgroupv1.json': { as: 'dockerApiStats', samples: 'some' },
  // only the memory_stats.stats map of the swagger example: no response around it
  'docker-engine-api-swagger-memory_stats.stats_example_cgroupv2.json': { rejected: /no known source/ },
  // what `kubectl top` prints from: exact bytes per container (pasted from kubectl get --raw)
  'metrics-api-nodemetrics_k8s-docs-example.json': { as: 'metricsApi', samples: 'some' },
  'metrics-api-podmetrics_k8s-docs-example.json': { as: 'metricsApi', samples: 'some' },
  // bare memory.stat text: a cgroup file by name, parsed by the cgroup tests
  'cgroupv1-memory.stat_containerd-cgroups-testdata_synthetic-values.txt': { as: 'cgroups', samples: 'some' },
  'cgroupv2-memory.stat_opencontainers-cgroups-testdata.txt': { as: 'cgroups', samples: 'some' },
};

describe('every real fixture', () => {
  it('is listed here (no file silently ignored)', () => {
    expect(readdirSync(DIR).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [file, expected] of Object.entries(EXPECTED)) {
    if ('documentation' in expected) continue;
    it(`${file}: ${'rejected' in expected ? 'rejected with a reason' : `parsed as ${expected.as}`}`, () => {
      const text = readFileSync(path.join(DIR, file), 'utf8');
      let sources: Record<string, unknown>;
      if (file.includes('memory.stat')) sources = { cgroups: [{ path: '/kubepods/burstable/pod0f1e2d3c-aaaa-bbbb-cccc-000000000001/' + 'c'.repeat(64), files: { 'memory.stat': text } }] };
      else {
        const c = classify(text);
        if (c.kind === null) {
          expect('rejected' in expected).toBe(true);
          expect(c.reason).toMatch((expected as { rejected: RegExp }).rejected);
          return;
        }
        sources = { [c.kind]: c.value };
      }
      const { samples, errors } = parseCaptureSources({ schema: 'memgap.capture/v1', cluster: 'c', node: 'n', capturedAt: ctx.capturedAt.toISOString(), sources } as never, ctx);
      if ('rejected' in expected) {
        expect(errors).toHaveLength(1);
        expect(errors[0]!.reason).toMatch(expected.rejected);
        return;
      }
      expect(errors).toEqual([]);
      expect(Object.keys(sources)).toEqual([expected.as]);
      if (expected.samples === 'some') expect(samples.length).toBeGreaterThan(0);
      else expect(samples).toEqual([]);
    });
  }
});
