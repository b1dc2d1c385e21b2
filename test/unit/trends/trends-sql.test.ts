/**
 * sql/pipeline/trends-daily.sql on DuckDB, over small synthetic days whose every expected number
 * is worked out by hand in the comments (rows are written as the discrepancy table's Parquet
 * under a temp output folder, then built with buildTrends as `memgap analyze` does).
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeParquet } from '../../../src/outputs/parquet.js';
import { columnsOf, TABLES, type TrendsDailyRow } from '../../../src/outputs/tables.js';
import { openQueryEngine } from '../../../src/query/engine.js';
import { buildTrends } from '../../../src/trends/build.js';
import { FsObjectStore } from '../../../src/store/fs-store.js';

const MiB = 1024 * 1024;
const DT = '2026-11-26';
const DAY = Date.parse(`${DT}T00:00:00Z`);
const H = 3_600_000;

type In = Record<string, unknown> & { captured_at: number };
const base = { node: 'n1', namespace: 'ns', pod_uid: 'u', level: 'container', cause: 'none', limit_bytes: 1024 * MiB };

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** Writes the rows as the day's discrepancy partition and returns the built trends_daily rows. */
async function trends(rows: In[]): Promise<TrendsDailyRow[]> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'memgap-trends-sql-'));
  dirs.push(root);
  const full = rows.map((r) => {
    const o: Record<string, unknown> = {};
    for (const c of columnsOf(TABLES.discrepancy)) o[c.name] = c.name in r ? r[c.name] : c.glue === 'array<string>' ? [] : c.name === 'docker_formula' ? 'unknown' : null;
    o.captured_at = new Date(r.captured_at);
    return o;
  });
  const dir = path.join(root, 'discrepancy', `dt=${DT}`, 'cluster=c1');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'data.parquet'), writeParquet(TABLES.discrepancy, full));
  const engine = await openQueryEngine(root);
  try {
    const built = await buildTrends(engine, new FsObjectStore(root), DT, 'c1');
    const res = await engine.query(`SELECT * FROM trends_daily WHERE dt = '${DT}' AND cluster = 'c1' ORDER BY namespace, pod, level DESC, container, node`);
    expect(res.rows.length).toBe(built.rows);
    return res.rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]))) as unknown as TrendsDailyRow[];
  } finally {
    await engine.close();
  }
}

const hours = (n: number, f: (h: number) => Record<string, unknown>) => Array.from({ length: n }, (_, h) => ({ ...base, captured_at: DAY + h * H, ...f(h) }));

