/**
 * Inline SVG charts: no script, no fonts, no network. A line chart (time × bytes) with event
 * markers, a stacked area chart (time × signed bytes) and a horizontal stacked bar chart (counts).
 * Every axis carries its unit (KiB/MiB/GiB, UTC time, counts). Text is escaped; sizes are fixed
 * so the report renders the same in a browser, a mail client or a PDF.
 *
 * Paint order is the order of the series given: a later series is drawn over an earlier one.
 * Callers put the thin line that must stay visible last, with a white casing (halo), and give the
 * lines it may coincide with a wider stroke, so both show where the values are equal.
 */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface LineSeries {
  name: string;
  color: string;
  /** [epoch ms, bytes] in time order; null values break the line */
  points: [number, number | null][];
  /** stroke-dasharray, e.g. "6 4" */
  dash?: string;
  /** stroke width in px (default 1.6); also the radius of the dots of a sparse series */
  width?: number;
  /** a white casing under the line, so it stands out where it runs inside a wider line */
  halo?: boolean;
}
export interface Marker {
  at: number;
  label: string;
}

const W = 760;
const H = 284;
const M = { l: 88, r: 16, t: 28, b: 66 };
const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const HOUR = 3_600_000;
/** A series with at most this many captures is drawn as dots: a line through them would be a spike on a day axis. */
export const FEW_POINTS = 12;

function niceStep(range: number, ticks: number): number {
  const raw = range / ticks;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const n = raw / p;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * p;
}

interface ByteScale {
  unit: 'KiB' | 'MiB' | 'GiB';
  div: number;
  /** axis bounds and tick step, in `unit` */
  lo: number;
  hi: number;
  step: number;
}

/** Axis over [min, max] bytes (0 always inside), in the largest binary unit that keeps the ticks readable. */
export function byteScale(minBytes: number, maxBytes: number, ticks = 5): ByteScale {
  const m = Math.max(Math.abs(minBytes), Math.abs(maxBytes));
  const [unit, div] = m >= 2 * GiB ? (['GiB', GiB] as const) : m >= MiB ? (['MiB', MiB] as const) : (['KiB', KiB] as const);
  const lo0 = Math.min(0, minBytes / div) * 1.08;
  const hi0 = Math.max(0, maxBytes / div) * 1.08;
  const step = niceStep(Math.max(hi0 - lo0, 1), ticks);
  // a negative sliver (a few KiB of rounding under a 400 MiB gap) does not earn a whole tick below zero
  const lo = -lo0 < step / 10 ? 0 : Math.floor(lo0 / step) * step;
  return { unit, div, lo, hi: Math.max(step, Math.ceil(hi0 / step) * step), step };
}

const fmtTick = (v: number) => String(Number(v.toFixed(2)));

interface Frame {
  x: (t: number) => number;
  y: (bytes: number) => number;
  out: string[];
}

