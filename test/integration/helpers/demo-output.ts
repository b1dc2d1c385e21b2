import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { articleCaptures, demoDayCaptures, gzipBundle } from '../../../src/demo/generator.js';
import { rawKey } from '../../../src/outputs/layout.js';
import { compactStaging } from '../../../src/pipeline/compact.js';
import { ingestObjects } from '../../../src/pipeline/ingest.js';
import { FsObjectStore } from '../../../src/store/fs-store.js';

/**
 * Real pipeline output for query tests: the two seed-article captures plus the demo day sampled
 * on the hour (every 12th 5-minute interval × all 3 nodes = 72 captures), ingested through
 * `ingestObjects` and compaction into a temp folder. On-the-hour sampling keeps the generator's story intact:
 * the OOM kill at 14:00 is first seen by the 14:00 capture, the last one before it is 13:00.
 */
export async function buildDemoOutput(): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'memgap-query-demo-'));
  const raw = new FsObjectStore(path.join(root, 'raw-in'));
  const out = new FsObjectStore(path.join(root, 'out'));
  const bundles = [...articleCaptures()];
  let i = 0;
  for (const b of demoDayCaptures()) {
    if (Math.floor(i / 3) % 12 === 0) bundles.push(b);
    i++;
  }
  const keys: string[] = [];
  for (const b of bundles) {
    const key = rawKey(b.cluster, b.node, new Date(b.capturedAt));
    await raw.put(key, gzipBundle(b));
    keys.push(key);
  }
  for (const outcome of (await ingestObjects(raw, keys, out)).outcomes) {
    if (outcome.status !== 'ingested') throw new Error(`demo capture ${outcome.key} not ingested: ${JSON.stringify(outcome)}`);
  }
  await compactStaging(out);
  return path.join(root, 'out');
}
