// Lambda bundle bench: minified size and cold `import()` time of every dist/functions/*.mjs
// (median of N fresh processes after one warm-up), plus, with --ingest, one real ingest of a
// synthetic 110-pod capture through the ingest bundle against s3rver (time and peak RSS).
// Usage: node scripts/bench-bundles.mjs [--runs 10] [--json] [--ingest]
// Expects the bundles to exist (`node scripts/build.mjs`).
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const runsIdx = args.indexOf('--runs');
const RUNS = Math.max(10, runsIdx >= 0 ? Number(args[runsIdx + 1]) : 10);
const TARGET_BYTES = 1024 * 1024;
const TARGET_MS = 100;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function coldImportMs(file) {
  const code = `const t=performance.now();import(${JSON.stringify(pathToFileURL(file).href)}).then(()=>{process.stdout.write(String(performance.now()-t));process.exit(0)})`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, NODE_NO_WARNINGS: '1' }, encoding: 'utf8' });
  return Number(out);
}

const dir = path.join(root, 'dist', 'functions');
if (!existsSync(dir)) {
  console.error('bench-bundles: dist/functions missing; run `node scripts/build.mjs` first');
  process.exit(1);
}
const results = [];
for (const f of readdirSync(dir).filter((n) => n.endsWith('.mjs')).sort()) {
  const file = path.join(dir, f);
  coldImportMs(file); // warm the page cache; not counted
  const times = Array.from({ length: RUNS }, () => coldImportMs(file));
  const bytes = statSync(file).size;
  const ms = median(times);
  results.push({ function: f.replace(/\.mjs$/, ''), bytes, gzipBytes: gzipSync(readFileSync(file)).length, coldImportMedianMs: Math.round(ms * 10) / 10, runs: RUNS, withinTargets: bytes <= TARGET_BYTES && ms <= TARGET_MS });
}

let ingest = null;
if (args.includes('--ingest')) ingest = await measureIngest();

if (args.includes('--json')) {
  console.log(JSON.stringify({ bundles: results, ingest }, null, 2));
} else {
  console.log(`Lambda bundles (targets: ≤ ${TARGET_BYTES / 1024} KiB, cold import ≤ ${TARGET_MS} ms; median of ${RUNS} fresh processes, NODE_NO_WARNINGS=1)`);
  for (const r of results) {
    console.log(`  ${r.function.padEnd(10)} ${(r.bytes / 1024).toFixed(1).padStart(8)} KiB  gzip ${(r.gzipBytes / 1024).toFixed(1).padStart(7)} KiB  import ${String(r.coldImportMedianMs).padStart(6)} ms  ${r.withinTargets ? 'ok' : 'OVER TARGET'}`);
  }
  if (ingest) console.log(`  ingest of one ${ingest.pods}-pod capture (${ingest.captureGzipBytes} B gzip, ${ingest.captureJsonBytes} B JSON): cold ${ingest.coldMs} ms, warm median ${ingest.warmMedianMs} ms, peak RSS ${ingest.maxRssMiB} MiB`);
}

/**
 * Sizing input for serverless.yml: a fresh process loads the ingest bundle, gets its event from
 * an SQS-shaped message, reads the capture from s3rver and writes the Parquet back.
 */
