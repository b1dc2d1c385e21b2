/**
 * Every named query (sql/*.sql, the same bytes Athena gets) on DuckDB over real pipeline output
 * of the demo model, checked against numbers worked out from src/demo/generator.ts by hand.
 * The demo day is sampled on the hour (helpers/demo-output.ts): 24 captures per node.
 */
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerQueryCommand } from '../../src/cli/query.js';
import { openQueryEngine, type QueryEngine } from '../../src/query/engine.js';
import { bindParams, findNamedQuery, loadNamedQueries } from '../../src/query/named.js';
import { demoCluster } from '../../src/demo/generator.js';
import { trendsSelectSql } from '../../src/trends/build.js';
import { buildDemoOutput } from './helpers/demo-output.js';

const MiB = 1024 * 1024;
const DAY = { day: '2026-11-26', cluster: 'demo' };

let out: string;
let engine: QueryEngine;
beforeAll(async () => {
  out = await buildDemoOutput();
  engine = await openQueryEngine(out);
}, 120_000);
afterAll(async () => engine?.close());

const run = async (name: string, params: Record<string, string>) => (await engine.query(bindParams(findNamedQuery(name).sql, params))).rows;
const n = (v: unknown) => Number(v as bigint);

describe('named queries on the demo output', () => {
  it('covers all six shipped queries', () => {
    expect(loadNamedQueries().map((q) => q.name)).toEqual(['gap-causes', 'leak-suspects', 'near-limit', 'oom-kills', 'pod-timeline', 'top-gaps']);
  });

  it('top-gaps: one row per pod, its worst capture; the 18.06 node\'s pods lead by the page cache its formula drops', async () => {
    const rows = await run('top-gaps', DAY);
    const pods = rows.map((r) => `${r.namespace}/${r.pod}`);
    expect(new Set(pods).size).toBe(rows.length);
    // Docker runs on nodes 1 (18.06, legacy: usage − cache) and 2 (24.0, modern: usage − inactive_file);
    // the containerd node has no docker stats, so no gap: 6 + 6 pods.
    const [legacyNode, modernNode] = demoCluster();
    expect(rows).toHaveLength(legacyNode!.pods.length + modernNode!.pods.length);
    // On the legacy node the gap is working set − (usage − cache) = active_file + shmem of the app
    // containers (plus the CLI's rounding of a 4-digit figure and a few seconds of kubelet skew, tens
    // of KiB): its worst hourly capture is the hour where active_file + shmem peaks (ties: the earliest).
    const expected = legacyNode!.pods.map((pod) => {
      const term = (h: number) => pod.containers.reduce((a, c) => a + c.curve(h).activeFile + c.curve(h).shmem, 0);
      let worst = 0;
      for (let h = 1; h < 24; h++) if (term(h) > term(worst)) worst = h;
      return { pod: `${pod.namespace}/${pod.name}`, hour: worst, pageCache: term(worst) };
    });
    expected.sort((a, b) => b.pageCache - a.pageCache);
    // report-builder 15 + 380 MiB tmpfs, indexer-0 40 + 12·23 MiB, busybox the article's 105857024 B, then
    // frontend (48 + 2 MiB), fluent-bit (20 MiB), kube-proxy (4 MiB) with ±1 MiB wobble
    expect(expected.map((e) => e.pod)).toEqual(['reports/report-builder-7d9f8', 'search/indexer-0', 'default/busybox', 'web/frontend-5c6b7-x2x9q', 'kube-system/fluent-bit-a', 'kube-system/kube-proxy-a']);
    expect(expected.slice(0, 3).map((e) => e.pageCache)).toEqual([(15 + 380) * MiB, (40 + 12 * 23) * MiB, 105_857_024]);
    expect(pods.slice(0, 6)).toEqual(expected.map((e) => e.pod));
    for (const [i, e] of expected.entries()) {
      const r = rows[i]!;
      expect([r.node, n(r.captures_with_gap), r.docker_formula, n(r.gap_page_cache_bytes)], e.pod).toEqual([legacyNode!.name, 24, 'legacy', e.pageCache]);
      expect(Math.abs(n(r.gap_bytes) - e.pageCache), e.pod).toBeLessThan(64 * 1024);
      // the tmpfs stays at 380 MiB from 15:00 to 23:00: any of those nine captures may be the worst by a few KiB
      if (e.pod.startsWith('reports/')) expect((r.captured_at as Date).getUTCHours()).toBeGreaterThanOrEqual(15);
      else expect((r.captured_at as Date).toISOString(), e.pod).toBe(`2026-11-26T${String(e.hour).padStart(2, '0')}:00:00.000Z`);
    }
    // busybox's gap from 06:00 on is the article's, exactly: kubectl top 105963520 − docker stats 106496
    expect([n(rows[2]!.kubectl_top_bytes), n(rows[2]!.docker_stats_bytes), rows[2]!.cause]).toEqual([105_963_520, 106_496, 'page-cache']);
    expect(rows[0]!.cause).toBe('shmem');
    // On the 24.0 node docker stats is the working set: what is left is rounding and skew
    expect(new Set(pods.slice(6))).toEqual(new Set(modernNode!.pods.map((p) => `${p.namespace}/${p.name}`)));
    for (const r of rows.slice(6)) {
      expect([r.node, n(r.gap_page_cache_bytes)]).toEqual([modernNode!.name, 0]);
      expect(Math.abs(n(r.gap_bytes))).toBeLessThan(256 * 1024);
    }
  });

  it('top-gaps on the seed article: one row for busybox, its capture after `less file100`', async () => {
    const rows = await run('top-gaps', { day: '2020-02-03', cluster: 'seed-article' });
    // kubectl top 105963520 vs docker stats 106496 (busybox's own rss; the pause row the article saw is not the pod's figure)
    expect(rows.map((r) => [r.pod, (r.captured_at as Date).toISOString(), n(r.captures_with_gap), n(r.kubectl_top_bytes), n(r.docker_stats_bytes), n(r.gap_bytes), r.cause])).toEqual([
      ['busybox', '2020-02-03T05:30:57.000Z', 2, 105_963_520, 106_496, 105_963_520 - 106_496, 'page-cache'],
    ]);
  });

  it("pod-timeline: the article's busybox before and after `less file100`, and the pause row docker showed (620KiB)", async () => {
    const rows = await run('pod-timeline', { day: '2020-02-03', cluster: 'seed-article', namespace: 'default', pod: 'busybox' });
    expect(rows.map((r) => [(r.captured_at as Date).toISOString(), r.container, r.kubectl_top_bytes === null ? null : n(r.kubectl_top_bytes), n(r.docker_stats_bytes)])).toEqual([
      ['2020-02-03T05:12:23.000Z', 'POD', null, 620 * 1024],
      ['2020-02-03T05:12:23.000Z', 'busybox', 798_720, 102_400],
      ['2020-02-03T05:30:57.000Z', 'POD', null, 620 * 1024],
      ['2020-02-03T05:30:57.000Z', 'busybox', 105_963_520, 106_496],
    ]);
    const after = rows[3]!;
    // the article: usage 105971712, working set 105963520 → inactive_file 8192; cache = usage − rss
    expect([n(after.usage_bytes), n(after.working_set_bytes), n(after.inactive_file_bytes), n(after.cache_bytes)]).toEqual([105_971_712, 105_963_520, 8192, 105_971_712 - 106_496]);
  });

  it('gap-causes: the reports namespace is all shmem (builder) plus the pause container docker lists alone', async () => {
    const rows = await run('gap-causes', DAY);
    const reports = rows.filter((r) => r.namespace === 'reports').map((r) => [r.cause, n(r.container_captures), n(r.pods)]);
    // 24 hourly captures × (builder + pause)
    expect(reports).toEqual([
      ['container-mismatch', 24, 1],
      ['shmem', 24, 1],
    ]);
    const shmem = rows.find((r) => r.namespace === 'reports' && r.cause === 'shmem')!;
    expect(Math.abs(n(shmem.max_gap_bytes) - 395 * MiB)).toBeLessThan(64 * 1024);
    expect(rows.every((r) => r.cluster === 'demo')).toBe(true);
  });

  it('near-limit: only shop/session-cache-0 (455 MiB anon of 512 MiB) stays ≥ 90 % all day', async () => {
    const rows = await run('near-limit', { ...DAY, threshold_pct: '90' });
    // redis: working set = anon (455 ± 6 MiB) + active_file 12 + kernel 1 (cgroup v2 counts kernel)
    // ∈ [462, 474] MiB, and 462/512 = 90.23 % ≥ 90 % → 24 of 24 captures.
    // etl (limit 1024 MiB): anon = min(964, 200 + 60h) MiB, working set anon + 32 MiB ≥ 921.6 MiB
    // only at 12:00 and 13:00 → 2 of 24, not sustained.
    expect(rows.map((r) => [r.namespace, r.pod, r.container, n(r.captures), n(r.near_limit_captures), n(r.limit_bytes)])).toEqual([['shop', 'session-cache-0', 'redis', 24, 24, 512 * MiB]]);
    expect(n(rows[0]!.max_working_set_bytes)).toBeGreaterThanOrEqual(462 * MiB);
    expect(n(rows[0]!.max_working_set_bytes)).toBeLessThanOrEqual(474 * MiB);
  });

  it('leak-suspects: shop/orders-api (RSS 25 MiB/h) and reports/report-builder (tmpfs 80 → 380 MiB), by the trends leak rule', async () => {
    const rows = await run('leak-suspects', { ...DAY, min_mib_per_hour: '5' });
    expect(rows.map((r) => [r.namespace, r.pod, r.container, r.leak_memory, n(r.captures)])).toEqual([
      ['shop', 'orders-api-6f5d4-k8j2m', 'orders-api', 'rss', 24],
      ['reports', 'report-builder-7d9f8', 'builder', 'shmem', 24],
    ]);
    const [orders, builder] = rows as Record<string, number>[];
    // anon = 300 MiB + 25 MiB·h + e(h), |e| ≤ 3 MiB. For hours 0..23 the least-squares slope moves at
    // most 3 MiB·Σ|h − 11.5| / Σ(h − 11.5)² = 3·144/1150 = 0.376 MiB/h away from 25.
    expect(Math.abs(orders!.slope_bytes_per_hour! / MiB - 25)).toBeLessThanOrEqual(0.376);
    expect(orders!.rss_slope_bytes_per_hour).toBe(orders!.slope_bytes_per_hour);
    expect(orders!.fit_r2!).toBeGreaterThan(0.99);
    expect(Math.abs(n(orders!.min_rss_bytes) - 300 * MiB)).toBeLessThanOrEqual(3 * MiB);
    expect(Math.abs(n(orders!.max_rss_bytes) - (300 + 25 * 23) * MiB)).toBeLessThanOrEqual(3 * MiB);
    // shmem = min(380, 80 + 20·h) MiB at h = 0..23 (plus the node's same few seconds every hour, which
    // shift x, not the slope): Σ(h − 11.5)² = 1150, Σ(h − 11.5)·y = 16400 MiB·h, Σ(y − ȳ)² = 256000 MiB²,
    // so the slope is 16400/1150 = 328/23 ≈ 14.26 MiB/h and R² = 16400²/(1150·256000) ≈ 0.9136 ≥ 0.8.
    // Its RSS (60 MiB ± 2) is flat: only shmem grows.
    expect(builder!.slope_bytes_per_hour! / MiB).toBeCloseTo(328 / 23, 6);
    expect(builder!.shmem_slope_bytes_per_hour).toBe(builder!.slope_bytes_per_hour);
    expect(builder!.fit_r2!).toBeCloseTo(16400 ** 2 / (1150 * 256000), 6);
    expect([n(builder!.min_shmem_bytes), n(builder!.max_shmem_bytes), n(builder!.limit_bytes)]).toEqual([80 * MiB, 380 * MiB, 512 * MiB]);
    expect(Math.abs(builder!.rss_slope_bytes_per_hour!)).toBeLessThan(MiB);
    // a floor above the tmpfs growth leaves the RSS leak alone
    expect((await run('leak-suspects', { ...DAY, min_mib_per_hour: '20' })).map((r) => r.pod)).toEqual(['orders-api-6f5d4-k8j2m']);
  });

  it('leak-suspects names the containers trends_daily flags, with the same memory and slope (one rule, two statements)', async () => {
    const named = await run('leak-suspects', { ...DAY, min_mib_per_hour: '1' });
    const trends = (await engine.query(trendsSelectSql(DAY.day, DAY.cluster))).rows.filter((r) => r.level === 'container' && r.leak_suspect);
    const key = (r: Record<string, unknown>) => `${r.namespace}/${r.pod}/${r.container}`;
    expect(named.map(key).sort()).toEqual(trends.map(key).sort());
    for (const t of trends) {
      const r = named.find((x) => key(x) === key(t))!;
      expect([r.leak_memory, r.slope_bytes_per_hour]).toEqual([t.leak_memory, t.leak_slope_bytes_per_hour]);
    }
  });

  it('oom-kills: batch/etl-nightly killed at 14:00, 996 MiB of its 1024 MiB limit in use at 13:00', async () => {
    const rows = await run('oom-kills', DAY);
    expect(rows).toHaveLength(1);
    const r = rows[0]!;
    expect([r.namespace, r.pod, r.container, n(r.kills)]).toEqual(['batch', 'etl-nightly-28f7x', 'etl', 1]);
    // the node-3 capture is 14 s after the hour
    expect((r.last_seen_alive_at as Date).toISOString()).toBe('2026-11-26T13:00:14.000Z');
    expect((r.kill_seen_at as Date).toISOString()).toBe('2026-11-26T14:00:14.000Z');
    // 13:00: anon = min(1024 − 60, 200 + 13·60) = 964 MiB; working set (v2) = anon + active 30 + kernel 2
    expect(n(r.rss_before_bytes)).toBe(964 * MiB);
    expect(n(r.working_set_before_bytes)).toBe(996 * MiB);
    expect(n(r.limit_bytes)).toBe(1024 * MiB);
    expect(r.pct_of_limit_before).toBe((100 * 996) / 1024);
  });
});

