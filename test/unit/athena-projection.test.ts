import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { athenaFragment, ATHENA_YML, BYTES_SCANNED_CUTOFF, PROJECTION_ARRIVAL_START, renderAthenaYaml } from '../../scripts/glue-tables.js';
import { arrivalHour, stagingKey, stagingOf } from '../../src/outputs/layout.js';
import { COMPACTED_TABLES, stagingTableName, type CompactedTable } from '../../src/pipeline/sql-steps.js';
import { stagingColumnsOf } from '../../src/pipeline/staging.js';
import { STAGING_PARTITION_KEYS } from '../../src/query/athena-tables.js';
import { loadNamedQueries, sqlDir } from '../../src/query/named.js';

// js-yaml ships with osls (no types in this project): load it untyped, it only has to parse.
const yamlModule = 'js-yaml';
const { load } = (await import(yamlModule)) as { load: (text: string) => unknown };

interface GlueTable {
  Type: string;
  Properties: {
    TableInput: {
      Name: string;
      Parameters: Record<string, string>;
      PartitionKeys: { Name: string; Type: string }[];
      StorageDescriptor: { Location: string; Columns: { Name: string; Type: string }[]; SerdeInfo: { SerializationLibrary: string } };
    };
  };
}
const text = readFileSync(ATHENA_YML, 'utf8');
const parsed = load(text) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
const tables = Object.values(parsed.Resources).filter((r) => r.Type === 'AWS::Glue::Table') as unknown as GlueTable[];

/** Java DateTimeFormatter subset Athena's date projection uses here ('…' quotes a literal); anything else fails loudly. */
function formatJavaDate(pattern: string, d: Date): string {
  return pattern.replace(/'([^']*)'|yyyy|MM|dd|HH|[A-Za-z]+/g, (tok, literal: string | undefined) => {
    if (literal !== undefined) return literal;
    if (tok === 'yyyy') return String(d.getUTCFullYear()).padStart(4, '0');
    if (tok === 'MM') return String(d.getUTCMonth() + 1).padStart(2, '0');
    if (tok === 'dd') return String(d.getUTCDate()).padStart(2, '0');
    if (tok === 'HH') return String(d.getUTCHours()).padStart(2, '0');
    throw new Error(`pattern letter ${tok} not handled by this test`);
  });
}

describe('serverless/athena.yml', () => {
  it('is the generator output (run `node scripts/run-ts.mjs scripts/glue-tables.ts` after changing tables.ts or sql/)', () => {
    expect(text).toBe(renderAthenaYaml());
  });

  it('parses back, as plain YAML, to exactly the fragment the generator builds', () => {
    expect(parsed).toEqual(JSON.parse(JSON.stringify(athenaFragment())));
  });

  it('declares the two staging tables (Hive Parquet) with the staging files\' columns, cluster as a partition key only', () => {
    expect(tables.map((t) => t.Properties.TableInput.Name).sort()).toEqual(COMPACTED_TABLES.map(stagingTableName).sort());
    for (const t of tables) {
      expect(t.Properties.TableInput.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe');
      const table = COMPACTED_TABLES.find((c) => stagingTableName(c) === t.Properties.TableInput.Name)!;
      // Glue forbids a name that is both a column and a partition key; the file's cluster column equals the path's.
      const expected = stagingColumnsOf(table).filter((c) => c.name !== 'cluster');
      expect(t.Properties.TableInput.StorageDescriptor.Columns.map((c) => [c.Name, c.Type])).toEqual(expected.map((c) => [c.name, c.glue]));
    }
  });

  it('declares no Glue table for samples, discrepancy or trends_daily: those are Iceberg tables made by Athena DDL', () => {
    expect(tables.map((t) => t.Properties.TableInput.Name)).not.toContain('samples');
    expect(Object.values(parsed.Resources).filter((r) => r.Type === 'AWS::Glue::Table')).toHaveLength(COMPACTED_TABLES.length);
  });
});

describe('partition projection (AWS "Setting up partition projection" rules)', () => {
  for (const t of tables) {
    const input = t.Properties.TableInput;
    const p = input.Parameters;
    const name = input.Name;
    const table = COMPACTED_TABLES.find((c) => stagingTableName(c) === name) as CompactedTable;
    const template = p['storage.location.template']!;

    describe(name, () => {
      it('is enabled and every partition key has a projection type', () => {
        expect(p['projection.enabled']).toBe('true');
        expect(input.PartitionKeys).toEqual(STAGING_PARTITION_KEYS.map((c) => ({ Name: c.name, Type: 'string', Comment: c.meaning })));
        for (const k of input.PartitionKeys) expect(['enum', 'integer', 'date', 'injected']).toContain(p[`projection.${k.Name}.type`]);
      });

      it('has every partition column as a ${placeholder} in storage.location.template, and nothing else', () => {
        for (const k of input.PartitionKeys) expect(template).toContain(`\${${k.Name}}`);
        const placeholders = [...template.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]).filter((n) => !n!.startsWith('param:'));
        expect(placeholders.sort()).toEqual(input.PartitionKeys.map((k) => k.Name).sort());
      });

      it('template ends in "/" and sits under the table location', () => {
        expect(template.endsWith('/')).toBe(true);
        expect(input.StorageDescriptor.Location.endsWith('/')).toBe(true);
        expect(template.startsWith(input.StorageDescriptor.Location)).toBe(true);
      });

      it('template, filled in, is the prefix ingest writes (outputs/layout.ts stagingKey)', () => {
        const arrival = '2026-11-30T05';
        const key = stagingKey(table, arrival, 'demo', 'ab12');
        const filled = template.replace('${arrival}', arrival).replace('${cluster}', 'demo');
        const base = input.StorageDescriptor.Location.slice(0, -`staging/${table}/`.length);
        expect(base + key).toBe(filled + 'ab12.parquet');
        expect(stagingOf(key)).toEqual({ table, arrival, cluster: 'demo', batchId: 'ab12' });
      });

      it('arrival: an hourly date projection whose format renders exactly the arrival= values written, over a range that covers them', () => {
        expect(p['projection.arrival.type']).toBe('date');
        const format = p['projection.arrival.format']!;
        for (const iso of ['2026-11-30T05:30:57Z', '2026-11-26T23:59:59.999Z', '2026-01-09T00:00:00Z', '2027-12-31T12:00:00Z']) {
          const d = new Date(iso);
          expect(formatJavaDate(format, d)).toBe(arrivalHour(d));
        }
        const [start, end] = p['projection.arrival.range']!.split(',');
        expect(start).toBe(PROJECTION_ARRIVAL_START);
        expect(start).toBe(formatJavaDate(format, new Date(`${start}:00:00Z`)));
        expect(end).toBe('NOW');
        expect(p['projection.arrival.interval']).toBe('1');
        expect(p['projection.arrival.interval.unit']).toBe('HOURS');
      });

      it('cluster: injected, so it needs no value list (and the MERGE pins it with an equality)', () => {
        expect(p['projection.cluster.type']).toBe('injected');
        expect(p['projection.cluster.values']).toBeUndefined();
      });
    });
  }

  it('every named query has the static `cluster = …` equality that scopes it to one cluster\'s files', () => {
    for (const q of loadNamedQueries()) expect(q.sql).toMatch(/\bcluster = :cluster\b/);
  });
});