async function measureIngest() {
  const { build } = await import('esbuild');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'memgap-bench-ingest-'));
  try {
    // The demo generator is TypeScript; bundle a tiny entry that renders a 110-pod node.
    const gen = path.join(tmp, 'gen.mjs');
    await build({
      stdin: { contents: generatorEntry(), resolveDir: root, loader: 'ts' },
      bundle: true, platform: 'node', format: 'esm', outfile: gen, logLevel: 'warning',
    });
    const captureFile = path.join(tmp, 'capture.json.gz');
    execFileSync(process.execPath, [gen, captureFile], { cwd: root, stdio: 'inherit' });
    const { default: S3rver } = await import('s3rver');
    const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: path.join(tmp, 's3'), configureBuckets: [{ name: 'bench-raw', configs: [] }, { name: 'bench-data', configs: [] }] });
    const { port } = await server.run();
    try {
      // Objects are put from here, so the measured process loads nothing but the bundle.
      const { S3Client, PutObjectCommand } = await import('@aws-sdk/client-s3');
      const s3 = new S3Client({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
      const body = readFileSync(captureFile);
      for (let i = 0; i < 11; i++) await s3.send(new PutObjectCommand({ Bucket: 'bench-raw', Key: `raw/cluster=bench/node=bench-node-1/dt=2026-11-27/run-${i}.json.gz`, Body: body }));
      s3.destroy();
      const driver = path.join(tmp, 'driver.mjs');
      writeFileSync(driver, driverSource());
      // Async: s3rver runs in this process, so a blocking exec would starve it.
      const { stdout: out } = await promisify(execFile)(process.execPath, [driver, path.join(dir, 'ingest.mjs'), captureFile], {
        env: { ...process.env, NODE_NO_WARNINGS: '1', AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1', MEMGAP_S3_CHECKSUMS: 'WHEN_REQUIRED', RAW_BUCKET: 'bench-raw', OUTPUT_BUCKET: 'bench-data', POWERTOOLS_LOG_LEVEL: 'SILENT' },
        encoding: 'utf8',
      });
      return JSON.parse(out);
    } finally {
      await server.close();
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function generatorEntry() {
  return `
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { renderCapture, steady } from './src/demo/generator.ts';
const pods = Array.from({ length: 110 }, (_, i) => ({
  namespace: 'bench', name: 'app-' + i, qos: 'burstable',
  containers: [
    { name: 'app', limit: 512 * 1024 * 1024, curve: steady('app' + i, 120 + (i % 40), 30, 20, i % 7) },
    { name: 'sidecar', limit: null, curve: steady('side' + i, 20, 4, 2) },
  ],
}));
const node = { name: 'bench-node-1', cgroupVersion: 2, driver: 'systemd', runtime: 'containerd',
  host: { cgroupVersion: 2, cgroupDriver: 'systemd', containerRuntime: 'containerd://2.2.1', kubeletVersion: 'v1.35.0' },
  pods, sources: ['kubeletSummary', 'kubeletResourceMetrics', 'crictlStats', 'cgroups'] };
const at = new Date('2026-11-27T10:00:00Z');
const bundle = renderCapture('bench', node, at, new Date('2026-11-27T00:00:00Z'), 4000);
const json = JSON.stringify(bundle);
writeFileSync(process.argv[2], gzipSync(json));
writeFileSync(process.argv[2] + '.len', String(Buffer.byteLength(json)));
`;
}

function driverSource() {
  return `
import { readFileSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const [bundlePath, capturePath] = process.argv.slice(2);
const keys = Array.from({ length: 11 }, (_, i) => 'raw/cluster=bench/node=bench-node-1/dt=2026-11-27/run-' + i + '.json.gz');
const event = (key) => ({ Records: [{ messageId: key, receiptHandle: 'r', body: JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Put', eventSource: 'aws:s3', s3: { bucket: { name: 'bench-raw' }, object: { key: encodeURIComponent(key).replace(/%2F/g, '/') } } }] }), attributes: {}, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:1:q', awsRegion: 'us-east-1' }] });
const ctx = { functionName: 'bench', awsRequestId: 'bench', memoryLimitInMB: '512', invokedFunctionArn: 'arn', getRemainingTimeInMillis: () => 60000 };
const t0 = performance.now();
const { handler } = await import(pathToFileURL(bundlePath).href);
const r0 = await handler(event(keys[0]), ctx);
const coldMs = performance.now() - t0;
if (r0.batchItemFailures.length) throw new Error('bench ingest failed');
const warm = [];
for (const k of keys.slice(1)) { const t = performance.now(); const r = await handler(event(k), ctx); warm.push(performance.now() - t); if (r.batchItemFailures.length) throw new Error('bench ingest failed'); }
warm.sort((a, b) => a - b);
process.stdout.write(JSON.stringify({
  pods: 110, captureGzipBytes: statSync(capturePath).size, captureJsonBytes: Number(readFileSync(capturePath + '.len', 'utf8')),
  coldMs: Math.round(coldMs), warmMedianMs: Math.round((warm[4] + warm[5]) / 2), maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
}));
`;
}