describe('leak rule', () => {
  it('steady RSS growth over 12 h is a leak suspect, named rss', async () => {
    // 13 samples at h = 0..12, rss = 100 MiB + 10 MiB·h: slope 10 MiB/h, R² = 1, span 12 h,
    // growth 120 MiB ≥ max(16 MiB, 10 % of 100 MiB)
    const [t] = await trends(hours(13, (h) => ({ pod: 'leaky', container: 'app', rss_bytes: 100 * MiB + h * 10 * MiB, cache_bytes: 50 * MiB, working_set_bytes: 140 * MiB + h * 10 * MiB })));
    expect(t!.rss_slope_bytes_per_hour).toBeCloseTo(10 * MiB, 3);
    expect(t!.working_set_slope_bytes_per_hour).toBeCloseTo(10 * MiB, 3);
    expect(t!.leak_suspect).toBe(true);
    expect(t!.leak_memory).toBe('rss');
    expect(t!.leak_slope_bytes_per_hour).toBeCloseTo(10 * MiB, 3);
    expect(t!.recommendation_reason).toMatch(/^RSS \(anonymous memory\) grows 10\.0 MiB\/h \(leak suspect\)/);
  });

  it('page cache growth with flat RSS is not a leak, although the working set grows', async () => {
    // rss 100 MiB constant; active cache 20 + 20·h MiB → working set 120 + 20·h MiB: slope 20 MiB/h
    const [t] = await trends(hours(13, (h) => ({ pod: 'cachey', container: 'app', rss_bytes: 100 * MiB, shmem_bytes: 0, cache_bytes: (20 + 20 * h) * MiB, working_set_bytes: (120 + 20 * h) * MiB })));
    expect(t!.rss_slope_bytes_per_hour).toBe(0);
    expect(t!.working_set_slope_bytes_per_hour).toBeCloseTo(20 * MiB, 3);
    expect(t!.leak_suspect).toBe(false);
    expect(t!.leak_memory).toBeNull();
  });

  it('tmpfs growing with flat RSS is a leak suspect, named shmem (the report-builder case)', async () => {
    // rss 60 MiB flat, shmem 150 + 25·h MiB for h = 0..12 (150 → 450 MiB): slope 25 MiB/h, R² = 1,
    // growth 300 MiB ≥ max(16, 15) MiB. rss + shmem grows by the same, so both shmem and the sum pass;
    // RSS alone does not: shmem is named.
    const [t] = await trends(hours(13, (h) => ({ pod: 'report-builder', container: 'builder', rss_bytes: 60 * MiB, shmem_bytes: (150 + 25 * h) * MiB, cache_bytes: (190 + 25 * h) * MiB, working_set_bytes: (225 + 25 * h) * MiB, limit_bytes: 512 * MiB })));
    expect(t!.leak_suspect).toBe(true);
    expect(t!.leak_memory).toBe('shmem');
    expect(t!.leak_slope_bytes_per_hour).toBeCloseTo(25 * MiB, 3);
    expect(t!.rss_slope_bytes_per_hour).toBe(0);
    expect(t!.recommendation_reason).toMatch(/^tmpfs\/shmem grows 25\.0 MiB\/h \(leak suspect\)/);
  });

  it('RSS and shmem each too slow alone, but their sum steady enough: rss+shmem', async () => {
    // 13 samples over 12 h. rss = 200 + 1.5·h MiB: growth 18 MiB < max(16, 10 % of 200) = 20 → no.
    // shmem = 0.75·h MiB: slope 0.75 < 1 MiB/h → no. Their sum 200 + 2.25·h: slope 2.25 ≥ 1,
    // growth 27 MiB ≥ max(16, 20) → yes.
    const [t] = await trends(hours(13, (h) => ({ pod: 'both', container: 'app', rss_bytes: (200 + 1.5 * h) * MiB, shmem_bytes: 0.75 * h * MiB, working_set_bytes: (210 + 2.25 * h) * MiB })));
    expect(t!.leak_memory).toBe('rss+shmem');
    expect(t!.leak_slope_bytes_per_hour).toBeCloseTo(2.25 * MiB, 3);
  });

  it('rejects growth over too short a span, too few samples or a small rise', async () => {
    // 11 samples 10 MiB/h apart, 10 h: fewer than 12 samples
    expect((await trends(hours(11, (h) => ({ pod: 'p', container: 'c', rss_bytes: (100 + 10 * h) * MiB }))))[0]!.leak_suspect).toBe(false);
    // 13 samples over 5 h (25 min apart): span < 6 h
    const short = Array.from({ length: 13 }, (_, i) => ({ ...base, pod: 'p', container: 'c', captured_at: DAY + i * 25 * 60_000, rss_bytes: (100 + 10 * i) * MiB }));
    expect((await trends(short))[0]!.leak_suspect).toBe(false);
    // 1.2 MiB/h × 12 h = 14.4 MiB < 16 MiB
    expect((await trends(hours(13, (h) => ({ pod: 'p', container: 'c', rss_bytes: 100 * MiB + h * 1.2 * MiB }))))[0]!.leak_suspect).toBe(false);
    // 2 MiB/h × 12 h = 24 MiB ≥ 16 but < 10 % of a 400 MiB minimum (40 MiB); with 200 MiB (20) it is
    expect((await trends(hours(13, (h) => ({ pod: 'p', container: 'c', rss_bytes: 400 * MiB + h * 2 * MiB }))))[0]!.leak_suspect).toBe(false);
    expect((await trends(hours(13, (h) => ({ pod: 'p', container: 'c', rss_bytes: 200 * MiB + h * 2 * MiB }))))[0]!.leak_suspect).toBe(true);
  });

  it('a sawtooth (R² < 0.8) is not steady growth', async () => {
    // 13 samples: rss alternates 100/140 MiB with a 2 MiB/h drift. slope ≈ 2 MiB/h but R² ≈ 0.15.
    const [t] = await trends(hours(13, (h) => ({ pod: 'p', container: 'c', rss_bytes: (100 + (h % 2) * 40 + 2 * h) * MiB })));
    expect(t!.rss_slope_bytes_per_hour! / MiB).toBeGreaterThan(1);
    expect(t!.leak_suspect).toBe(false);
  });

  it('the pause container is never a suspect', async () => {
    const [t] = await trends(hours(13, (h) => ({ pod: 'p', container: 'POD', rss_bytes: (100 + 10 * h) * MiB })));
    expect(t!.leak_suspect).toBe(false);
    expect(t!.recommended_limit_bytes).toBeNull();
  });
});

