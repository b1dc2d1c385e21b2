import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeParquet } from '../../src/outputs/parquet.js';
import { columnsOf, TABLES } from '../../src/outputs/tables.js';
import { withReportEngine } from '../../src/reports/local-engine.js';
import { isSimilarPodName, podStory } from '../../src/reports/pod-story.js';

const similar = (typed: string, seen: string): boolean => {
  const [tn, tp] = typed.split('/') as [string, string];
  const [sn, sp] = seen.split('/') as [string, string];
  return isSimilarPodName({ namespace: tn, pod: tp }, { namespace: sn, pod: sp });
};

describe('isSimilarPodName: what `memgap explain` offers when the typed pod has no capture', () => {
  it('a stale ReplicaSet hash or pod suffix finds the same Deployment', () => {
    expect(similar('shop/orders-api-6d9f', 'shop/orders-api-6f5d4-k8j2m')).toBe(true);
    expect(similar('shop/orders-api-6f5d4-aaaaa', 'shop/orders-api-6f5d4-k8j2m')).toBe(true);
    expect(similar('shop/orders-api-7b8c9-p4l5n', 'shop/orders-api-6f5d4-k8j2m')).toBe(true);
  });
  it('a prefix finds what starts with it; the right name in another namespace is offered', () => {
    expect(similar('batch/etl-nightly', 'batch/etl-nightly-28f7x')).toBe(true);
    expect(similar('shop/session-cache', 'shop/session-cache-0')).toBe(true);
    expect(similar('default/indexer-0', 'search/indexer-0')).toBe(true);
  });
  it('another workload that only shares a first word is not offered, nor the very pod typed', () => {
    expect(similar('shop/orders-api-6d9f', 'shop/orders-worker-5c6b7-x2x9q')).toBe(false);
    expect(similar('shop/orders-api-6d9f-abcde', 'shop/orders-5c6b7-x2x9q')).toBe(false);
    expect(similar('shop/payments-api-5d6e7-q9r8s', 'shop/catalog-api-7b8c9-p4l5n')).toBe(false);
    expect(similar('shop/orders-api-6f5d4-k8j2m', 'shop/orders-api-6f5d4-k8j2m')).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// The story's data, read by SQL (src/reports/data.ts) from a hand-made output folder.

const MiB = 1024 * 1024;
const at = (day: string, hh: number) => new Date(`${day}T${String(hh).padStart(2, '0')}:00:00Z`);

/** One discrepancy row with every contract column (NULL/empty unless given). */
function row(x: Record<string, unknown>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const c of columnsOf(TABLES.discrepancy)) o[c.name] = c.glue === 'array<string>' ? [] : null;
  return Object.assign(o, { docker_formula: 'unknown', cause: 'none', node: 'n1', namespace: 'shop', pod: 'api-1', pod_uid: 'u1', ...x });
}

async function outputWith(parts: Record<string, Record<string, unknown>[]>): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'memgap-pod-story-'));
  for (const [part, rows] of Object.entries(parts)) {
    const [dt, cluster] = part.split('/') as [string, string];
    const dir = path.join(root, 'discrepancy', `dt=${dt}`, `cluster=${cluster}`);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'data.parquet'), writeParquet(TABLES.discrepancy, rows));
  }
  return root;
}

describe('podStory through SQL', () => {
  const D1 = '2026-11-25';
  const D2 = '2026-11-26';
  // Day 2 in cluster a: pod rows with working sets 100, 300, 200, 150 MiB at 10–13 h; the app
  // container's OOM counter 0, 2, 0 (a restart: new cgroup), 1. Rises: 10→11 by 2, 12→13 by 1
  // (the drop to 0 is no kill). Day 1 in cluster a and day 2 in cluster b hold the same name.
  const ws = [100, 300, 200, 150];
  const oom = [0, 2, 0, 1];
  const day2 = ws.flatMap((w, i) => [
    row({ captured_at: at(D2, 10 + i), level: 'pod', working_set_bytes: w * MiB, rss_bytes: 80 * MiB, cache_bytes: (w - 80) * MiB, limit_bytes: 400 * MiB, working_set_pct_of_limit: w / 4, cause: i === 1 ? 'page-cache' : 'none' }),
    row({ captured_at: at(D2, 10 + i), level: 'container', container: 'app', container_id: 'c1', working_set_bytes: w * MiB, oom_kill_count: oom[i] }),
  ]);
  let root: string;
  beforeAll(async () => {
    root = await outputWith({
      [`${D1}/a`]: [row({ captured_at: at(D1, 9), level: 'pod', working_set_bytes: 50 * MiB })],
      [`${D2}/a`]: [...day2, row({ captured_at: at(D2, 10), level: 'pod', pod: 'web-7', working_set_bytes: MiB })],
      [`${D2}/b`]: [row({ captured_at: at(D2, 15), level: 'pod', node: 'n9', working_set_bytes: 10 * MiB })],
    });
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('tells the latest day holding the pod: captures, peak, the OOM kills between which captures, causes', async () => {
    const s = await withReportEngine(root, (e) => podStory(e, 'shop', 'api-1', { cluster: 'a' }));
    expect(s.from).toBe(`${D2}T00:00:00.000Z`);
    expect(s.to).toBe('2026-11-27T00:00:00.000Z');
    expect(s.clusters).toEqual(['a']);
    expect(s.captures).toBe(4);
    expect(s.containers).toEqual(['app']);
    expect(s.peak).toMatchObject({ at: at(D2, 11).toISOString(), workingSet: 300 * MiB, limit: 400 * MiB, pctOfLimit: 75 });
    expect(s.oomKills).toEqual([
      { container: 'app', after: at(D2, 10).toISOString(), at: at(D2, 11).toISOString(), count: 2 },
      { container: 'app', after: at(D2, 12).toISOString(), at: at(D2, 13).toISOString(), count: 1 },
    ]);
    expect(s.causes).toEqual({ none: 3, 'page-cache': 1 });
  });

  it('without --cluster, a name present in two clusters that day shows both (the CLI then asks for one)', async () => {
    const s = await withReportEngine(root, (e) => podStory(e, 'shop', 'api-1'));
    expect(s.clusters).toEqual(['a', 'b']);
    expect(s.captures).toBe(5);
  });

  it('a window reads only its captures; both bounds count', async () => {
    const s = await withReportEngine(root, (e) => podStory(e, 'shop', 'api-1', { cluster: 'a', from: at(D2, 11), to: at(D2, 12) }));
    expect(s.timeline.map((t) => t.at)).toEqual([at(D2, 11).toISOString(), at(D2, 12).toISOString()]);
    // the 11→12 drop is a restart, not a kill; the 10→11 rise is outside the window
    expect(s.oomKills).toEqual([]);
  });

  it('a pod with no capture gets the names it may have meant', async () => {
    const s = await withReportEngine(root, (e) => podStory(e, 'shop', 'api-9', { from: at(D1, 0), to: at(D2, 23) }));
    expect(s.captures).toBe(0);
    expect(s.suggestions).toEqual(['shop/api-1']);
  });
});
