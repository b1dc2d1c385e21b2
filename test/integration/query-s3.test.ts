/**
 * `memgap query --out s3://…`: DuckDB has no httpfs here, so the tables the SQL names are copied
 * through the ObjectStore port (real S3 protocol, s3rver) to a temp folder and queried there.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuery } from '../../src/cli/query.js';
import { localCopyFor } from '../../src/query/engine.js';
import { S3ObjectStore } from '../../src/store/s3-store.js';
import { parseS3Url } from '../../src/store/s3-store.js';
import { buildDemoOutput } from './helpers/demo-output.js';
import { startS3rver, type S3rverHandle } from './helpers/s3rver.js';

let s3: S3rverHandle;
let uploaded = 0;
const open = (location: string) => {
  const { bucket, prefix } = parseS3Url(location)!;
  return new S3ObjectStore({ bucket, prefix, client: s3.client });
};

async function* walk(dir: string): AsyncGenerator<string> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else yield p;
  }
}

beforeAll(async () => {
  s3 = await startS3rver({ buckets: ['data'] });
  const out = await buildDemoOutput();
  const store = open('s3://data/team/memgap');
  for await (const file of walk(out)) {
    await store.put(path.relative(out, file).split(path.sep).join('/'), await readFile(file));
    uploaded++;
  }
}, 120_000);
afterAll(async () => s3?.close());

describe('query over s3://', () => {
  it('copies only the tables the SQL names, then runs it', async () => {
    const copy = await localCopyFor('s3://data/team/memgap', 'SELECT count(*) FROM discrepancy', open);
    try {
      const keys: string[] = [];
      for await (const f of walk(copy.root)) keys.push(path.relative(copy.root, f).split(path.sep).join('/'));
      // 2 article captures (seed-article, 2020-02-03) + 72 hourly demo captures (demo, 2026-11-26):
      // one compacted data.parquet per (dt, cluster) partition
      expect(copy.objects).toBe(2);
      expect(keys.every((k) => k.startsWith('discrepancy/dt='))).toBe(true);
      expect(uploaded).toBe(2 * 2); // samples and discrepancy
    } finally {
      await copy.dispose();
    }
  });

  it('the named OOM query gives the same answer as on the folder', async () => {
    const result = await runQuery({ out: 's3://data/team/memgap', named: 'oom-kills', params: { day: '2026-11-26', cluster: 'demo' } }, open);
    expect(result.rows.map((r) => [r.pod, Number(r.working_set_before_bytes as bigint)])).toEqual([['etl-nightly-28f7x', 996 * 1024 * 1024]]);
  });
});