describe('daily aggregates', () => {
  it('percentiles, min/avg/max, last limit, max % of limit and the OOM counter with a reset', async () => {
    // ws = 10, 20, 30, 40, 50 MiB in time order; counter 0, 1, 1, 0 (restart: new cgroup), 2
    const ws = [10, 20, 30, 40, 50];
    const oom = [0, 1, 1, 0, 2];
    // written out of time order: the SQL orders by captured_at itself
    const rows = ws.map((w, i) => ({ ...base, pod: 'p', container: 'c', captured_at: DAY + i * H, working_set_bytes: w * MiB, rss_bytes: w * MiB, gap_bytes: (i - 2) * MiB, limit_bytes: i < 4 ? 64 * MiB : 128 * MiB, working_set_pct_of_limit: (100 * w) / (i < 4 ? 64 : 128), oom_kill_count: oom[i], container_id: i === 4 ? null : `cid${i}` }));
    const [r] = await trends([rows[3]!, rows[0]!, rows[4]!, rows[2]!, rows[1]!]);
    expect(r!.samples).toBe(5);
    expect(r!.working_set_min).toBe(10 * MiB);
    expect(r!.working_set_avg).toBe(30 * MiB); // (10+20+30+40+50)/5
    expect(r!.working_set_p50).toBe(30 * MiB); // the middle one of five
    expect(r!.working_set_p95).toBe(50 * MiB); // above the 4th of five: the largest
    expect(r!.working_set_max).toBe(50 * MiB);
    expect(r!.gap_p50).toBe(0); // gaps −2..2 MiB: the middle one
    expect(r!.gap_max).toBe(2 * MiB);
    expect(r!.limit_bytes).toBe(128 * MiB); // the last one seen
    expect(r!.max_pct_of_limit).toBeCloseTo(62.5, 10); // 40/64 = 62.5 % beats 50/128 = 39 %
    // increases: 0→1 (+1), 1→1 (0), 1→0 reset (+0), 0→2 (+2) = 3
    expect(r!.oom_kills).toBe(3);
    expect(r!.container_id).toBe('cid3'); // the last one the day named
    expect((r!.first_seen as Date).getTime()).toBe(DAY);
    expect((r!.last_seen as Date).getTime()).toBe(DAY + 4 * H);
    expect((r!.day as Date).getTime()).toBe(DAY);
  });

  it('a last capture without a limit leaves limit_bytes NULL; no counter at all leaves oom_kills NULL', async () => {
    const [r] = await trends([
      { ...base, pod: 'p', container: 'c', captured_at: DAY, working_set_bytes: MiB, limit_bytes: 64 * MiB },
      { ...base, pod: 'p', container: 'c', captured_at: DAY + H, working_set_bytes: MiB, limit_bytes: null },
    ]);
    expect(r!.limit_bytes).toBeNull();
    expect(r!.oom_kills).toBeNull();
  });

  it('limit_unlimited tells the last capture: a limit (FALSE), no limit (TRUE) or not captured (NULL)', async () => {
    const two = (pod: string, last: Record<string, unknown>) => [
      { ...base, pod, container: 'c', captured_at: DAY, working_set_bytes: MiB, limit_bytes: 64 * MiB, flags: [] },
      { ...base, pod, container: 'c', captured_at: DAY + H, working_set_bytes: MiB, ...last },
    ];
    const rows = await trends([
      ...two('a-limited', { limit_bytes: 128 * MiB, flags: [] }),
      ...two('b-unlimited', { limit_bytes: null, flags: ['no-limit'] }),
      ...two('c-not-captured', { limit_bytes: null, flags: ['limit-unknown'] }),
      // no flag at all (a row written before the flags existed): not captured either
      ...two('d-no-flag', { limit_bytes: null, flags: [] }),
    ]);
    expect(rows.map((r) => [r.pod, r.limit_bytes, r.limit_unlimited])).toEqual([
      ['a-limited', 128 * MiB, false],
      ['b-unlimited', null, true],
      ['c-not-captured', null, null],
      ['d-no-flag', null, null],
    ]);
  });

  it('keeps container and pod series apart and leaves pod rows without a recommendation', async () => {
    const rows = await trends([
      { ...base, pod: 'p', container: 'c', captured_at: DAY, working_set_bytes: 10 * MiB, rss_bytes: 8 * MiB },
      { ...base, pod: 'p', container: null, level: 'pod', captured_at: DAY, working_set_bytes: 11 * MiB, rss_bytes: 9 * MiB },
    ]);
    expect(rows.map((r) => r.level)).toEqual(['pod', 'container']);
    expect(rows[0]!.recommended_limit_bytes).toBeNull();
    expect(rows[1]!.recommended_limit_bytes).not.toBeNull();
  });
});

