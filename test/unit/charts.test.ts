/**
 * The report's SVG charts as text: paint order, units, sparse pods as dots, the gap split into
 * layers and stacked by sign. The browser test (test/integration/report-browser.test.ts) checks
 * the same charts by pixels in Chromium.
 */
import { describe, expect, it } from 'vitest';
import { DOCKER_STATS_SERIES, decompositionChart, gapLayers, podChart, type PodPoint, type PodSeries } from '../../src/reports/charts.js';
import { byteScale, lineChart, stackedAreaChart, stackedBars } from '../../src/reports/svg.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const T0 = Date.parse('2026-11-26T00:00:00Z');
const DAY = 86_400_000;

function point(at: number, p: Partial<PodPoint>): PodPoint {
  return {
    at, kubectl_top_bytes: null, docker_stats_bytes: null, docker_formula: 'legacy', working_set_bytes: null, rss_bytes: null, shmem_bytes: null, limit_bytes: null,
    gap_bytes: null, gap_page_cache_bytes: null, gap_rounding_bytes: null, gap_skew_bytes: null, gap_residual_bytes: null, ...p,
  };
}
const series = (points: PodPoint[]): PodSeries => ({ namespace: 'ns', pod: 'p', node: 'n1', points, oomAt: [] });
/** data-series of the drawn series elements, in document (= paint) order */
const paintOrder = (svg: string) => [...svg.matchAll(/<(?:path|circle) class="series(?:-point)?" data-series="([^"]+)"/g)].map((m) => m[1]);

describe('gapLayers', () => {
  it('splits the page-cache term of a ≤ 19.03 node into page cache and shmem', () => {
    // working set − (usage − cache) = active_file + shmem = 15 + 380 MiB
    const p = point(T0, { gap_bytes: 395 * MiB + 3000, gap_page_cache_bytes: 395 * MiB, shmem_bytes: 380 * MiB, gap_rounding_bytes: 2000, gap_skew_bytes: 1500, gap_residual_bytes: -500 });
    expect(gapLayers(p)).toEqual({ 'page cache': 15 * MiB, shmem: 380 * MiB, rounding: 2000, skew: 1500, residual: -500 });
  });

  it('puts no shmem in the term of a ≥ 20.10 node (usage − inactive_file keeps shmem on both sides)', () => {
    const p = point(T0, { docker_formula: 'modern', gap_bytes: -4000, gap_page_cache_bytes: 0, shmem_bytes: 64 * MiB, gap_rounding_bytes: -4000, gap_skew_bytes: 0, gap_residual_bytes: 0 });
    expect(gapLayers(p)).toEqual({ 'page cache': 0, shmem: 0, rounding: -4000, skew: 0, residual: 0 });
  });

  it('has nothing to split where a source is missing', () => {
    expect(gapLayers(point(T0, { kubectl_top_bytes: 10 * MiB }))).toBeNull();
  });
});

describe('byteScale', () => {
  it('picks the unit from the largest value and keeps 0 on the axis', () => {
    expect(byteScale(0, 3 * GiB).unit).toBe('GiB');
    expect(byteScale(0, 1.5 * GiB).unit).toBe('MiB');
    expect(byteScale(0, 600 * KiB).unit).toBe('KiB');
    const s = byteScale(0, 395 * MiB);
    // 395 × 1.08 = 426.6 MiB over 5 ticks → step 100, axis 0..500 MiB
    expect([s.lo, s.hi, s.step]).toEqual([0, 500, 100]);
  });

  it('gives negative values their own ticks, but not a negative sliver', () => {
    expect(byteScale(-40 * MiB, 100 * MiB).lo).toBe(-50);
    expect(byteScale(-4 * KiB, 395 * MiB).lo).toBe(0);
  });
});

