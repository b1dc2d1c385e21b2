/**
 * Generates serverless/athena.yml (Glue database, the two Hive staging tables with partition
 * projection, the Athena workgroup and one NamedQuery per sql/*.sql) from the table contract in
 * src/outputs/tables.ts, the staging columns (src/pipeline/staging.ts) and the SQL files, so
 * neither can drift from what Athena is given. The compacted tables (samples, discrepancy,
 * trends_daily) are Iceberg tables created by Athena DDL at run time (src/query/athena-tables.ts),
 * not here.
 *
 *   node scripts/run-ts.mjs scripts/glue-tables.ts          write serverless/athena.yml
 *   node scripts/run-ts.mjs scripts/glue-tables.ts --check  exit 1 if the checked-in file is stale
 *
 * Intrinsics are written long-form (`Ref:`, not `!Ref`) so the file is plain YAML any parser
 * reads. `${arrival}`/`${cluster}` in storage.location.template are Athena's, not the Serverless
 * Framework's: osls leaves variables it has no source for untouched (checked by the packaging
 * test), and the template must not go through Fn::Sub, which would try to resolve them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNamedQueries, type NamedQuery } from '../src/query/named.js';
import { ATHENA_RESULTS_PREFIX, STAGED_TABLES, STAGING_PARTITION_KEYS, STAGING_PREFIX, stagingGlueColumns, stagingTableName } from '../src/query/athena-tables.js';
import type { CompactedTable } from '../src/pipeline/sql-steps.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ATHENA_YML = path.join(root, 'serverless', 'athena.yml');

/** The earliest arrival hour the projection enumerates (staging is kept for days, not years). */
export const PROJECTION_ARRIVAL_START = '2026-01-01T00';
/**
 * Athena cancels a query once it has scanned this much: 100 GB, at most $0.50 a query. The largest
 * pipeline statement at a 1,000-node cluster, OPTIMIZE of a day of samples, reads about 15 GB
 * (docs/aws.md "Sizing"), so the cap stops a runaway analyst query without stopping the pipeline.
 */
export const BYTES_SCANNED_CUTOFF = 100_000_000_000;

const DATA_LOCATION = 's3://${param:dataBucket}/${param:outputPrefix}';

const STAGING_DESCRIPTIONS: Record<CompactedTable, string> = {
  samples: 'memgap staging: samples rows as ingest wrote them, per arrival hour and cluster; read only by the compaction MERGE (docs/athena.md)',
  discrepancy: 'memgap staging: discrepancy rows as ingest wrote them, per arrival hour and cluster; read only by the compaction MERGE (docs/athena.md)',
};

