/**
 * One capture's sources → canonical samples. Each source is parsed on its own, so an error
 * names exactly which source (and field or line) was bad.
 */
import { InvalidSnapshotError, type InvalidSnapshotDetail, type SnapshotSource } from '../errors.js';
import type { CaptureBundle, CaptureSources } from '../model/bundle.js';
import type { Sample } from '../model/sample.js';
import { parseCgroups } from './cgroup.js';
import { parseCrictlStats } from './crictl.js';
import { parseDockerApiStats } from './docker-api.js';
import { parseDockerStatsJsonLines, parseDockerStatsTable } from './docker-cli.js';
import { parseKubectlTop, parseMetricsApi } from './kubectl.js';
import { parseKubeletSummary } from './kubelet-summary.js';
import { parseKubeletCadvisorMetrics, parseKubeletResourceMetrics } from './prometheus.js';
import type { ParseContext, SourceParser } from './types.js';

const PARSERS: { [K in keyof CaptureSources & SnapshotSource]-?: SourceParser<never> } = {
  kubeletSummary: parseKubeletSummary,
  dockerStats: parseDockerStatsJsonLines,
  dockerStatsTable: parseDockerStatsTable,
  dockerApiStats: parseDockerApiStats,
  crictlStats: parseCrictlStats,
  kubeletResourceMetrics: parseKubeletResourceMetrics,
  kubeletCadvisorMetrics: parseKubeletCadvisorMetrics,
  kubectlTop: parseKubectlTop,
  metricsApi: parseMetricsApi,
  cgroups: parseCgroups,
};

export interface ParsedCapture {
  samples: Sample[];
  errors: InvalidSnapshotDetail[];
}

export function parseCaptureSources(bundle: CaptureBundle, ctx: ParseContext): ParsedCapture {
  const samples: Sample[] = [];
  const errors: InvalidSnapshotDetail[] = [];
  for (const [name, parse] of Object.entries(PARSERS) as [keyof typeof PARSERS, SourceParser<unknown>][]) {
    const input = bundle.sources[name];
    if (input === undefined) continue;
    try {
      for (const s of parse(input, ctx)) samples.push(s);
    } catch (err) {
      if (err instanceof InvalidSnapshotError) errors.push(err.toJSON());
      // A parser bug must not lose the capture: it is quarantined like bad input, and says so.
      else errors.push({ source: name, path: '', reason: `internal parser error: ${(err as Error).message}` });
    }
  }
  return { samples, errors };
}