describe('podChart', () => {
  const many = Array.from({ length: 96 }, (_, i) => point(T0 + i * 900_000, { kubectl_top_bytes: 500 * MiB, working_set_bytes: 500 * MiB, rss_bytes: 400 * MiB, docker_stats_bytes: 500 * MiB, limit_bytes: GiB }));

  it('draws docker stats last and thinnest, over the working-set line it equals on a ≥ 20.10 node', () => {
    const svg = podChart(series(many), T0, T0 + DAY);
    expect(paintOrder(svg)).toEqual(['working set (kubectl top)', 'RSS (anon)', 'limit', DOCKER_STATS_SERIES]);
    const width = (name: string, cls = 'series') => Number(new RegExp(`class="${cls}" data-series="${name.replace(/[()]/g, '\\$&')}" d="[^"]+" fill="none" stroke="#[0-9a-f]+" stroke-width="([\\d.]+)"`).exec(svg)![1]);
    expect(width(DOCKER_STATS_SERIES)).toBeLessThan(width('RSS (anon)'));
    expect(width('RSS (anon)')).toBeLessThan(width('working set (kubectl top)'));
    // its white casing, drawn just before it, is wider than the line and narrower than RSS: RSS still shows beside it
    expect(svg.indexOf(`class="series-halo" data-series="${DOCKER_STATS_SERIES}"`)).toBeGreaterThan(svg.indexOf('data-series="limit"'));
    expect(width(DOCKER_STATS_SERIES, 'series-halo')).toBeGreaterThan(width(DOCKER_STATS_SERIES));
    expect(width(DOCKER_STATS_SERIES, 'series-halo')).toBeLessThan(width('RSS (anon)'));
  });

  it('labels the axes: bytes with their unit, time in UTC', () => {
    const svg = podChart(series(many), T0, T0 + DAY);
    // max 1 GiB limit × 1.08 = 1105.9 MiB → step 500 MiB: 0, 500, 1000, 1500 MiB
    expect([...svg.matchAll(/class="y-tick"[^>]*>([^<]+)</g)].map((m) => m[1])).toEqual(['0 MiB', '500 MiB', '1000 MiB', '1500 MiB']);
    expect(svg).toContain('>memory (MiB)</text>');
    expect(svg).toContain('>time (UTC, 2026-11-26)</text>');
  });

  it('draws a pod with two captures as dots, not as a line across the day', () => {
    const two = [point(T0 + 5 * 3_600_000, { kubectl_top_bytes: 780 * KiB, rss_bytes: 100 * KiB, docker_stats_bytes: 100 * KiB }), point(T0 + 5.5 * 3_600_000, { kubectl_top_bytes: 101 * MiB, rss_bytes: 104 * KiB, docker_stats_bytes: 104 * KiB })];
    const svg = podChart(series(two), T0, T0 + DAY);
    expect(svg).not.toContain('<path class="series"');
    expect(paintOrder(svg)).toEqual(['working set (kubectl top)', 'working set (kubectl top)', 'RSS (anon)', 'RSS (anon)', DOCKER_STATS_SERIES, DOCKER_STATS_SERIES]);
    // no limit captured: no limit series, and the legend does not offer one
    expect(svg).not.toContain('data-series="limit"');
  });

  it('draws an isolated capture between gaps as a dot', () => {
    const pts: [number, number | null][] = [...Array.from({ length: 20 }, (_, i) => [T0 + i * 60_000, MiB] as [number, number]), [T0 + 20 * 60_000, null], [T0 + 21 * 60_000, 2 * MiB], [T0 + 22 * 60_000, null]];
    const svg = lineChart({ title: 't', from: T0, to: T0 + 3_600_000, series: [{ name: 's', color: '#000', points: pts }] });
    expect(svg.match(/<path class="series"/g)).toHaveLength(1);
    expect(svg.match(/<circle class="series-point"/g)).toHaveLength(1);
  });
});