describe('memgap query (CLI)', () => {
  const cli = async (...args: string[]) => {
    let text = '';
    const program = new Command('memgap').exitOverride();
    registerQueryCommand(program, { stdout: (t) => void (text += t) });
    await program.parseAsync(['query', ...args], { from: 'user' });
    return text;
  };

  it('--named --param … --json gives JSON rows (BIGINT as numbers, instants as ISO UTC)', async () => {
    const rows = JSON.parse(await cli('--named', 'oom-kills', '--param', 'day=2026-11-26', '--param', 'cluster=demo', '--out', out, '--json')) as Record<string, unknown>[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ pod: 'etl-nightly-28f7x', kills: 1, working_set_before_bytes: 996 * MiB, kill_seen_at: '2026-11-26T14:00:14.000Z' });
  });

  it('ad-hoc SQL over the same table names, --csv', async () => {
    const csv = await cli(`SELECT dt, cluster, count(*) AS n FROM discrepancy WHERE pod = 'busybox' AND container = 'busybox' GROUP BY dt, cluster ORDER BY dt, cluster`, '--out', out, '--csv');
    // busybox (container row): 2 article captures; 24 hourly demo captures on node 1
    expect(csv).toBe('dt,cluster,n\r\n2020-02-03,seed-article,2\r\n2026-11-26,demo,24\r\n');
  });

  it('a table on the terminal', async () => {
    const text = await cli(`SELECT namespace, count(*) AS n FROM discrepancy WHERE dt = '2026-11-26' AND namespace = 'batch' AND level = 'pod' GROUP BY namespace`, '--out', out);
    expect(text.split('\n').slice(0, 4)).toEqual(['namespace   n', '---------  --', 'batch      24', '(1 row)']);
  });

  it('a missing parameter is a usage error naming it', async () => {
    await expect(cli('--named', 'top-gaps', '--param', 'day=2026-11-26', '--out', out)).rejects.toThrow(/missing --param cluster=/);
  });

  it('trends_daily exists as an (empty) view before the daily step has written anything', async () => {
    const rows = (await engine.query('SELECT count(*) AS n FROM trends_daily')).rows;
    expect(n(rows[0]!.n)).toBe(0);
  });
});
