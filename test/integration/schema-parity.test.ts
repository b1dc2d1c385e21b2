/**
 * Athena must never see a mismatch: the columns and types of each Glue table in the PACKAGED
 * CloudFormation (osls package, offline) equal the Parquet schema of the files the pipeline
 * writes, as DuckDB reads them. Either side changing alone fails this test: tables.ts drives the
 * Parquet writer, while the template comes from the checked-in serverless/athena.yml.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeParquet } from '../../src/outputs/parquet.js';
import { TABLES, type TableName } from '../../src/outputs/tables.js';
import { buildDemoOutput } from './helpers/demo-output.js';

const repo = path.resolve(import.meta.dirname, '..', '..');

/** Glue (Hive) type → the type DuckDB reports for the Parquet column. */
const GLUE_TO_DUCKDB: Record<string, string> = {
  bigint: 'BIGINT',
  string: 'VARCHAR',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP WITH TIME ZONE',
  'array<string>': 'VARCHAR[]',
};

interface GlueColumn {
  Name: string;
  Type: string;
}
interface PackagedGlueTable {
  Type: 'AWS::Glue::Table';
  Properties: { TableInput: { Name: string; PartitionKeys: GlueColumn[]; StorageDescriptor: { Columns: GlueColumn[] } } };
}

/**
 * `osls package` on a copy of serverless.yml + serverless/, so the shared `.serverless/` is not
 * touched. scripts/package.mjs needs every Lambda bundle built; the Glue resources do not depend
 * on the code, so stand-in zips take their place here.
 */
function packageTemplate(): Record<string, { Type: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'memgap-package-'));
  const home = mkdtempSync(path.join(os.tmpdir(), 'memgap-osls-home-'));
  try {
    cpSync(path.join(repo, 'serverless.yml'), path.join(dir, 'serverless.yml'));
    cpSync(path.join(repo, 'serverless'), path.join(dir, 'serverless'), { recursive: true });
    const yml = readFileSync(path.join(dir, 'serverless.yml'), 'utf8');
    mkdirSync(path.join(dir, 'dist', 'lambda'), { recursive: true });
    for (const m of yml.matchAll(/artifact:\s*(\S+\.zip)/g)) {
      const stub = path.join(dir, 'stub.txt');
      writeFileSync(stub, 'placeholder\n');
      execFileSync('zip', ['-q', '-j', path.join(dir, m[1]!), stub]);
    }
    execFileSync(path.join(repo, 'node_modules', '.bin', 'osls'), ['package', '--stage', 'dev'], {
      cwd: dir,
      stdio: 'pipe',
      env: {
        PATH: process.env.PATH,
        HOME: home,
        AWS_ACCESS_KEY_ID: 'AKIAFAKEOFFLINEPACKAGE',
        AWS_SECRET_ACCESS_KEY: 'fake-secret-for-offline-packaging',
        AWS_REGION: 'eu-west-1',
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        SLS_INTERACTIVE_SETUP_DISABLE: '1',
        CI: '1',
      },
    });
    const template = JSON.parse(readFileSync(path.join(dir, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8')) as { Resources: Record<string, { Type: string }> };
    return template.Resources;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}

function firstParquet(dir: string): string | null {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isFile() && e.name.endsWith('.parquet')) return p;
    if (e.isDirectory()) {
      const f = firstParquet(p);
      if (f) return f;
    }
  }
  return null;
}

let glue: Map<string, PackagedGlueTable>;
let files: Record<TableName, string>;
let db: DuckDBInstance;

beforeAll(async () => {
  glue = new Map(
    Object.values(packageTemplate())
      .filter((r): r is PackagedGlueTable => r.Type === 'AWS::Glue::Table')
      .map((r) => [r.Properties.TableInput.Name, r]),
  );
  const out = await buildDemoOutput();
  // trends_daily is written by the daily step through the same writer (outputs/parquet.ts);
  // a file from that writer stands in until the demo helper runs that step too.
  const trendsDir = path.join(out, 'trends_daily', 'dt=2026-11-26', 'cluster=demo');
  mkdirSync(trendsDir, { recursive: true });
  writeFileSync(path.join(trendsDir, 'part.parquet'), writeParquet(TABLES.trends_daily, []));
  files = {
    samples: firstParquet(path.join(out, 'samples'))!,
    discrepancy: firstParquet(path.join(out, 'discrepancy'))!,
    trends_daily: firstParquet(path.join(out, 'trends_daily'))!,
  };
  db = await DuckDBInstance.create(':memory:');
}, 120_000);

afterAll(() => db?.closeSync());

async function describeParquet(file: string): Promise<[string, string][]> {
  const conn = await db.connect();
  try {
    // hive_partitioning off: the file's own columns only, exactly what Athena's SerDe reads.
    const reader = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file.replace(/'/g, "''")}', hive_partitioning = false)`);
    return reader.getRowObjectsJS().map((r) => [String(r.column_name), String(r.column_type)]);
  } finally {
    conn.closeSync();
  }
}

describe('Glue tables in the packaged template ⇔ Parquet written by the pipeline', () => {
  it('the packaged template has exactly the three public tables', () => {
    expect([...glue.keys()].sort()).toEqual(['discrepancy', 'samples', 'trends_daily']);
  });

  for (const table of ['samples', 'discrepancy', 'trends_daily'] as const) {
    it(`${table}: same column names, same order, types mapped Glue ↔ Parquet`, async () => {
      const cols = glue.get(table)!.Properties.TableInput.StorageDescriptor.Columns;
      for (const c of cols) expect(GLUE_TO_DUCKDB, `Glue type ${c.Type} of ${table}.${c.Name}`).toHaveProperty([c.Type]);
      const fromGlue = cols.map((c): [string, string] => [c.Name, GLUE_TO_DUCKDB[c.Type]!]);
      expect(await describeParquet(files[table])).toEqual(fromGlue);
    });

    it(`${table}: partition keys dt, cluster are strings in Glue and absent from the files`, async () => {
      const keys = glue.get(table)!.Properties.TableInput.PartitionKeys;
      expect(keys.map((k) => [k.Name, k.Type])).toEqual([
        ['dt', 'string'],
        ['cluster', 'string'],
      ]);
      const inFile = (await describeParquet(files[table])).map(([n]) => n);
      expect(inFile).not.toContain('dt');
      expect(inFile).not.toContain('cluster');
    });
  }
});