describe('stackedAreaChart', () => {
  const layer = (name: string, values: (number | null)[]) => ({ name, color: '#000', values });
  const times = Array.from({ length: 20 }, (_, i) => T0 + i * 60_000);
  const bandAt = (svg: string, name: string, i: number, n: number) => {
    const d = new RegExp(`data-layer="${name}" d="M([^"]+)Z"`).exec(svg)![1]!;
    const ys = d.split('L').map((p) => Number(p.split(',')[1]));
    return [ys[i]!, ys[2 * n - 1 - i]!]; // [upper edge, lower edge] at instant i
  };

  it('stacks positive parts up from zero and negative parts down from zero, in layer order', () => {
    const n = times.length;
    const svg = stackedAreaChart({ title: 't', from: T0, to: T0 + 3_600_000, times, layers: [layer('a', times.map(() => 100 * MiB)), layer('b', times.map(() => -40 * MiB)), layer('c', times.map(() => 50 * MiB))] });
    // axis: −43.2 .. 162 MiB → step 50: −50 .. 200 MiB over the plot's 190 px (y 28 .. 218)
    const y = (mib: number) => Number((218 - ((mib + 50) / 250) * 190).toFixed(1));
    expect(bandAt(svg, 'a', 0, n)).toEqual([y(100), y(0)]);
    expect(bandAt(svg, 'b', 0, n)).toEqual([y(0), y(-40)]);
    expect(bandAt(svg, 'c', 0, n)).toEqual([y(150), y(100)]);
  });

  it('scales a gap of a few KiB on a KiB axis, negative part included', () => {
    // rounding ±50 KiB and skew 30 KiB: positives stack to 80 KiB, negatives to −50 KiB
    const svg = stackedAreaChart({ title: 't', from: T0, to: T0 + 3_600_000, times, layers: [layer('rounding', times.map((_, i) => (i % 2 ? 50 : -50) * KiB)), layer('skew', times.map(() => 30 * KiB))] });
    // −54 .. 86.4 KiB over 5 ticks → step 50: −100 .. 100 KiB
    expect([...svg.matchAll(/class="y-tick"[^>]*>([^<]+)</g)].map((m) => m[1])).toEqual(['-100 KiB', '-50 KiB', '0 KiB', '50 KiB', '100 KiB']);
  });

  it('breaks the areas where every layer is unknown', () => {
    const known = times.map((_, i) => (i === 10 ? null : MiB));
    const svg = stackedAreaChart({ title: 't', from: T0, to: T0 + 3_600_000, times, layers: [layer('a', known)] });
    expect(svg.match(/data-layer="a"/g)).toHaveLength(2);
  });
});

describe('decompositionChart', () => {
  it('has the five layers and the gap line, in that order', () => {
    const pts = Array.from({ length: 24 }, (_, h) => point(T0 + h * 3_600_000, { gap_bytes: 100 * MiB, gap_page_cache_bytes: 100 * MiB, shmem_bytes: 80 * MiB, gap_rounding_bytes: 0, gap_skew_bytes: 0, gap_residual_bytes: 0 }));
    const svg = decompositionChart(series(pts), T0, T0 + DAY);
    expect([...svg.matchAll(/class="legend-item" data-series="([^"]+)"/g)].map((m) => m[1])).toEqual(['page cache', 'shmem', 'rounding', 'skew', 'residual', 'gap (kubectl top − docker stats)']);
    expect([...svg.matchAll(/<path class="layer" data-layer="([^"]+)"/g)].map((m) => m[1])).toEqual(['page cache', 'shmem', 'rounding', 'skew', 'residual']);
    expect(svg).toContain('>gap (MiB)</text>');
  });

  it('draws a pod with few captures as stacked columns', () => {
    const pts = [point(T0, { gap_bytes: 100 * MiB, gap_page_cache_bytes: 100 * MiB, shmem_bytes: 0, gap_rounding_bytes: 0, gap_skew_bytes: 0, gap_residual_bytes: 0 })];
    const svg = decompositionChart(series(pts), T0, T0 + DAY);
    expect(svg).not.toContain('<path class="layer"');
    expect(svg.match(/<rect class="layer" data-layer="page cache"/g)).toHaveLength(1);
  });
});

describe('stackedBars', () => {
  it('has a count axis titled with the unit', () => {
    const svg = stackedBars({ title: 't', unit: 'pod captures', colors: { a: '#000', b: '#111' }, rows: [{ label: 'x', parts: [{ name: 'a', value: 96 }, { name: 'b', value: 192 }] }] });
    // 288 over 5 ticks → step 100, axis 0..300
    expect([...svg.matchAll(/class="x-tick"[^>]*>([^<]+)</g)].map((m) => m[1])).toEqual(['0', '100', '200', '300']);
    expect(svg).toContain('>pod captures</text>');
  });
});
