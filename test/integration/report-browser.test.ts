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
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articleCaptures, demoDayCaptures, gzipBundle } from '../../src/demo/generator.js';
import { dailyReportPrefix, rawKey } from '../../src/outputs/layout.js';
import type { TrendsDailyRow } from '../../src/outputs/tables.js';
import { analyze, resolveInputs } from '../../src/pipeline/analyze.js';
import { finishPartitions, type FinishSummary } from '../../src/pipeline/finish.js';
import { dayTrends } from './helpers/day-trends.js';
import { withReportEngine } from '../../src/reports/local-engine.js';
import { DOCKER_STATS_COLOR, DOCKER_STATS_SERIES, GAP_LAYERS } from '../../src/reports/charts.js';
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
/** The seed article's two captures, analyzed apart: a pod with only two captures. */
let articleOut: FsObjectStore;

beforeAll(async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'memgap-report-'));
  const raw = new FsObjectStore(path.join(root, 'raw'));
  // The demo day at a 15-minute interval (96 captures per node): the same curves, a third of the files.
  for (const b of demoDayCaptures('demo', DT, 15)) await raw.put(rawKey(b.cluster, b.node, new Date(b.capturedAt)), gzipBundle(b));
  outDir = path.join(root, 'out');
  out = new FsObjectStore(outDir);
  const summary = await analyze(await resolveInputs([path.join(root, 'raw')]), out);
  expect(summary.quarantined).toBe(0);
  finish = await finishPartitions(out, summary.partitions);
  trends = await withReportEngine(outDir, (engine) => dayTrends(engine, DT, 'demo'));
  const articleRaw = new FsObjectStore(path.join(root, 'article-raw'));
  for (const b of articleCaptures()) await articleRaw.put(rawKey(b.cluster, b.node, new Date(b.capturedAt)), gzipBundle(b));
  articleOut = new FsObjectStore(path.join(root, 'article-out'));
  const articleSummary = await analyze(await resolveInputs([path.join(root, 'article-raw')]), articleOut);
  expect(articleSummary.quarantined).toBe(0);
  await finishPartitions(articleOut, articleSummary.partitions);
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
  it('flags the leaking pod (anon +25 MiB/h) and the tmpfs grower (report-builder), and only them', () => {
    const leak = find('orders-api', 'orders-api')!;
    expect(leak.leak_suspect).toBe(true);
    // the curve is anon = 300 MiB + 25 MiB·h plus a ±3 MiB wobble: the slope is 25 MiB/h within 1 %
    expect(leak.rss_slope_bytes_per_hour! / MiB).toBeGreaterThan(24.75);
    expect(leak.rss_slope_bytes_per_hour! / MiB).toBeLessThan(25.25);
    expect(leak.leak_memory).toBe('rss');
    // shmem = min(380, 80 + 20·h) MiB: over 24 h a least-squares line of 13.8 MiB/h with R² 0.90
    const builder = find('report-builder', 'builder')!;
    expect(builder.leak_memory).toBe('shmem');
    expect(builder.leak_slope_bytes_per_hour! / MiB).toBeGreaterThan(13);
    expect(builder.leak_slope_bytes_per_hour! / MiB).toBeLessThan(14.5);
    const suspects = trends.filter((r) => r.leak_suspect && r.level === 'container').map((r) => r.pod);
    expect(suspects.sort()).toEqual(['orders-api-6f5d4-k8j2m', 'report-builder-7d9f8']);
  });

  it('does not call page-cache growth a leak, and sizes its limit on anonymous memory', () => {
    const ix = find('indexer-0', 'indexer')!;
    expect(ix.leak_suspect).toBe(false);
    // active 40 + 12·h MiB and inactive 80 + 10·h MiB: the working set grows 12 MiB/h, RSS is flat (±2 MiB wobble)
    expect(ix.working_set_slope_bytes_per_hour! / MiB).toBeGreaterThan(11.5);
    expect(Math.abs(ix.rss_slope_bytes_per_hour! / MiB)).toBeLessThan(0.5);
    expect(ix.recommendation_kind).toBe('page-cache');
    expect(ix.recommendation_reason).toMatch(/is mostly page cache \(active_file \d+\.\d MiB at the peak\)/);
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
    // report-builder: tmpfs grows to 380 MiB, its working set to ~455 MiB of a 512 MiB limit (~89 %)
    const tmpfsLeak = report.leakSuspects.find((l) => l.pod === 'report-builder-7d9f8' && l.container === 'builder')!;
    expect(tmpfsLeak.memory).toBe('shmem');
    expect(tmpfsLeak.maxPctOfLimit!).toBeGreaterThan(88);
    expect(tmpfsLeak.maxPctOfLimit!).toBeLessThan(90);
    expect((await out.getBytes(`${prefix}summary.md`)).toString()).toMatch(/\| reports\/report-builder-7d9f8 \[builder\] \| container \| [^|]+ \| tmpfs\/shmem \| 1\d\.\d MiB\/h \| 45\d\.\d MiB \| 8\d\.\d % \|/);
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
    const story = await withReportEngine(outDir, (engine) => podStory(engine, 'batch', 'etl-nightly-28f7x', { from: new Date(`${DT}T10:00:00Z`), to: new Date(`${DT}T18:00:00Z`) }));
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

// The page-side functions below run in Chromium; the project compiles without lib "dom", so the few
// DOM members they use are declared here (types only: at run time these are the page's globals).
interface PageElement {
  tagName: string;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { left: number; top: number };
  querySelectorAll(selector: string): Iterable<PageElement>;
  getScreenCTM(): { a: number; b: number; c: number; d: number; e: number; f: number };
  getTotalLength(): number;
  getPointAtLength(d: number): { x: number; y: number };
  cx: { baseVal: { value: number } };
  cy: { baseVal: { value: number } };
}
interface PageCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { drawImage(img: unknown, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
}
declare const document: { elementFromPoint(x: number, y: number): PageElement | null; createElement(tag: 'canvas'): PageCanvas };
declare const Image: new () => { src: string; width: number; height: number; decode(): Promise<void> };

/** Where a series or layer is drawn: sample points along its paths (every 6 px) and its dots, relative to the chart's box. */
async function samplePoints(chart: Locator, selector: string): Promise<{ x: number; y: number; top: string | null }[]> {
  await chart.scrollIntoViewIfNeeded();
  return chart.evaluate((node, sel) => {
    const svg = node as unknown as PageElement;
    const box = svg.getBoundingClientRect();
    const out: { x: number; y: number; top: string | null }[] = [];
    const at = (el: PageElement, x: number, y: number) => {
      const m = el.getScreenCTM()!;
      const cx = m.a * x + m.c * y + m.e;
      const cy = m.b * x + m.d * y + m.f;
      // paint order as the browser resolves it: the topmost element at that pixel
      const top = document.elementFromPoint(cx, cy);
      out.push({ x: cx - box.left, y: cy - box.top, top: top?.getAttribute('data-series') ?? top?.getAttribute('data-layer') ?? top?.tagName ?? null });
    };
    for (const el of svg.querySelectorAll(sel)) {
      if (el.tagName === 'path') {
        const len = el.getTotalLength();
        for (let d = 0; d <= len; d += 6) {
          const p = el.getPointAtLength(d);
          at(el, p.x, p.y);
        }
      } else if (el.tagName === 'circle') at(el, el.cx.baseVal.value, el.cy.baseVal.value);
    }
    return out;
  }, selector);
}

/** For each point, whether a pixel within 1 px of it has the color (RGB distance < 60), decoded by Chromium from the PNG. */
async function pixelsNear(png: Buffer, points: { x: number; y: number }[], hex: string): Promise<boolean[]> {
  const page = await ctx.newPage();
  const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const found = await page.evaluate(
    async ({ b64, points, rgb }) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const g = c.getContext('2d')!;
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      return points.map(({ x, y }) => {
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const px = Math.round(x) + dx;
            const py = Math.round(y) + dy;
            if (px < 0 || py < 0 || px >= c.width || py >= c.height) continue;
            const i = (py * c.width + px) * 4;
            if (Math.hypot(d[i]! - rgb[0]!, d[i + 1]! - rgb[1]!, d[i + 2]! - rgb[2]!) < 60) return true;
          }
        return false;
      });
    },
    { b64: png.toString('base64'), points, rgb },
  );
  await page.close();
  return found;
}

const share = (xs: boolean[]) => xs.filter(Boolean).length / Math.max(1, xs.length);
/** The docker stats line or dots (not its legend item). */
const DOCKER = `.series[data-series="${DOCKER_STATS_SERIES}"], .series-point[data-series="${DOCKER_STATS_SERIES}"]`;

/** Reads a value off a chart's y axis: the tick labels ("400 MiB") give the pixel → bytes line. */
async function yToBytes(chart: Locator): Promise<(y: number) => number> {
  const ticks = await chart.locator('text.y-tick').evaluateAll((ts) => ts.map((t) => ({ y: Number(t.getAttribute('y')), label: t.textContent! })));
  const unit = { KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 } as Record<string, number>;
  const [a, b] = [ticks[0]!, ticks[ticks.length - 1]!].map((t) => ({ y: t.y, v: Number(t.label.split(' ')[0]) * unit[t.label.split(' ')[1]!]! }));
  return (y) => a!.v + ((y - a!.y) * (b!.v - a!.v)) / (b!.y - a!.y);
}

/** The upper edge of a stacked layer's area at its last instant (the path runs upper edge forward, lower edge back). */
async function layerTopAtEnd(chart: Locator, layer: string): Promise<number> {
  const d = await chart.locator(`path.layer[data-layer="${layer}"]`).last().getAttribute('d');
  const pts = d!.replace(/Z$/, '').slice(1).split('L').map((p) => p.split(',').map(Number) as [number, number]);
  return pts[pts.length / 2 - 1]![1];
}

describe('the docker stats line and the gap decomposition in Chromium', () => {
  let page: Page;
  beforeAll(async () => {
    page = (await openInBrowser(path.join(outDir, dailyReportPrefix(DT, 'demo'), 'index.html'), 'daily-report.png')).page;
  });
  afterAll(async () => page?.close());

  it('every time chart has its units: bytes on the y axis, UTC time on the x axis; the causes chart counts pod captures', async () => {
    for (const chart of await page.locator('svg.line-chart, svg.area-chart').all()) {
      const ticks = await chart.locator('text.y-tick').allTextContents();
      expect(ticks.length).toBeGreaterThanOrEqual(3);
      for (const t of ticks) expect(t).toMatch(/^-?[\d.]+ (KiB|MiB|GiB)$/);
      expect(await chart.locator('text.y-title').textContent()).toMatch(/\((KiB|MiB|GiB)\)$/);
      expect(await chart.locator('text.x-title').textContent()).toBe(`time (UTC, ${DT})`);
      expect(await chart.locator('text.x-tick').allTextContents()).toEqual(['00:00', '03:00', '06:00', '09:00', '12:00', '15:00', '18:00', '21:00', '00:00']);
    }
    const causes = page.locator('svg#gap-causes');
    expect(await causes.locator('text.x-title').textContent()).toBe('pod captures');
    const counts = (await causes.locator('text.x-tick').allTextContents()).map(Number);
    expect(counts[0]).toBe(0);
    // 96 pod captures per pod; the largest namespace row (kube-system: 6 pods) counts 576 captures
    expect(counts[counts.length - 1]).toBeGreaterThanOrEqual(576);
  });

  it('draws docker stats last (over the lines it equals) and its pixels show in every chart with docker data', async () => {
    const charts = await page.locator('svg.line-chart').all();
    let withDocker = 0;
    for (const chart of charts) {
      const title = await chart.locator('title').first().textContent();
      if ((await chart.locator(DOCKER).count()) === 0) {
        // only the containerd node has no docker stats, and then the legend does not list it
        expect(title).toMatch(/ip-10-0-3-33/);
        expect(await chart.locator(`.legend-item[data-series="${DOCKER_STATS_SERIES}"]`).count()).toBe(0);
        continue;
      }
      withDocker++;
      // SVG paint order is document order: docker stats comes after every other series
      const order = await chart.locator('.series, .series-point').evaluateAll((els) => els.map((e) => e.getAttribute('data-series')));
      const firstDocker = order.indexOf(DOCKER_STATS_SERIES);
      expect(order.slice(firstDocker).every((n) => n === DOCKER_STATS_SERIES), title!).toBe(true);
      const pts = await samplePoints(chart, DOCKER);
      expect(pts.length).toBeGreaterThan(50);
      // the browser's hit test agrees: docker stats is the topmost element along its own line (an OOM marker may cross it once)
      expect(share(pts.map((p) => p.top === DOCKER_STATS_SERIES)), title!).toBeGreaterThan(0.95);
      // and its color is on screen along the line
      const png = await chart.screenshot();
      expect(share(await pixelsNear(png, pts, DOCKER_STATS_COLOR)), title!).toBeGreaterThan(0.9);
    }
    // orders-api, session-cache, report-builder, indexer at least (nodes 1 and 2 run Docker)
    expect(withDocker).toBeGreaterThanOrEqual(4);
  });

  it('the check above fails when docker stats is drawn first: it coincides with RSS (18.06 node) or the working set (24.0 node)', async () => {
    for (const [pod, node] of [['reports/report-builder', 'ip-10-0-1-11'], ['shop/orders-api', 'ip-10-0-2-22']] as const) {
      const chart = page.locator('svg.line-chart', { has: page.locator('title', { hasText: pod }) });
      expect(await chart.locator('title').first().textContent()).toContain(node);
      const pts = await samplePoints(chart, DOCKER);
      // move the docker stats line (and its casing) under the others, as the report drew it before
      await chart.evaluate((svg, sel) => {
        const first = svg.querySelector('.series')!;
        for (const el of svg.querySelectorAll(sel)) first.parentNode!.insertBefore(el, first);
      }, `.series-halo[data-series="${DOCKER_STATS_SERIES}"], ${DOCKER}`);
      const hidden = share(await pixelsNear(await chart.screenshot(), pts, DOCKER_STATS_COLOR));
      expect(hidden, pod).toBeLessThan(0.2);
    }
    await page.reload();
  });

  it('decomposes the tmpfs pod\'s gap: page cache 15 MiB (active_file) under shmem 380 MiB from 15:00', async () => {
    const charts = page.locator('svg.area-chart');
    expect(await charts.count()).toBeGreaterThanOrEqual(2);
    const builder = page.locator('svg.area-chart', { has: page.locator('title', { hasText: 'reports/report-builder-7d9f8' }) });
    await builder.screenshot({ path: path.join(ARTIFACTS, 'gap-decomposition.png') });
    expect(await builder.locator('.legend-item').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-series')))).toEqual([...GAP_LAYERS, 'gap (kubectl top − docker stats)']);
    for (const layer of GAP_LAYERS) expect(await builder.locator(`path.layer[data-layer="${layer}"]`).count(), layer).toBeGreaterThan(0);
    // tmpfs curve (src/demo/generator.ts): anon 60, active_file 15, inactive_file 25, shmem min(380, 80 + 20h) MiB.
    // The 18.06 formula (usage − cache) drops active_file and shmem, the working set keeps them:
    // at 23:45 the page cache layer is 15 MiB and shmem stacks to 15 + 380 = 395 MiB.
    const toBytes = await yToBytes(builder);
    const MiBAt = async (layer: string) => toBytes(await layerTopAtEnd(builder, layer)) / MiB;
    // one pixel of this axis is about 2.4 MiB; coordinates are written to 0.1 px
    expect(Math.abs((await MiBAt('page cache')) - 15)).toBeLessThan(0.5);
    expect(Math.abs((await MiBAt('shmem')) - 395)).toBeLessThan(0.5);
    // the shmem area is drawn: hit-tested at its middle at 23:45
    const box = (await builder.locator('path.layer[data-layer="shmem"]').last().boundingBox())!;
    expect(box.height).toBeGreaterThan(100);
    const pts = await samplePoints(builder, '.total');
    expect(pts.length).toBeGreaterThan(50);
    expect(share(pts.map((p) => p.top === 'gap (kubectl top − docker stats)'))).toBeGreaterThan(0.9);
  });

  it('draws a pod with two captures as dots, docker stats on top, and its decomposition as two columns', async () => {
    const story = await withReportEngine(articleOut.root, (engine) => podStory(engine, 'default', 'busybox'));
    expect(story.captures).toBe(2);
    const file = path.join(ARTIFACTS, 'explain-busybox.html');
    await writeFile(file, renderStoryHtml(story));
    const { page: p, errors } = await openInBrowser(file, 'explain-busybox.png');
    expect(errors).toEqual([]);
    const chart = p.locator('svg#pod-timeline');
    expect(await chart.locator('path.series').count()).toBe(0);
    const dots = await chart.locator('circle.series-point').evaluateAll((cs) => cs.map((c) => c.getAttribute('data-series')));
    // 2 captures × (working set, RSS, docker stats); no limit was set
    expect(dots.filter((d) => d === DOCKER_STATS_SERIES)).toHaveLength(2);
    expect(dots.slice(-2)).toEqual([DOCKER_STATS_SERIES, DOCKER_STATS_SERIES]);
    const pts = await samplePoints(chart, DOCKER);
    expect(pts.map((x) => x.top)).toEqual([DOCKER_STATS_SERIES, DOCKER_STATS_SERIES]);
    expect(share(await pixelsNear(await chart.screenshot(), pts, DOCKER_STATS_COLOR))).toBe(1);
    const gap = p.locator('svg#pod-gap');
    expect(await gap.locator('path.layer').count()).toBe(0);
    // after `less file100` the gap is 105963520 − 106496 bytes, nearly all active page cache: a column about 101 MiB high
    const columns = await gap.locator('rect.layer[data-layer="page cache"]').count();
    expect(columns).toBe(2);
    await p.close();
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