describe('workgroup and named queries', () => {
  const byType = (type: string) => Object.entries(parsed.Resources).filter(([, r]) => r.Type === type);

  it('workgroup: enforced config, encrypted results in the data bucket, a bytes-scanned cutoff ≥ the AWS minimum (10 MB)', () => {
    const [[, wg]] = byType('AWS::Athena::WorkGroup') as unknown as [[string, { Properties: { WorkGroupConfiguration: Record<string, unknown> } }]];
    const cfg = wg.Properties.WorkGroupConfiguration as {
      EnforceWorkGroupConfiguration: boolean;
      BytesScannedCutoffPerQuery: number;
      ResultConfiguration: { OutputLocation: string; EncryptionConfiguration: { EncryptionOption: string } };
    };
    expect(cfg.EnforceWorkGroupConfiguration).toBe(true);
    expect(cfg.BytesScannedCutoffPerQuery).toBe(BYTES_SCANNED_CUTOFF);
    expect(cfg.BytesScannedCutoffPerQuery).toBeGreaterThanOrEqual(10_000_000);
    expect(cfg.ResultConfiguration.OutputLocation).toBe('s3://${param:dataBucket}/${param:outputPrefix}athena-results/');
    expect(['SSE_S3', 'SSE_KMS', 'CSE_KMS']).toContain(cfg.ResultConfiguration.EncryptionConfiguration.EncryptionOption);
  });

  it('one NamedQuery per sql/*.sql whose QueryString is the file, byte for byte', () => {
    const named = byType('AWS::Athena::NamedQuery').map(([, r]) => r.Properties as { Name: string; QueryString: string });
    const files = loadNamedQueries();
    expect(named).toHaveLength(files.length);
    expect(files.map((f) => path.basename(f.file)).sort()).toEqual(['gap-causes.sql', 'leak-suspects.sql', 'near-limit.sql', 'oom-kills.sql', 'pod-timeline.sql', 'top-gaps.sql']);
    for (const f of files) {
      const q = named.find((n) => n.Name === `memgap ${f.name}`);
      expect(Buffer.from(q!.QueryString, 'utf8').equals(readFileSync(path.join(sqlDir(), path.basename(f.file))))).toBe(true);
      // The Serverless Framework would try to resolve `${…}` inside the template.
      expect(f.sql).not.toContain('${');
    }
  });
});
