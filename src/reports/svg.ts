/**
 * Inline SVG charts: no script, no fonts, no network. A line chart (time × bytes) with event
 * markers, and a horizontal stacked bar chart. Text is escaped; sizes are fixed so the report
 * renders the same in a browser, a mail client or a PDF.
 */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface LineSeries {
  name: string;
  color: string;
  /** [epoch ms, bytes] in time order; null values break the line */
  points: [number, number | null][];
  dashed?: boolean;
}
export interface Marker {
  at: number;
  label: string;
}

const W = 760;
const H = 260;
const M = { l: 70, r: 16, t: 28, b: 44 };
const MiB = 1024 * 1024;

function niceStep(range: number, ticks: number): number {
  const raw = range / ticks;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const n = raw / p;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * p;
}

export function lineChart(opts: { title: string; series: LineSeries[]; markers?: Marker[]; from: number; to: number; id?: string }): string {
  const values = opts.series.flatMap((s) => s.points.map((p) => p[1]).filter((v): v is number => v !== null));
  const yMaxMiB = Math.max(1, ...values.map((v) => v / MiB)) * 1.08;
  const step = niceStep(yMaxMiB, 5);
  const top = Math.ceil(yMaxMiB / step) * step;
  const x = (t: number) => M.l + ((t - opts.from) / Math.max(1, opts.to - opts.from)) * (W - M.l - M.r);
  const y = (b: number) => H - M.b - (b / MiB / top) * (H - M.t - M.b);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart line-chart" ${opts.id ? `id="${esc(opts.id)}" ` : ''}viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(opts.title)}">`);
  out.push(`<title>${esc(opts.title)}</title>`);
  out.push(`<text x="${M.l}" y="16" font-size="13" font-weight="bold">${esc(opts.title)}</text>`);
  for (let v = 0; v <= top + 1e-9; v += step) {
    const yy = y(v * MiB).toFixed(1);
    out.push(`<line x1="${M.l}" x2="${W - M.r}" y1="${yy}" y2="${yy}" stroke="#e3e3e3"/><text x="${M.l - 6}" y="${yy}" font-size="10" text-anchor="end" dominant-baseline="middle">${Number(v.toFixed(2))} MiB</text>`);
  }
  const hours = (opts.to - opts.from) / 3_600_000;
  const hStep = hours > 12 ? 3 : hours > 4 ? 1 : hours > 1 ? 0.25 : 1 / 12;
  for (let t = Math.ceil(opts.from / (hStep * 3_600_000)) * hStep * 3_600_000; t <= opts.to; t += hStep * 3_600_000) {
    const xx = x(t).toFixed(1);
    out.push(`<line x1="${xx}" x2="${xx}" y1="${M.t}" y2="${H - M.b}" stroke="#f0f0f0"/><text x="${xx}" y="${H - M.b + 14}" font-size="10" text-anchor="middle">${new Date(t).toISOString().slice(11, 16)}</text>`);
  }
  out.push(`<line x1="${M.l}" x2="${W - M.r}" y1="${H - M.b}" y2="${H - M.b}" stroke="#888"/>`);
  for (const s of opts.series) {
    const segs: string[] = [];
    let cur = '';
    for (const [t, v] of s.points) {
      if (v === null) {
        if (cur) segs.push(cur);
        cur = '';
        continue;
      }
      cur += `${cur ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
    }
    if (cur) segs.push(cur);
    for (const d of segs) out.push(`<path class="series" data-series="${esc(s.name)}" d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
  }
  for (const m of opts.markers ?? []) {
    const xx = x(m.at).toFixed(1);
    out.push(`<g class="marker oom-marker"><line x1="${xx}" x2="${xx}" y1="${M.t}" y2="${H - M.b}" stroke="#d62728" stroke-width="2"/><text x="${xx}" y="${M.t - 4}" font-size="10" fill="#d62728" text-anchor="middle">${esc(m.label)}</text></g>`);
  }
  let lx = M.l;
  for (const s of opts.series) {
    out.push(`<rect x="${lx}" y="${H - 16}" width="14" height="4" fill="${s.color}"/><text x="${lx + 18}" y="${H - 11}" font-size="10">${esc(s.name)}</text>`);
    lx += 28 + s.name.length * 6;
  }
  out.push('</svg>');
  return out.join('');
}

export interface BarRow {
  label: string;
  parts: { name: string; value: number }[];
}

export function stackedBars(opts: { title: string; rows: BarRow[]; colors: Record<string, string>; unit: string; id?: string }): string {
  const rowH = 22;
  const h = M.t + opts.rows.length * rowH + 40;
  const labelW = 140;
  const maxTotal = Math.max(1, ...opts.rows.map((r) => r.parts.reduce((a, p) => a + p.value, 0)));
  const scale = (W - labelW - M.r - 10) / maxTotal;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="chart bar-chart" ${opts.id ? `id="${esc(opts.id)}" ` : ''}viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img" aria-label="${esc(opts.title)}">`);
  out.push(`<title>${esc(opts.title)}</title><text x="4" y="16" font-size="13" font-weight="bold">${esc(opts.title)}</text>`);
  opts.rows.forEach((r, i) => {
    const yy = M.t + i * rowH;
    out.push(`<text x="${labelW - 6}" y="${yy + 11}" font-size="11" text-anchor="end" dominant-baseline="middle">${esc(r.label)}</text>`);
    let xx = labelW;
    for (const p of r.parts) {
      if (p.value <= 0) continue;
      const w = p.value * scale;
      out.push(`<rect class="bar" x="${xx.toFixed(1)}" y="${yy}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${opts.colors[p.name] ?? '#999'}"><title>${esc(`${r.label}: ${p.name} ${p.value} ${opts.unit}`)}</title></rect>`);
      xx += w;
    }
  });
  let lx = 4;
  const ly = h - 14;
  for (const [name, color] of Object.entries(opts.colors)) {
    out.push(`<rect x="${lx}" y="${ly - 8}" width="10" height="10" fill="${color}"/><text x="${lx + 14}" y="${ly}" font-size="10">${esc(name)}</text>`);
    lx += 24 + name.length * 6;
  }
  out.push('</svg>');
  return out.join('');
}