/** Glue column comments are capped at 255 characters. */
const comment = (s: string) => (s.length <= 255 ? s : s.slice(0, 252) + '...');
const pascal = (name: string) => name.replace(/(^|[-_])([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());

export function storageLocation(table: CompactedTable): string {
  return `${DATA_LOCATION}${STAGING_PREFIX}${table}/`;
}

/** Athena partition projection (docs: "Setting up partition projection"): arrival as an hourly date, cluster injected. */
export function projectionParameters(table: CompactedTable): Record<string, string> {
  return {
    'projection.enabled': 'true',
    'projection.arrival.type': 'date',
    'projection.arrival.format': "yyyy-MM-dd'T'HH",
    'projection.arrival.range': `${PROJECTION_ARRIVAL_START},NOW`,
    'projection.arrival.interval': '1',
    'projection.arrival.interval.unit': 'HOURS',
    'projection.cluster.type': 'injected',
    'storage.location.template': `${storageLocation(table)}arrival=\${arrival}/cluster=\${cluster}/`,
  };
}

export const stagingLogicalId = (table: CompactedTable) => `${pascal(stagingTableName(table))}GlueTable`;

function glueTable(table: CompactedTable) {
  return {
    Type: 'AWS::Glue::Table',
    Properties: {
      CatalogId: { Ref: 'AWS::AccountId' },
      DatabaseName: { Ref: 'GlueDatabase' },
      TableInput: {
        Name: stagingTableName(table),
        Description: STAGING_DESCRIPTIONS[table],
        TableType: 'EXTERNAL_TABLE',
        Parameters: {
          classification: 'parquet',
          EXTERNAL: 'TRUE',
          'parquet.compression': 'SNAPPY',
          ...projectionParameters(table),
        },
        PartitionKeys: STAGING_PARTITION_KEYS.map((p) => ({ Name: p.name, Type: p.glue, Comment: comment(p.meaning) })),
        StorageDescriptor: {
          Location: storageLocation(table),
          InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          SerdeInfo: {
            SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
            Parameters: { 'serialization.format': '1' },
          },
          Columns: stagingGlueColumns(table).map((c) => ({ Name: c.name, Type: c.glue, Comment: comment(c.meaning) })),
        },
      },
    },
  };
}

export function namedQueryLogicalId(q: NamedQuery): string {
  return `NamedQuery${pascal(q.name)}`;
}

/** The CloudFormation fragment as an object (what the YAML file must parse back to). */
export function athenaFragment(queries: NamedQuery[] = loadNamedQueries()) {
  for (const q of queries) {
    // Serverless would try to resolve `${…}` inside the SQL text.
    if (q.sql.includes('${')) throw new Error(`${q.file}: contains "\${", which the Serverless Framework would treat as a variable`);
  }
  const resources: Record<string, unknown> = {
    GlueDatabase: {
      Type: 'AWS::Glue::Database',
      Properties: {
        CatalogId: { Ref: 'AWS::AccountId' },
        DatabaseInput: { Name: 'memgap_${sls:stage}', Description: 'memgap: Iceberg tables samples, discrepancy, trends_daily (created by the plan function) and the staging tables they are merged from' },
      },
    },
  };
  for (const t of STAGED_TABLES) resources[stagingLogicalId(t)] = glueTable(t);
  resources.AthenaWorkGroup = {
    Type: 'AWS::Athena::WorkGroup',
    Properties: {
      Name: '${self:service}-${sls:stage}',
      Description: 'memgap queries: results encrypted in the data bucket, bytes scanned capped per query',
      State: 'ENABLED',
      // Lets the stack be deleted although the workgroup holds saved queries and history.
      RecursiveDeleteOption: true,
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        BytesScannedCutoffPerQuery: BYTES_SCANNED_CUTOFF,
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
        ResultConfiguration: {
          OutputLocation: `${DATA_LOCATION}${ATHENA_RESULTS_PREFIX}`,
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
          ExpectedBucketOwner: { Ref: 'AWS::AccountId' },
        },
      },
    },
  };
  for (const q of queries) {
    resources[namedQueryLogicalId(q)] = {
      Type: 'AWS::Athena::NamedQuery',
      Properties: {
        Name: `memgap ${q.name}`,
        Description: q.description.slice(0, 1024),
        Database: { Ref: 'GlueDatabase' },
        WorkGroup: { Ref: 'AthenaWorkGroup' },
        QueryString: q.sql,
      },
    };
  }
  return {
    Resources: resources,
    Outputs: {
      GlueDatabaseName: { Value: { Ref: 'GlueDatabase' } },
      AthenaWorkGroupName: { Value: { Ref: 'AthenaWorkGroup' } },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A small YAML emitter: block style, only the shapes above (maps, lists, strings, numbers, bools).

const PLAIN = /^[A-Za-z_/][A-Za-z0-9_ ./:,-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|y|n|null|~)$/i;

function scalar(v: string | number | boolean): string {
  if (typeof v !== 'string') return String(v);
  if (PLAIN.test(v) && !RESERVED.test(v) && !v.endsWith(' ') && !v.includes(': ') && !v.includes(' #') && !v.endsWith(':')) return v;
  return JSON.stringify(v);
}

function emit(value: unknown, indent: number, out: string[]): void {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    for (const item of value) {
      if (item && typeof item === 'object') {
        const inner: string[] = [];
        emit(item, indent + 2, inner);
        out.push(`${pad}- ${inner[0]!.slice(indent + 2)}`, ...inner.slice(1));
      } else out.push(`${pad}- ${scalar(item as string)}`);
    }
    return;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const key = scalar(k);
    if (typeof v === 'string' && v.includes('\n')) {
      // Literal block: the SQL's bytes, verbatim. `|` keeps exactly one final newline, `|-` none.
      if (/^\s/.test(v) || /\n\n$/.test(v) || /[ \t]\n/.test(v)) throw new Error(`cannot emit ${k} as a literal block verbatim`);
      const body = v.endsWith('\n') ? v.slice(0, -1) : v;
      out.push(`${pad}${key}: ${v.endsWith('\n') ? '|' : '|-'}`);
      for (const line of body.split('\n')) out.push(line === '' ? '' : `${pad}  ${line}`);
    } else if (v !== null && typeof v === 'object') {
      out.push(`${pad}${key}:`);
      emit(v, indent + 2, out);
    } else out.push(`${pad}${key}: ${scalar(v as string | number | boolean)}`);
  }
}

export function renderAthenaYaml(fragment = athenaFragment()): string {
  const out = [
    '# GENERATED by `node scripts/run-ts.mjs scripts/glue-tables.ts` from src/outputs/tables.ts, src/pipeline/staging.ts and sql/*.sql; do not edit.',
    '# Glue database + staging tables (partition projection, no crawler), Athena workgroup, named queries (docs/athena.md).',
  ];
  emit(fragment, 0, out);
  return out.join('\n') + '\n';
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const text = renderAthenaYaml();
  if (process.argv.includes('--check')) {
    const current = readFileSync(ATHENA_YML, 'utf8');
    if (current !== text) {
      console.error('serverless/athena.yml is stale: run `node scripts/run-ts.mjs scripts/glue-tables.ts`');
      process.exit(1);
    }
  } else {
    writeFileSync(ATHENA_YML, text);
    console.log(`wrote ${path.relative(root, ATHENA_YML)}`);
  }
}
