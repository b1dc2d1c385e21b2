/**
 * Where the ingest Lambda's CPU goes, per capture, phase by phase: what one agent capture of a
 * 110-pod node costs to decode, parse source by source, match, analyse and turn into rows.
 * Two agent variants: Docker (kubelet /stats/summary + Docker Engine API stats + cgroup v1 files)
 * and containerd (kubelet /stats/summary + crictl stats + cgroup v2 files, systemd driver).
 *
 *   node scripts/run-ts.mjs scripts/profile-ingest.ts            # phases, CPU ms per capture
 *   node scripts/run-ts.mjs scripts/profile-ingest.ts --digest   # sha256 of every row built (outputs must not change)
 *   node scripts/run-ts.mjs scripts/profile-ingest.ts --only cgroups     # the phases whose name contains "cgroups"
 *   node scripts/run-ts.mjs scripts/profile-ingest.ts --loop docker 400   # only the full path, for `node --cpu-prof`
 *
 * CPU time is process.cpuUsage (user + system) over many captures; on a shared machine the
 * numbers are noisy: repeat runs and compare medians. Much of the rest of the spread is the
 * young-generation collector: a capture's parsed JSON (~5 MB of objects) is still alive when
 * scavenges run, and with V8's default semi-space a phase lands in a fast or a slow mode from run
 * to run. `node --max-semi-space-size=32 …` (build the script with esbuild first, or set it in
 * NODE_OPTIONS) makes the figures steady and, measured here, cuts the whole ingest path by about
 * a fifth: worth setting on the ingest Lambda too.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { PerformanceObserver } from 'node:perf_hooks';
import { renderCapture, steady, gzipBundle, demoDayCaptures, articleCaptures, type NodeModel, type PodModel } from '../src/demo/generator.js';
import { discrepancyRows } from '../src/analysis/discrepancy.js';
import { matchSamples } from '../src/analysis/match.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import type { CaptureBundle } from '../src/model/bundle.js';
import { sampleRows } from '../src/outputs/sample-rows.js';
import { parseRawJson } from '../src/sources/bundle.js';
import { parseCaptureSources } from '../src/sources/index.js';

const MiB = 1024 * 1024;

type Variant = 'docker' | 'containerd';

/** The shape of scripts/bench.ts syntheticNode: 110 pods × (app + sidecar), plus each pod's pause container. */
function node110(variant: Variant): NodeModel {
  const pods: PodModel[] = [];
  for (let i = 0; i < 110; i++) {
    pods.push({
      namespace: `ns-${i % 7}`,
      name: `app-${i}-7d9f8b6c5-x${i}`,
      qos: i % 3 === 0 ? 'guaranteed' : 'burstable',
      containers: [
        { name: 'app', limit: 1024 * MiB, curve: steady(`app${i}`, 100 + (i % 50), 30, 40, i % 10 === 0 ? 20 : 0) },
        { name: 'sidecar', limit: i % 5 === 0 ? null : 128 * MiB, curve: steady(`side${i}`, 20, 2, 3) },
      ],
    });
  }
  if (variant === 'docker') {
    return {
      name: 'prof-docker-1', cgroupVersion: 1, driver: 'cgroupfs', runtime: 'docker',
      host: { cgroupVersion: 1, cgroupDriver: 'cgroupfs', dockerVersion: '24.0.7', containerRuntime: 'docker://24.0.7' },
      pods, sources: ['kubeletSummary', 'dockerApiStats', 'cgroups'],
    };
  }
  return {
    name: 'prof-containerd-1', cgroupVersion: 2, driver: 'systemd', runtime: 'containerd',
    host: { cgroupVersion: 2, cgroupDriver: 'systemd', containerRuntime: 'containerd://1.7.22' },
    pods, sources: ['kubeletSummary', 'crictlStats', 'cgroups'],
  };
}

const DAY = new Date('2026-11-27T00:00:00Z');
function captures(variant: Variant, n: number): Buffer[] {
  const node = node110(variant);
  return Array.from({ length: n }, (_, i) => gzipBundle(renderCapture('prof', node, new Date(DAY.getTime() + (600 + i) * 60_000), DAY, 3000)));
}

/** What the ingest Lambda does per capture (pipeline/ingest.ts readObject + captureRowsOf), minus writing Parquet. */
function ingestOne(gz: Buffer) {
  const raw = parseRawJson(gunzipSync(gz), DEFAULT_LIMITS);
  const bundle = raw.captures[0]!.bundle!;
  return rowsOf(bundle);
}

function rowsOf(bundle: CaptureBundle) {
  const capturedAt = new Date(bundle.capturedAt);
  const host = bundle.host ?? {};
  const { samples, errors } = parseCaptureSources(bundle, { capturedAt, host, limits: DEFAULT_LIMITS });
  return { errors, samples: sampleRows(samples, capturedAt, bundle.node), discrepancy: discrepancyRows(samples, { capturedAt, node: bundle.node, host }) };
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * CPU ms per capture of `fn` over `rounds` rounds of every capture: the median, and the minimum
 * (other processes on a shared machine only ever add time, so the minimum is the steadier figure).
 */
function measure(list: readonly Buffer[], rounds: number, fn: (gz: Buffer) => unknown): { median: number; min: number } {
  const per: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t = cpuMs();
    for (const gz of list) fn(gz);
    per.push((cpuMs() - t) / list.length);
  }
  per.sort((a, b) => a - b);
  return { median: per[Math.floor(per.length / 2)]!, min: per[0]! };
}

