/**
 * The QueryEngine port on Amazon Athena: StartQueryExecution in a workgroup and database, poll
 * GetQueryExecution with backoff until a final state, then page GetQueryResults. The SQL goes to
 * Athena as written (Trino dialect); nothing is translated on this side.
 *
 * Every finished statement's Statistics (DataScannedInBytes, engine time) are kept: `stats()`
 * sums them, `onQuery` sees each one, so a caller (the scale simulator, a Lambda's log line) can
 * count what Athena will bill.
 */
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type AthenaClientConfig,
  type ColumnInfo,
  type QueryExecution,
  type Row,
} from '@aws-sdk/client-athena';
import { createHash } from 'node:crypto';
import type { QueryEngine, QueryResult } from './engine.js';

/** A statement Athena ended in FAILED or CANCELLED, or that did not finish in time (TIMED_OUT, then stopped). */
export class AthenaQueryError extends Error {
  override readonly name = 'AthenaQueryError';
  constructor(
    readonly queryExecutionId: string,
    readonly state: 'FAILED' | 'CANCELLED' | 'TIMED_OUT',
    /** Athena's Status.StateChangeReason, verbatim (e.g. `TABLE_NOT_FOUND: line 1:15: …`). */
    readonly reason: string,
    /** Status.AthenaError: 1 system, 2 user, 3 other; Retryable as Athena says. */
    readonly athenaError: { category?: number; type?: number; retryable?: boolean } = {},
  ) {
    super(`Athena query ${queryExecutionId} ${state}: ${reason}`);
  }
  /** Worth running again as is: Athena says so, or an Iceberg commit lost a race with another writer. */
  get retryable(): boolean {
    return this.athenaError.retryable === true || /ICEBERG_COMMIT_ERROR|CONCURRENT_MODIFICATION/i.test(this.reason);
  }
}

/**
 * A statement still QUEUED or RUNNING when the step's poll budget ran out. Not a failure: the query
 * goes on in Athena (it is not stopped). Started with a ClientRequestToken, the same step run again
 * (the SQS message redelivered) re-attaches to it instead of starting another.
 */
export class AthenaStillRunningError extends Error {
  override readonly name = 'AthenaStillRunningError';
  constructor(
    readonly queryExecutionId: string,
    readonly state: string,
    readonly waitedMs: number,
    readonly clientRequestToken?: string,
  ) {
    super(`Athena query ${queryExecutionId} still ${state} after the ${waitedMs} ms poll budget; it goes on`);
  }
}

/**
 * The ClientRequestToken of one statement of a step: sha256 of (step scope, statement text, how
 * many times the same text ran before in the step, generation), 64 hex characters (Athena takes
 * 32–128). Athena's StartQueryExecution is idempotent per token: the same token returns the same
 * QueryExecutionId (running or finished) and starts nothing. The generation moves on only past a
 * query that had ended FAILED or CANCELLED before the step began, so a redelivered step re-runs
 * what failed and re-attaches to what did not.
 */
export function statementToken(scope: string, sql: string, occurrence: number, generation: number): string {
  return createHash('sha256').update(`memgap\0${scope}\0${occurrence}\0${generation}\0${sql}`).digest('hex');
}

/** Generations a step walks past (old failed/cancelled queries of its statement) before giving up. */
const MAX_GENERATIONS = 200;

export interface AthenaStatementStats {
  queryExecutionId: string;
  statementType: string | undefined;
  state: string;
  /** Statistics.DataScannedInBytes as Athena reports it (not rounded, no minimum). */
  dataScannedInBytes: number;
  engineExecutionTimeInMillis: number;
  totalExecutionTimeInMillis: number;
  /** UpdateCount of an INSERT/MERGE/CTAS (rows written), when Athena gives one. */
  updateCount?: number;
}

export interface AthenaTotals {
  queries: number;
  failed: number;
  dataScannedInBytes: number;
  /** Bytes Athena bills for these statements (athenaBilledBytes of each). */
  billedBytes: number;
  engineExecutionTimeInMillis: number;
}

