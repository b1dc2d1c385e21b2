/**
 * The daily report in a real browser (Debian chromium + playwright-core): charts present, no
 * console error, no request other than the file itself; a screenshot kept in test-artifacts/.
 * The report is built by the real pipeline from the demo generator's day, whose story is the
 * ground truth checked first: one leaking pod (shop/orders-api, anon +25 MiB/h), a page-cache
 * grower that is not a leak (search/indexer-0), a pod near its limit (shop/session-cache-0) and
 * one OOM kill (batch/etl-nightly at 14:00).
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoDayCaptures, gzipBundle } from '../../src/demo/generator.js';
import { dailyReportPrefix, rawKey } from '../../src/outputs/layout.js';
import type { TrendsDailyRow } from '../../src/outputs/tables.js';
import { analyze, resolveInputs } from '../../src/pipeline/analyze.js';
import { finishPartitions, type FinishSummary } from '../../src/pipeline/finish.js';
import { readParquetRows } from '../../src/read/parquet-read.js';
import { TABLES } from '../../src/outputs/tables.js';
import { podStory, renderStoryHtml } from '../../src/reports/pod-story.js';
import type { DailyReport } from '../../src/reports/daily.js';
import { FsObjectStore } from '../../src/store/fs-store.js';
import { runExplain } from '../../src/cli/explain.js';
import { UsageError } from '../../src/errors.js';

const DT = '2026-11-26';
const ARTIFACTS = path.resolve('test-artifacts');
const MiB = 1024 * 1024;
let outDir: string;
let out: FsObjectStore;
let finish: FinishSummary;
let trends: TrendsDailyRow[];
let ctx: BrowserContext;

beforeAll(async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'memgap-report-'));
  const raw = new FsObjectStore(path.join(root, 'raw'));
  // The demo day at a 15-minute interval (96 captures per node): the same curves, a third of the files.
  for (const b of demoDayCaptures('demo', DT, 15)) await raw.put(rawKey(b.cluster, b.node, new Date(b.capturedAt)), gzipBundle(b));
  outDir = path.join(root, 'out');
  out = new FsObjectStore(outDir);
  const summary = await analyze(await resolveInputs([path.join(root, 'raw')]), out);
  expect(summary.quarantined).toBe(0);
  finish = await finishPartitions(out, summary.partitions, { now: new Date('2026-11-28T00:00:00Z') });
  trends = await readParquetRows<TrendsDailyRow>(await out.getBytes(finish.days[0]!.trendsKey), TABLES.trends_daily);
  await mkdir(ARTIFACTS, { recursive: true });
  ctx = await chromium.launchPersistentContext(await mkdtemp(path.join(os.tmpdir(), 'memgap-chromium-')), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
}, 180_000);

afterAll(async () => {
  await ctx?.close();
});

const find = (pod: string, container: string | null) => trends.find((r) => r.pod?.startsWith(pod) && r.container === container);

describe('the demo day trends (ground truth from src/demo/generator.ts)', () => {
  it('flags the leaking pod and only it: anon +25 MiB/h', () => {
    const leak = find('orders-api', 'orders-api')!;
    expect(leak.leak_suspect).toBe(true);
    // the curve is anon = 300 MiB + 25 MiB·h plus a ±3 MiB wobble: the slope is 25 MiB/h within 1 %
    expect(leak.rss_slope_bytes_per_hour! / MiB).toBeGreaterThan(24.75);
    expect(leak.rss_slope_bytes_per_hour! / MiB).toBeLessThan(25.25);
    const suspects = trends.filter((r) => r.leak_suspect && r.level === 'container').map((r) => r.pod);
    expect(suspects).toEqual(['orders-api-6f5d4-k8j2m']);
  });

  it('does not call page-cache growth a leak, and sizes its limit on anonymous memory', () => {
    const ix = find('indexer-0', 'indexer')!;
    expect(ix.leak_suspect).toBe(false);
    // active 40 + 12·h MiB and inactive 80 + 10·h MiB: the working set grows 12 MiB/h, RSS is flat (±2 MiB wobble)
    expect(ix.working_set_slope_bytes_per_hour! / MiB).toBeGreaterThan(11.5);
    expect(Math.abs(ix.rss_slope_bytes_per_hour! / MiB)).toBeLessThan(0.5);
    expect(ix.recommendation_reason).toMatch(/active page cache/);
  });

  it('counts the one OOM kill of batch/etl-nightly', () => {
    expect(find('etl-nightly', 'etl')!.oom_kills).toBe(1);
    expect(trends.filter((r) => r.level === 'container' && (r.oom_kills ?? 0) > 0).map((r) => r.container)).toEqual(['etl']);
  });

  it('reports shop/session-cache-0 near its limit: (455 + 12) MiB of 512 MiB ≈ 91 %', () => {
    const redis = find('session-cache-0', 'redis')!;
    expect(redis.max_pct_of_limit!).toBeGreaterThanOrEqual(90);
  });

  it('writes the three report files with the sections', async () => {
    const prefix = dailyReportPrefix(DT, 'demo');
    expect(finish.reports.sort()).toEqual([`${prefix}index.html`, `${prefix}summary.json`, `${prefix}summary.md`]);
    const report = JSON.parse((await out.getBytes(`${prefix}summary.json`)).toString()) as DailyReport;
    expect(report.leakSuspects.map((l) => l.pod)).toContain('orders-api-6f5d4-k8j2m');
    expect(report.oomKills.map((o) => o.container)).toEqual(['etl']);
    expect(report.oomKills[0]!.at[0]).toMatch(/^2026-11-26T14:00/);
    // The top gaps are the legacy-formula node's cache- and tmpfs-heavy pods, explained in words.
    const builder = report.topGaps.find((g) => g.pod.startsWith('report-builder'))!;
    expect(builder.cause).toBe('shmem');
    expect(builder.explanation).toMatch(/tmpfs/);
    const indexer = report.topGaps.find((g) => g.pod === 'indexer-0')!;
    expect(indexer.explanation).toMatch(/of active page cache that .* subtracts; reclaimable under pressure, yet kubelet eviction counts it/);
    const md = (await out.getBytes(`${prefix}summary.md`)).toString();
    for (const h of ['## Top gaps', '## Near their limit', '## Leak suspects', '## OOM kills', '## Right-sizing', '## Gap causes per namespace']) expect(md).toContain(h);
  });
});

async function openInBrowser(file: string, shot: string) {
  const page = await ctx.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => requests.push(r.url()));
  const url = pathToFileURL(file).href;
  await page.goto(url, { waitUntil: 'load' });
  await page.screenshot({ path: path.join(ARTIFACTS, shot), fullPage: true });
  return { page, errors, others: requests.filter((r) => r !== url) };
}

describe('the HTML report in Chromium', () => {
  it('renders charts for the top pods, the OOM marker and the causes chart, offline', async () => {
    const file = path.join(outDir, dailyReportPrefix(DT, 'demo'), 'index.html');
    const { page, errors, others } = await openInBrowser(file, 'daily-report.png');
    expect(errors).toEqual([]);
    expect(others).toEqual([]);
    const charts = await page.locator('svg.line-chart').count();
    expect(charts).toBeGreaterThanOrEqual(4);
    const titles = await page.locator('svg.line-chart > title').allTextContents();
    expect(titles.some((t) => t.startsWith('shop/orders-api'))).toBe(true);
    expect(titles.some((t) => t.startsWith('batch/etl-nightly'))).toBe(true);
    // Each chart draws working set, docker stats, RSS and limit where a source has them; the etl chart marks its OOM kill.
    const etl = page.locator('svg.line-chart', { has: page.locator('title', { hasText: 'batch/etl-nightly' }) });
    expect(await etl.locator('.oom-marker').count()).toBe(1);
    expect(await etl.locator('path.series[data-series="RSS (anon)"]').count()).toBeGreaterThan(0);
    const orders = page.locator('svg.line-chart', { has: page.locator('title', { hasText: 'shop/orders-api' }) });
    for (const s of ['working set (kubectl top)', 'docker stats', 'RSS (anon)', 'limit']) expect(await orders.locator(`path.series[data-series="${s}"]`).count()).toBeGreaterThan(0);
    expect(await page.locator('svg#gap-causes rect.bar').count()).toBeGreaterThan(5);
    const box = await page.locator('svg.line-chart').first().boundingBox();
    expect(box!.width).toBeGreaterThan(300);
    await page.close();
  });

  it('renders `memgap explain` HTML for the OOM-killed pod the same way', async () => {
    const story = await podStory(out, 'batch', 'etl-nightly-28f7x', { from: new Date(`${DT}T10:00:00Z`), to: new Date(`${DT}T18:00:00Z`) });
    expect(story.oomKills).toEqual([{ container: 'etl', after: `${DT}T13:45:14.000Z`, at: `${DT}T14:00:14.000Z`, count: 1 }]);
    const file = path.join(ARTIFACTS, 'explain-etl.html');
    await writeFile(file, renderStoryHtml(story));
    const { page, errors, others } = await openInBrowser(file, 'explain-etl.png');
    expect(errors).toEqual([]);
    expect(others).toEqual([]);
    expect(await page.locator('svg#pod-timeline .oom-marker').count()).toBe(1);
    expect((await readFile(file, 'utf8')).includes('<script')).toBe(false);
    await page.close();
  });
});

describe('memgap explain', () => {
  it('tells the leaking pod\'s day as a table, Markdown and JSON', async () => {
    const table = await runExplain('shop/orders-api-6f5d4-k8j2m', { out: outDir });
    // 96 captures at 15-minute intervals over the demo day; the table shows at most 48 rows
    expect(table.story.captures).toBe(96);
    expect(table.text).toMatch(/^shop\/orders-api-6f5d4-k8j2m: 96 captures from 2026-11-26T00:00:00.000Z/);
    expect(table.text.split('\n').filter((l) => l.startsWith('2026-11-26 '))).toHaveLength(48);
    const md = await runExplain('shop/orders-api-6f5d4-k8j2m', { out: outDir, from: `${DT}T06:00:00Z`, to: `${DT}T07:00:00Z`, format: 'md' });
    expect(md.text).toContain('## Timeline: what each tool said');
    // orders-api runs on the second node, captured 7 s past each quarter: 06:00:07, 06:15:07, 06:30:07, 06:45:07 (07:00:07 is past --to)
    expect(md.story.captures).toBe(4);
    const json = JSON.parse((await runExplain('shop/orders-api-6f5d4-k8j2m', { out: outDir, json: true })).text);
    expect(json.oomKills).toEqual([]);
    expect(json.peak.limit).toBe(1536 * MiB);
  });

  it('a pod name with a stale ReplicaSet hash finds no capture and offers the pod that exists', async () => {
    const { story, text } = await runExplain('shop/orders-api-6d9f8-zzzzz', { out: outDir });
    expect(story.captures).toBe(0);
    expect(story.suggestions).toEqual(['shop/orders-api-6f5d4-k8j2m']);
    expect(text).toContain('Did you mean: shop/orders-api-6f5d4-k8j2m?');
  });

  it('rejects a malformed pod reference or window as a usage error', async () => {
    await expect(runExplain('orders-api', { out: outDir })).rejects.toBeInstanceOf(UsageError);
    await expect(runExplain('shop/orders-api', { out: outDir, from: 'yesterday' })).rejects.toBeInstanceOf(UsageError);
    await expect(runExplain('shop/orders-api', { out: outDir, format: 'pdf' })).rejects.toBeInstanceOf(UsageError);
  });
});