function phases(variant: Variant, only?: string): void {
  const list = captures(variant, 30);
  const json = gunzipSync(list[0]!);
  // Warm up every path (JIT, compiled schemas) before measuring.
  for (let i = 0; i < 2; i++) for (const gz of list) ingestOne(gz);

  const bundles = list.map((gz) => parseRawJson(gunzipSync(gz), DEFAULT_LIMITS).captures[0]!.bundle!);
  const texts = list.map((gz) => gunzipSync(gz));
  const ctxOf = (b: CaptureBundle) => ({ capturedAt: new Date(b.capturedAt), host: b.host ?? {}, limits: DEFAULT_LIMITS });
  const samplesOf = bundles.map((b) => parseCaptureSources(b, ctxOf(b)).samples);
  const rounds = 9;
  const rows: [string, { median: number; min: number }][] = [];
  const want = (name: string) => only === undefined || name.includes(only);
  const byIndex = <T>(arr: readonly T[]) => {
    let i = 0;
    return () => arr[i++ % arr.length]!;
  };
  if (want('gunzip')) rows.push(['gunzip', measure(list, rounds, (gz) => gunzipSync(gz))]);
  if (want('floor')) rows.push(['floor: gunzip + JSON.parse', measure(list, rounds, (gz) => JSON.parse(gunzipSync(gz).toString('utf8')))]);
  if (want('parseRawJson')) {
    const next = byIndex(texts);
    rows.push(['parseRawJson (depth scan, JSON.parse, bundle schema)', measure(list, rounds, () => parseRawJson(next(), DEFAULT_LIMITS))]);
  }
  for (const name of Object.keys(bundles[0]!.sources)) {
    if (!want(`source ${name}`)) continue;
    const next = byIndex(bundles);
    rows.push([`source ${name}`, measure(list, rounds, () => {
      const b = next();
      return parseCaptureSources({ ...b, sources: { [name]: (b.sources as Record<string, unknown>)[name] } } as CaptureBundle, ctxOf(b));
    })]);
  }
  if (want('matchSamples')) {
    const next = byIndex(samplesOf);
    rows.push(['matchSamples', measure(list, rounds, () => matchSamples(next()))]);
  }
  if (want('discrepancyRows')) {
    const next = byIndex(samplesOf);
    let k = 0;
    rows.push(['discrepancyRows (match included)', measure(list, rounds, () => {
      const b = bundles[k++ % bundles.length]!;
      return discrepancyRows(next(), { capturedAt: new Date(b.capturedAt), node: b.node, host: b.host ?? {} });
    })]);
  }
  if (want('sampleRows')) {
    const next = byIndex(samplesOf);
    let k = 0;
    rows.push(['sampleRows (outputs/sample-rows.ts)', measure(list, rounds, () => {
      const b = bundles[k++ % bundles.length]!;
      return sampleRows(next(), new Date(b.capturedAt), b.node);
    })]);
  }
  const total = want('TOTAL') ? measure(list, rounds, ingestOne) : { median: Number.NaN, min: Number.NaN };
  if (want('TOTAL')) rows.push(['TOTAL per capture (decode → rows, no Parquet)', total]);
  const r = ingestOne(list[0]!);
  console.log(`== ${variant}: ${node110(variant).sources.join(' + ')}; ${list[0]!.length} B gzip, ${json.length} B JSON; ${r.samples.length} sample rows, ${r.discrepancy.length} discrepancy rows ==`);
  for (const [name, ms] of rows) console.log(`  ${name.padEnd(52)} ${ms.median.toFixed(2).padStart(6)} ms CPU (min ${ms.min.toFixed(2)})`);
  const usdPerNodeMonth = (total.median / 1000) * 0.0000236 * 43_200;
  if (want('TOTAL')) console.log(`  Lambda compute at $0.0000236 per CPU-second × 43,200 captures: $${usdPerNodeMonth.toFixed(4)} per node-month`);
}

/**
 * A digest of every row the analysis builds, over the profile's captures and the demo datasets:
 * any optimisation must leave it unchanged. Dates become ISO strings; key order is kept (rows go
 * to Parquet by column name, but the same order keeps the comparison strict).
 */
function digest(): void {
  const h = createHash('sha256');
  const add = (b: CaptureBundle) => {
    const r = rowsOf(b);
    h.update(JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)));
  };
  let n = 0;
  for (const variant of ['docker', 'containerd'] as const) {
    for (const gz of captures(variant, 5)) {
      add(parseRawJson(gunzipSync(gz), DEFAULT_LIMITS).captures[0]!.bundle!);
      n++;
    }
  }
  for (const b of articleCaptures()) {
    add(b);
    n++;
  }
  for (const b of demoDayCaptures('demo', '2026-11-26', 60)) {
    add(b);
    n++;
  }
  console.log(`${h.digest('hex')}  (${n} captures)`);
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === '--digest') digest();
else if (mode === '--loop') {
  const variant = (rest[0] ?? 'docker') as Variant;
  const list = captures(variant, 20);
  const n = Number(rest[1] ?? 400);
  let gcMs = 0;
  const gc = new PerformanceObserver((entries) => {
    for (const e of entries.getEntries()) gcMs += e.duration;
  });
  gc.observe({ entryTypes: ['gc'] });
  const t = cpuMs();
  for (let i = 0; i < n; i++) ingestOne(list[i % list.length]!);
  const used = cpuMs() - t;
  await new Promise((resolve) => setTimeout(resolve, 100));
  gc.disconnect();
  console.log(`${variant}: ${(used / n).toFixed(2)} ms CPU per capture over ${n}; garbage collection ${(gcMs / n).toFixed(2)} ms (wall) per capture`);
} else {
  const only = mode === '--only' ? rest[0] : undefined;
  phases('docker', only);
  phases('containerd', only);
  console.log('(2 shared cores, noisy: medians (and minima) of 9 rounds × 30 captures; repeat and compare)');
}