/** The svg element, title, byte axis (with unit) and UTC time axis shared by the time charts. */
function timeFrame(opts: { title: string; id?: string; cls: string; from: number; to: number; minBytes: number; maxBytes: number; yTitle: string }): Frame {
  const s = byteScale(opts.minBytes, opts.maxBytes);
  const x = (t: number) => M.l + ((t - opts.from) / Math.max(1, opts.to - opts.from)) * (W - M.l - M.r);
  const y = (b: number) => H - M.b - ((b / s.div - s.lo) / (s.hi - s.lo)) * (H - M.t - M.b);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart ${opts.cls}" ${opts.id ? `id="${esc(opts.id)}" ` : ''}viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(opts.title)}">`);
  out.push(`<title>${esc(opts.title)}</title>`);
  out.push(`<text x="${M.l}" y="16" font-size="13" font-weight="bold">${esc(opts.title)}</text>`);
  for (let v = s.lo; v <= s.hi + 1e-9; v += s.step) {
    const yy = y(v * s.div).toFixed(1);
    out.push(`<line x1="${M.l}" x2="${W - M.r}" y1="${yy}" y2="${yy}" stroke="${Math.abs(v) < 1e-9 ? '#888' : '#e3e3e3'}"/><text class="y-tick" x="${M.l - 6}" y="${yy}" font-size="10" text-anchor="end" dominant-baseline="middle">${fmtTick(v)} ${s.unit}</text>`);
  }
  const yMid = (M.t + H - M.b) / 2;
  out.push(`<text class="axis-title y-title" x="14" y="${yMid}" font-size="10" text-anchor="middle" transform="rotate(-90 14 ${yMid})">${esc(`${opts.yTitle} (${s.unit})`)}</text>`);
  const hours = (opts.to - opts.from) / HOUR;
  const hStep = hours > 12 ? 3 : hours > 4 ? 1 : hours > 1 ? 0.25 : 1 / 12;
  for (let t = Math.ceil(opts.from / (hStep * HOUR)) * hStep * HOUR; t <= opts.to; t += hStep * HOUR) {
    const xx = x(t).toFixed(1);
    out.push(`<line x1="${xx}" x2="${xx}" y1="${M.t}" y2="${H - M.b}" stroke="#f0f0f0"/><text class="x-tick" x="${xx}" y="${H - M.b + 14}" font-size="10" text-anchor="middle">${new Date(t).toISOString().slice(11, 16)}</text>`);
  }
  out.push(`<line x1="${M.l}" x2="${M.l}" y1="${M.t}" y2="${H - M.b}" stroke="#888"/>`);
  out.push(`<text class="axis-title x-title" x="${(M.l + W - M.r) / 2}" y="${H - M.b + 30}" font-size="10" text-anchor="middle">time (UTC${hours > 24 ? '' : `, ${new Date(opts.from).toISOString().slice(0, 10)}`})</text>`);
  return { x, y, out };
}

function legend(out: string[], items: { name: string; color: string; dash?: string; width?: number; swatch?: boolean }[]): void {
  let lx = M.l;
  const ly = H - 12;
  for (const it of items) {
    const sample = it.swatch
      ? `<rect x="${lx}" y="${ly - 5}" width="16" height="8" fill="${it.color}"/>`
      : `<line x1="${lx}" x2="${lx + 16}" y1="${ly}" y2="${ly}" stroke="${it.color}" stroke-width="${it.width ?? 1.6}"${it.dash ? ` stroke-dasharray="${it.dash}"` : ''}/>`;
    out.push(`<g class="legend-item" data-series="${esc(it.name)}">${sample}<text x="${lx + 20}" y="${ly + 3.5}" font-size="10">${esc(it.name)}</text></g>`);
    lx += 32 + it.name.length * 6.2;
  }
}

/** Non-null runs of a series. */
function runs(points: [number, number | null][]): [number, number][][] {
  const out: [number, number][][] = [];
  let cur: [number, number][] = [];
  for (const [t, v] of points) {
    if (v === null) {
      if (cur.length) out.push(cur);
      cur = [];
    } else cur.push([t, v]);
  }
  if (cur.length) out.push(cur);
  return out;
}

/**
 * One series: a path per run of known values, or a dot per value when the series is sparse (or a
 * run is a single capture). `ring` draws hollow dots and adds a class (the decomposition's total).
 */
function drawSeries({ x, y, out }: Frame, s: LineSeries, sparse: boolean, ring?: string): void {
  const width = s.width ?? 1.6;
  const cls = ring ? ` ${ring}` : '';
  for (const seg of runs(s.points)) {
    if (sparse || seg.length === 1) {
      for (const [t, v] of seg) {
        const [cx, cy, r] = [x(t).toFixed(1), y(v).toFixed(1), ring ? 2 : Math.max(2, width)];
        if (s.halo) out.push(`<circle class="series-halo" data-series="${esc(s.name)}" cx="${cx}" cy="${cy}" r="${(r + 0.7).toFixed(1)}" fill="#fff"/>`);
        out.push(`<circle class="series-point${cls}" data-series="${esc(s.name)}" cx="${cx}" cy="${cy}" r="${r.toFixed(1)}" ${ring ? `fill="none" stroke="${s.color}"` : `fill="${s.color}"`}/>`);
      }
      continue;
    }
    const d = seg.map(([t, v], i) => `${i ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join('');
    if (s.halo) out.push(`<path class="series-halo" data-series="${esc(s.name)}" d="${d}" fill="none" stroke="#fff" stroke-width="${(width + 1.2).toFixed(1)}" stroke-linejoin="round"/>`);
    out.push(`<path class="series${cls}" data-series="${esc(s.name)}" d="${d}" fill="none" stroke="${s.color}" stroke-width="${width}" stroke-linejoin="round"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
  }
}

export function lineChart(opts: { title: string; series: LineSeries[]; markers?: Marker[]; from: number; to: number; id?: string; yTitle?: string }): string {
  const values = opts.series.flatMap((s) => s.points.map((p) => p[1]).filter((v): v is number => v !== null));
  const f = timeFrame({ ...opts, cls: 'line-chart', minBytes: Math.min(0, ...values), maxBytes: Math.max(MiB, ...values), yTitle: opts.yTitle ?? 'memory' });
  const { x, out } = f;
  for (const s of opts.series) drawSeries(f, s, runs(s.points).reduce((a, r) => a + r.length, 0) <= FEW_POINTS);
  for (const m of opts.markers ?? []) {
    const xx = x(m.at).toFixed(1);
    out.push(`<g class="marker oom-marker"><line x1="${xx}" x2="${xx}" y1="${M.t}" y2="${H - M.b}" stroke="#d62728" stroke-width="2"/><text x="${xx}" y="${M.t - 4}" font-size="10" fill="#d62728" text-anchor="middle">${esc(m.label)}</text></g>`);
  }
  // a series without any value (no such source on this node) is left out of the legend too
  legend(out, opts.series.filter((s) => s.points.some((p) => p[1] !== null)));
  out.push('</svg>');
  return out.join('');
}

export interface AreaLayer {
  name: string;
  color: string;
  /** bytes at each of the chart's times (may be negative); null where the layer is not known */
  values: (number | null)[];
}

/**
 * Layers stacked at each instant: positive parts upward from zero, negative parts downward, in
 * layer order, so the stack's outer edges add up to the total. An instant where every layer is
 * null breaks the areas. With few instants each one is a stacked column instead of an area.
 */
export function stackedAreaChart(opts: { title: string; id?: string; from: number; to: number; times: number[]; layers: AreaLayer[]; total?: LineSeries; yTitle?: string }): string {
  const n = opts.times.length;
  // [lo, hi] of each layer at each instant
  const bands = opts.layers.map(() => new Array<[number, number] | null>(n).fill(null));
  let min = 0;
  let max = 0;
  for (let i = 0; i < n; i++) {
    if (opts.layers.every((l) => l.values[i] === null || l.values[i] === undefined)) continue;
    let pos = 0;
    let neg = 0;
    opts.layers.forEach((l, j) => {
      const v = l.values[i] ?? 0;
      if (v >= 0) bands[j]![i] = [pos, (pos += v)];
      else bands[j]![i] = [(neg += v), neg - v];
    });
    min = Math.min(min, neg);
    max = Math.max(max, pos);
  }
  const totals = (opts.total?.points ?? []).map((p) => p[1]).filter((v): v is number => v !== null);
  const f = timeFrame({ ...opts, cls: 'area-chart', minBytes: Math.min(min, ...totals), maxBytes: Math.max(max, ...totals), yTitle: opts.yTitle ?? 'gap' });
  const { x, y, out } = f;
  const sparse = n <= FEW_POINTS;
  const colW = 6;
  opts.layers.forEach((l, j) => {
    const b = bands[j]!;
    if (sparse) {
      b.forEach((band, i) => {
        if (!band || band[1] === band[0]) return;
        const top = y(band[1]);
        out.push(`<rect class="layer" data-layer="${esc(l.name)}" x="${(x(opts.times[i]!) - colW / 2).toFixed(1)}" y="${top.toFixed(1)}" width="${colW}" height="${Math.max(0.5, y(band[0]) - top).toFixed(1)}" fill="${l.color}"/>`);
      });
      return;
    }
    let i = 0;
    while (i < n) {
      if (!b[i]) {
        i++;
        continue;
      }
      const start = i;
      while (i < n && b[i]) i++;
      const idx = Array.from({ length: i - start }, (_, k) => start + k);
      const upper = idx.map((k) => `${x(opts.times[k]!).toFixed(1)},${y(b[k]![1]).toFixed(1)}`);
      const lower = idx.reverse().map((k) => `${x(opts.times[k]!).toFixed(1)},${y(b[k]![0]).toFixed(1)}`);
      out.push(`<path class="layer" data-layer="${esc(l.name)}" d="M${upper.join('L')}L${lower.join('L')}Z" fill="${l.color}" fill-opacity="0.85" stroke="none"/>`);
    }
  });
  const items: Parameters<typeof legend>[1] = opts.layers.map((l) => ({ name: l.name, color: l.color, swatch: true }));
  if (opts.total) {
    drawSeries(f, { width: 1, ...opts.total }, sparse, 'total');
    items.push(opts.total);
  }
  legend(out, items);
  out.push('</svg>');
  return out.join('');
}

export interface BarRow {
  label: string;
  parts: { name: string; value: number }[];
}

/** Horizontal stacked bars of counts, with a count axis titled by `unit`. */
export function stackedBars(opts: { title: string; rows: BarRow[]; colors: Record<string, string>; unit: string; id?: string }): string {
  const rowH = 22;
  const axisY = M.t + opts.rows.length * rowH;
  const h = axisY + 66;
  const labelW = 140;
  const maxTotal = Math.max(1, ...opts.rows.map((r) => r.parts.reduce((a, p) => a + p.value, 0)));
  const step = Math.max(1, niceStep(maxTotal, 5));
  const axisMax = Math.ceil(maxTotal / step) * step;
  const scale = (W - labelW - M.r - 10) / axisMax;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart bar-chart" ${opts.id ? `id="${esc(opts.id)}" ` : ''}viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img" aria-label="${esc(opts.title)}">`);
  out.push(`<title>${esc(opts.title)}</title><text x="4" y="16" font-size="13" font-weight="bold">${esc(opts.title)}</text>`);
  for (let v = 0; v <= axisMax; v += step) {
    const xx = (labelW + v * scale).toFixed(1);
    out.push(`<line x1="${xx}" x2="${xx}" y1="${M.t - 2}" y2="${axisY}" stroke="#eee"/><text class="x-tick" x="${xx}" y="${axisY + 14}" font-size="10" text-anchor="middle">${fmtTick(v)}</text>`);
  }
  out.push(`<line x1="${labelW}" x2="${(labelW + axisMax * scale).toFixed(1)}" y1="${axisY}" y2="${axisY}" stroke="#888"/>`);
  out.push(`<text class="axis-title x-title" x="${(labelW + (axisMax * scale) / 2).toFixed(1)}" y="${axisY + 30}" font-size="10" text-anchor="middle">${esc(opts.unit)}</text>`);
  opts.rows.forEach((r, i) => {
    const yy = M.t + i * rowH;
    out.push(`<text x="${labelW - 6}" y="${yy + 11}" font-size="11" text-anchor="end" dominant-baseline="middle">${esc(r.label)}</text>`);
    let xx = labelW;
    for (const p of r.parts) {
      if (p.value <= 0) continue;
      const w = p.value * scale;
      out.push(`<rect class="bar" data-part="${esc(p.name)}" x="${xx.toFixed(1)}" y="${yy}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${opts.colors[p.name] ?? '#999'}"><title>${esc(`${r.label}: ${p.name} ${p.value} ${opts.unit}`)}</title></rect>`);
      xx += w;
    }
  });
  let lx = 4;
  const ly = h - 10;
  for (const [name, color] of Object.entries(opts.colors)) {
    out.push(`<rect x="${lx}" y="${ly - 8}" width="10" height="10" fill="${color}"/><text x="${lx + 14}" y="${ly}" font-size="10">${esc(name)}</text>`);
    lx += 24 + name.length * 6;
  }
  out.push('</svg>');
  return out.join('');
}