describe('right-sizing', () => {
  /**
   * One container, 40 samples 30 min apart, i = 0..39. The percentile is the engine's sketch: on so
   * few values it keeps each one and interpolates between neighbours at rank p·n (1-based
   * 38–39 of 40 for p95), so a peak in one sample only (i = 39, the 40th value) leaves p95 at the
   * level of the other 39.
   */
  const day = (f: (i: number) => Record<string, unknown>) => trends(Array.from({ length: 40 }, (_, i) => ({ ...base, pod: 'p', container: 'c', limit_bytes: 512 * MiB, captured_at: DAY + i * H / 2, ...f(i) })));

  it('a page-cache peak sizes the limit on anonymous+shmem, and says the request floor when it wins', async () => {
    // ws = 100 MiB for i < 39, 400 MiB at i = 39 (the peak); rss 100 MiB, shmem 0 → unreclaimable 100.
    // p95 = 100 MiB → request = ⌈110⌉ = 110 MiB. 100 < 400/2 → page-cache;
    // limit = ⌈1.25 × 100⌉ = 125 MiB ≥ request. active_file at the peak: 290 MiB.
    const [r] = await day((h) => ({ working_set_bytes: (h === 39 ? 400 : 100) * MiB, rss_bytes: 100 * MiB, shmem_bytes: 0, active_file_bytes: (h === 39 ? 290 : 0) * MiB }));
    expect(r!.recommendation_kind).toBe('page-cache');
    expect(r!.recommended_request_bytes).toBe(110 * MiB);
    expect(r!.recommended_limit_bytes).toBe(125 * MiB);
    expect(r!.recommendation_reason).toBe('request 110.0 MiB = 1.1 × working-set p95 100.0 MiB; limit 125.0 MiB = 1.25 × anonymous+shmem peak 100.0 MiB: the working-set peak 400.0 MiB is mostly page cache (active_file 290.0 MiB at the peak), which the kernel reclaims before it OOM-kills');
  });

  it('the request floor: a limit sized on 122 MiB of anonymous memory, below a 476 MiB request', async () => {
    // ws = 432 MiB for 39 samples, 440 MiB at the last; rss 122 MiB → p95 = 432 → request ⌈475.2⌉ = 476 MiB.
    // 122 < 440/2 → page-cache, ⌈1.25 × 122⌉ = ⌈152.5⌉ = 153 MiB < 476: the limit is the request.
    const [r] = await day((h) => ({ working_set_bytes: (h === 39 ? 440 : 432) * MiB, rss_bytes: 122 * MiB }));
    expect(r!.recommended_request_bytes).toBe(476 * MiB);
    expect(r!.recommended_limit_bytes).toBe(476 * MiB);
    expect(r!.recommendation_reason).toContain('limit 476.0 MiB = the request floor (a limit is never below the request; sized on the anonymous+shmem peak alone it would be 153.0 MiB)');
    expect(r!.recommendation_reason).toContain('(active_file not reported)');
  });

  it('an anonymous peak sizes the limit on the whole working-set peak', async () => {
    // peak ws 300, unreclaimable 250 + 0 ≥ 150 → anonymous; limit ⌈1.25 × 300⌉ = 375 MiB; p95 = 100 → request 110
    const [r] = await day((h) => ({ working_set_bytes: (h === 39 ? 300 : 100) * MiB, rss_bytes: (h === 39 ? 200 : 90) * MiB, shmem_bytes: (h === 39 ? 50 : 0) * MiB }));
    expect(r!.recommendation_kind).toBe('anonymous');
    expect(r!.recommended_limit_bytes).toBe(375 * MiB);
    expect(r!.recommendation_reason).toContain('limit 375.0 MiB = 1.25 × working-set peak 300.0 MiB: the peak is mostly anonymous memory/tmpfs (250.0 MiB)');
  });

  it('an OOM kill raises the limit by 25 % over the current one', async () => {
    // counter 0 until i = 20, then 1: one kill. max(512, 500) × 1.25 = 640 MiB
    const [r] = await day((h) => ({ working_set_bytes: (h === 39 ? 510 : 100) * MiB, rss_bytes: (h === 39 ? 500 : 90) * MiB, oom_kill_count: h < 20 ? 0 : 1 }));
    expect(r!.oom_kills).toBe(1);
    expect(r!.recommendation_kind).toBe('oom-killed');
    expect(r!.recommended_limit_bytes).toBe(640 * MiB);
    expect(r!.recommendation_reason).toContain('limit 640.0 MiB = 1.25 × max(limit 512.0 MiB, anonymous+shmem peak 500.0 MiB): OOM-killed 1 time(s) today, so the limit goes up by 25 %');
  });

  it('an OOM kill without a limit says whether the limit was unlimited or not captured', async () => {
    // no limit: max(0, 500) × 1.25 = 625 MiB, the same number either way; only the words differ
    const oom = (flag: string) => day((h) => ({ limit_bytes: null, flags: [flag], working_set_bytes: (h === 39 ? 510 : 100) * MiB, rss_bytes: (h === 39 ? 500 : 90) * MiB, oom_kill_count: h < 20 ? 0 : 1 }));
    const [unlimited] = await oom('no-limit');
    const [unknown] = await oom('limit-unknown');
    expect([unlimited!.recommended_limit_bytes, unknown!.recommended_limit_bytes]).toEqual([625 * MiB, 625 * MiB]);
    expect(unlimited!.recommendation_reason).toContain('limit 625.0 MiB = 1.25 × max(limit none (unlimited), anonymous+shmem peak 500.0 MiB)');
    expect(unknown!.recommendation_reason).toContain('limit 625.0 MiB = 1.25 × max(limit not captured, anonymous+shmem peak 500.0 MiB)');
  });

  it('never goes below 16 MiB', async () => {
    // p95 2 MiB → 2.2 → 16 MiB minimum; unreclaimable 1 MiB ≥ 3/2? no → page-cache, 1.25 MiB → 16 MiB
    const [r] = await day((h) => ({ working_set_bytes: (h === 39 ? 3 : 2) * MiB, rss_bytes: 1 * MiB }));
    expect(r!.recommended_request_bytes).toBe(16 * MiB);
    expect(r!.recommended_limit_bytes).toBe(16 * MiB);
    expect(r!.recommendation_reason).toMatch(/^request 16\.0 MiB = the 16 MiB minimum \(1\.1 × working-set p95 2\.0 MiB is less\); limit 16\.0 MiB = the 16 MiB minimum:/);
  });

  it('no RSS measured: no recommendation', async () => {
    const [r] = await day(() => ({ working_set_bytes: 10 * MiB }));
    expect(r!.recommended_limit_bytes).toBeNull();
    expect(r!.recommendation_reason).toBeNull();
  });
});