export interface AthenaQueryResult extends QueryResult {
  stats: AthenaStatementStats;
}

export interface AthenaEngineOptions {
  workGroup: string;
  database: string;
  catalog?: string;
  /** Only needed when the workgroup does not enforce its own result location. */
  outputLocation?: string;
  client?: AthenaClient;
  clientConfig?: AthenaClientConfig;
  /** GetQueryExecution backoff: first wait, growth factor, cap (ms). */
  poll?: { initialMs?: number; factor?: number; maxMs?: number };
  /** Give up (and StopQueryExecution) after this long; default 10 minutes. Not used by a `step()` view with a poll budget. */
  timeoutMs?: number;
  /** Rows per GetQueryResults page (Athena allows at most 1,000). */
  pageSize?: number;
  onQuery?: (stats: AthenaStatementStats, sql: string) => void;
  sleep?: (ms: number) => Promise<void>;
  /**
   * Runs a statement again, up to this many times (default 3, waiting 1 s, 2 s, 4 s…), when Athena
   * ends it with a retryable error: an Iceberg commit that lost a race with another writer. Every
   * statement memgap sends may run twice (MERGE inserts only what is missing, DDL says IF NOT EXISTS).
   */
  retries?: number;
}

/**
 * Athena's pricing rule for one statement: data scanned rounded up to the next megabyte, at
 * least 10 MB; DDL statements and failed queries are not charged ("Amazon Athena pricing",
 * checked 2026-11-30). The page does not say which megabyte; 10^6 is used (2^20 would add 5 %).
 */
export const ATHENA_MIN_BILLED_BYTES = 10_000_000;
export function athenaBilledBytes(dataScannedInBytes: number, statementType: string | undefined, state = 'SUCCEEDED'): number {
  if (statementType === 'DDL' || state === 'FAILED') return 0;
  return Math.max(ATHENA_MIN_BILLED_BYTES, Math.ceil(dataScannedInBytes / 1_000_000) * 1_000_000);
}

/**
 * One Athena cell (always text on the wire, absent for NULL) → the JS value the DuckDB engine
 * would give for the same column: BIGINT as bigint, timestamps as Date, arrays as arrays.
 * Athena renders `array(varchar)` as `[a, b]` with no quoting, so an element containing ", "
 * cannot be told apart; memgap's arrays (flags) never contain one.
 */
export function athenaValue(type: string, text: string | undefined): unknown {
  if (text === undefined) return null;
  const t = type.toLowerCase();
  if (t === 'bigint') return BigInt(text);
  if (t === 'integer' || t === 'int' || t === 'smallint' || t === 'tinyint') return Number(text);
  if (t === 'double' || t === 'real' || t === 'float' || t.startsWith('decimal')) {
    if (text === 'NaN') return NaN;
    if (text === 'Infinity') return Infinity;
    if (text === '-Infinity') return -Infinity;
    return Number(text);
  }
  if (t === 'boolean') return text === 'true';
  if (t.startsWith('timestamp')) {
    // `2026-11-26 10:00:00.000` (session zone UTC) or `… UTC` for timestamp with time zone.
    const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)(?: (?:UTC|Z|\+00:00))?$/.exec(text);
    if (!m) return text;
    const [whole, frac = ''] = m[2]!.split('.');
    return new Date(`${m[1]}T${whole}.${(frac + '000').slice(0, 3)}Z`);
  }
  if (t === 'array' || t.startsWith('array(') || t.startsWith('array<')) {
    if (text === '[]') return [];
    if (!text.startsWith('[') || !text.endsWith(']')) return text;
    return text.slice(1, -1).split(', ');
  }
  return text;
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function columnsOf(info: ColumnInfo[] | undefined): { name: string; type: string }[] {
  return (info ?? []).map((c) => ({ name: c.Name ?? c.Label ?? '', type: (c.Type ?? 'varchar').toUpperCase() }));
}

