/**
 * The seed article's busybox in the daily report. "Unlimited" and "not captured" are different things in trends_daily and the daily report
 * (issue 11 point 5). The seed article's busybox is a BestEffort pod: in the demo's captures of it
 * every source says it has no limit (memory.limit_in_bytes and memory.stat's
 * hierarchical_memory_limit hold the 2^63 sentinel, and the kubelet summary omits availableBytes,
 * which the kubelet does only when the limit is unlimited), so the report says "unlimited". The
 * same captures without any limit source (no limit file, no hierarchical_memory_limit line, no
 * kubelet memory figures) must say "not captured", never "unlimited".
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { articleCaptures, gzipBundle } from '../../src/demo/generator.js';
import type { CaptureBundle } from '../../src/model/bundle.js';
import { dailyReportPrefix, rawKey } from '../../src/outputs/layout.js';
import { analyze, resolveInputs } from '../../src/pipeline/analyze.js';
import { finishPartitions } from '../../src/pipeline/finish.js';
import type { DailyReport } from '../../src/reports/daily.js';
import { withReportEngine } from '../../src/reports/local-engine.js';
import { FsObjectStore } from '../../src/store/fs-store.js';
import { dayTrends } from './helpers/day-trends.js';

const DT = '2020-02-03';
const roots: string[] = [];
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

/** Analyzes the captures as `memgap analyze` does; returns the busybox container's trends row and the report. */
async function reportOf(captures: CaptureBundle[]) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'memgap-report-limit-'));
  roots.push(root);
  const raw = new FsObjectStore(path.join(root, 'raw'));
  for (const b of captures) await raw.put(rawKey(b.cluster, b.node, new Date(b.capturedAt)), gzipBundle(b));
  const out = new FsObjectStore(path.join(root, 'out'));
  const summary = await analyze(await resolveInputs([path.join(root, 'raw')]), out);
  expect(summary.quarantined).toBe(0);
  await finishPartitions(out, summary.partitions);
  const trends = await withReportEngine(out.root, (engine) => dayTrends(engine, DT, 'seed-article'), ['trends_daily']);
  const prefix = dailyReportPrefix(DT, 'seed-article');
  const report = JSON.parse((await out.getBytes(`${prefix}summary.json`)).toString()) as DailyReport;
  const md = (await out.getBytes(`${prefix}summary.md`)).toString();
  return { busybox: trends.find((r) => r.container === 'busybox')!, report, md };
}

/**
 * The article's captures with every limit source taken away: no memory.limit_in_bytes, no
 * hierarchical_* line in memory.stat, and a kubelet summary that names the pod and its container
 * but has no memory figures for them (its omitted availableBytes would otherwise say "unlimited").
 */
function withoutLimitSources(): CaptureBundle[] {
  return articleCaptures().map((b) => {
    const summary = structuredClone(b.sources.kubeletSummary) as { pods: { memory?: unknown; containers: { memory?: unknown }[] }[] };
    for (const pod of summary.pods) {
      delete pod.memory;
      for (const c of pod.containers) delete c.memory;
    }
    const cgroups = b.sources.cgroups!.map((c) => {
      const { 'memory.limit_in_bytes': _limit, ...files } = c.files as Record<string, string>;
      files['memory.stat'] = files['memory.stat']!.split('\n').filter((l) => !l.startsWith('hierarchical_mem')).join('\n');
      return { ...c, files };
    });
    return { ...b, sources: { ...b.sources, kubeletSummary: summary, cgroups } } as CaptureBundle;
  });
}

const sizingRow = (md: string) => md.split('\n').find((l) => l.startsWith('| default/busybox [busybox] |'))!;

describe('limit: unlimited vs not captured', () => {
  it('the article busybox, every source saying no limit: limit_unlimited TRUE, "unlimited"', async () => {
    const { busybox, report, md } = await reportOf(articleCaptures());
    expect([busybox.limit_bytes, busybox.limit_unlimited]).toEqual([null, true]);
    const sizing = report.rightSizing.find((r) => r.container === 'busybox')!;
    expect([sizing.limitBytes, sizing.limitUnlimited]).toEqual([null, true]);
    expect(sizingRow(md).split(' | ')[1]).toBe('unlimited');
  });

  it("explains the article's 101 MiB as the app container's active_file, although the pod row has none of its own", async () => {
    // busybox's memory.stat: active_file 105857024 = the whole page-cache term (cache − inactive_file, no tmpfs);
    // the pod cgroup was not collected, so the pod row has no active_file: the report takes the container's
    const { report } = await reportOf(articleCaptures());
    const gap = report.topGaps.find((g) => g.pod === 'busybox')!;
    expect(gap.explanation).toContain('kubectl top counts 101.0 MiB of active page cache that the Docker CLI (≤ 19.03 formula) subtracts; reclaimable');
    expect(gap.explanation).not.toContain('estimated');
  });

  it('the same captures with no limit source: limit_unlimited NULL, "not captured", never "unlimited"', async () => {
    const { busybox, report, md } = await reportOf(withoutLimitSources());
    expect([busybox.limit_bytes, busybox.limit_unlimited]).toEqual([null, null]);
    const sizing = report.rightSizing.find((r) => r.container === 'busybox')!;
    expect([sizing.limitBytes, sizing.limitUnlimited]).toEqual([null, null]);
    expect(sizingRow(md).split(' | ')[1]).toBe('not captured');
    expect(md).not.toContain('unlimited');
  });
});