export interface AthenaQueryEngine extends QueryEngine {
  query(sql: string): Promise<AthenaQueryResult>;
  /** Runs a statement to completion without fetching rows (DDL, MERGE, OPTIMIZE, VACUUM). */
  execute(sql: string): Promise<AthenaStatementStats>;
  stats(): AthenaTotals;
  readonly client: AthenaClient;
  /**
   * The engine as one step (one SQS message) uses it: every statement carries a ClientRequestToken
   * (statementToken(scope, …)), and all of the step's statements together wait at most
   * `maxWaitMs` for Athena; then AthenaStillRunningError (the query is left running).
   */
  step(scope: string, opts: { maxWaitMs: number }): AthenaQueryEngine;
}

interface StepContext {
  scope: string;
  /** Date.now() when the step began: a failed query submitted before it belongs to an earlier delivery. */
  began: number;
  deadline: number;
  maxWaitMs: number;
  seen: Map<string, number>;
}

export function openAthenaEngine(opts: AthenaEngineOptions): AthenaQueryEngine {
  const client = opts.client ?? new AthenaClient(opts.clientConfig ?? {});
  const ownsClient = !opts.client;
  const sleep = opts.sleep ?? delay;
  const initialMs = opts.poll?.initialMs ?? 250;
  const factor = opts.poll?.factor ?? 1.6;
  const maxMs = opts.poll?.maxMs ?? 5_000;
  const timeoutMs = opts.timeoutMs ?? 600_000;
  const pageSize = Math.min(1000, Math.max(1, opts.pageSize ?? 1000));
  const retries = opts.retries ?? 3;
  const totals: AthenaTotals = { queries: 0, failed: 0, dataScannedInBytes: 0, billedBytes: 0, engineExecutionTimeInMillis: 0 };

  function record(exec: QueryExecution, id: string, sql: string): AthenaStatementStats {
    const s: AthenaStatementStats = {
      queryExecutionId: id,
      statementType: exec.StatementType,
      state: exec.Status?.State ?? 'UNKNOWN',
      dataScannedInBytes: exec.Statistics?.DataScannedInBytes ?? 0,
      engineExecutionTimeInMillis: exec.Statistics?.EngineExecutionTimeInMillis ?? 0,
      totalExecutionTimeInMillis: exec.Statistics?.TotalExecutionTimeInMillis ?? 0,
    };
    totals.queries++;
    if (s.state !== 'SUCCEEDED') totals.failed++;
    totals.dataScannedInBytes += s.dataScannedInBytes;
    totals.billedBytes += athenaBilledBytes(s.dataScannedInBytes, s.statementType, s.state);
    totals.engineExecutionTimeInMillis += s.engineExecutionTimeInMillis;
    opts.onQuery?.(s, sql);
    return s;
  }

  type Ran = { id: string; exec: QueryExecution; stats: AthenaStatementStats };

  async function run(sql: string, step?: StepContext): Promise<Ran> {
    if (!step) {
      for (let attempt = 0; ; attempt++) {
        try {
          return (await runOnce(sql)) as Ran;
        } catch (err) {
          if (!(err instanceof AthenaQueryError) || !err.retryable || attempt >= retries) throw err;
          await sleep(1000 * 2 ** attempt);
        }
      }
    }
    const occurrence = step.seen.get(sql) ?? 0;
    step.seen.set(sql, occurrence + 1);
    let fresh = 0;
    for (let generation = 0; generation < MAX_GENERATIONS; generation++) {
      try {
        const ran = await runOnce(sql, step, statementToken(step.scope, sql, occurrence, generation));
        if (ran !== 'earlier') return ran;
      } catch (err) {
        if (!(err instanceof AthenaQueryError) || !err.retryable || fresh >= retries) throw err;
        await sleep(1000 * 2 ** fresh++);
      }
    }
    throw new AthenaQueryError('(none)', 'FAILED', `the statement failed in ${MAX_GENERATIONS} earlier deliveries of step ${step.scope}`);
  }

  /**
   * Starts the statement (or, with a token, re-attaches to the query Athena already has for it) and
   * polls it. 'earlier': with a step, the token's query had ended FAILED/CANCELLED before the step
   * began (a previous delivery's), so the caller runs a new generation.
   */
  async function runOnce(sql: string, step?: StepContext, token?: string): Promise<Ran | 'earlier'> {
    const started = await client.send(
      new StartQueryExecutionCommand({
        QueryString: sql,
        WorkGroup: opts.workGroup,
        QueryExecutionContext: { Database: opts.database, ...(opts.catalog ? { Catalog: opts.catalog } : {}) },
        ...(opts.outputLocation ? { ResultConfiguration: { OutputLocation: opts.outputLocation } } : {}),
        ...(token ? { ClientRequestToken: token } : {}),
      }),
    );
    const id = started.QueryExecutionId!;
    const deadline = step ? step.deadline : Date.now() + timeoutMs;
    let wait = initialMs;
    for (;;) {
      const { QueryExecution: exec } = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      const state = exec?.Status?.State;
      if (state === 'SUCCEEDED') return { id, exec: exec!, stats: record(exec!, id, sql) };
      if (state === 'FAILED' || state === 'CANCELLED') {
        if (step && (exec!.Status?.SubmissionDateTime?.getTime() ?? Infinity) < step.began) return 'earlier';
        record(exec!, id, sql);
        const e = exec!.Status?.AthenaError;
        throw new AthenaQueryError(id, state, exec!.Status?.StateChangeReason ?? '(no reason given)', {
          ...(e?.ErrorCategory !== undefined ? { category: e.ErrorCategory } : {}),
          ...(e?.ErrorType !== undefined ? { type: e.ErrorType } : {}),
          ...(e?.Retryable !== undefined ? { retryable: e.Retryable } : {}),
        });
      }
      if (Date.now() + wait > deadline) {
        // A step's budget is spent: leave the query running; the redelivered step re-attaches to it by its token.
        if (step) throw new AthenaStillRunningError(id, state ?? 'UNKNOWN', step.maxWaitMs, token);
        await client.send(new StopQueryExecutionCommand({ QueryExecutionId: id })).catch(() => undefined);
        throw new AthenaQueryError(id, 'TIMED_OUT', `still ${state ?? 'unknown'} after ${timeoutMs} ms; stopped`);
      }
      await sleep(wait);
      wait = Math.min(maxMs, Math.round(wait * factor));
    }
  }

  const view = (step?: StepContext): AthenaQueryEngine => ({
    client,
    async query(sql) {
      const { id, exec, stats } = await run(sql, step);
      let columns: { name: string; type: string }[] = [];
      const rows: Record<string, unknown>[] = [];
      let token: string | undefined;
      let first = true;
      do {
        const page = await client.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: pageSize, ...(token ? { NextToken: token } : {}) }));
        if (first) {
          columns = columnsOf(page.ResultSet?.ResultSetMetadata?.ColumnInfo);
          if (page.UpdateCount !== undefined && exec.StatementType !== 'DDL') stats.updateCount = page.UpdateCount;
        }
        let data: Row[] = page.ResultSet?.Rows ?? [];
        // A SELECT's first row is the header (the column labels), not data.
        if (first && exec.StatementType !== 'DDL' && data.length > 0 && data[0]!.Data?.every((d, i) => d.VarCharValue === columns[i]?.name)) data = data.slice(1);
        for (const r of data) {
          const row: Record<string, unknown> = {};
          columns.forEach((c, i) => (row[c.name] = athenaValue(c.type, r.Data?.[i]?.VarCharValue)));
          rows.push(row);
        }
        token = page.NextToken;
        first = false;
      } while (token);
      return { columns, rows, stats };
    },
    async execute(sql) {
      const { id, exec, stats } = await run(sql, step);
      if (exec.StatementType === 'DML') {
        const page = await client.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 1 }));
        if (page.UpdateCount !== undefined) stats.updateCount = page.UpdateCount;
      }
      return stats;
    },
    stats: () => ({ ...totals }),
    step(scope, { maxWaitMs }) {
      const began = Date.now();
      return view({ scope, began, deadline: began + maxWaitMs, maxWaitMs, seen: new Map() });
    },
    async close() {
      // A step's view shares the client: only the engine itself closes it.
      if (ownsClient && !step) client.destroy();
    },
  });
  return view();
}
