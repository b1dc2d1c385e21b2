/**
 * `docker stats` as printed by the CLI: `--format '{{json .}}'` lines, or the
 * default table pasted from a terminal. The CLI prints only humanised numbers, so each sample
 * carries what was printed (`reported`, `reportedLimit`) with its rounding uncertainty and no
 * cgroup quantities; the CLI also prints no sample time.
 */
import * as z from 'zod';
import { InvalidSnapshotError } from '../errors.js';
import { makeSample, type ReportedValue, type Sample } from '../model/sample.js';
import { tryParseHumanBytes } from './human-units.js';
import { parseDockershimName, parseDockershimPrefix } from './identity.js';
import { matchPrompt } from './recognize.js';
import type { SourceParser } from './types.js';

type CliSource = 'dockerStats' | 'dockerStatsTable';

function fail(source: CliSource, path: string, reason: string): never {
  throw new InvalidSnapshotError({ source, path, reason });
}

const HEX_ID = /^[0-9a-f]{12,64}$/;

/**
 * One printed value; `--` is what the CLI prints for a container whose stats it could not read.
 * Decimal units (`495.2 MB`) come only from CLIs older than `--format` (1.13, after moby PR #21773): tables only.
 */
function reportedValue(text: string, source: CliSource, path: string, what: string): ReportedValue | null {
  if (text === '--') return null;
  const r = tryParseHumanBytes(text);
  if (!r.ok) fail(source, path, `${what} ${JSON.stringify(text)}: ${r.reason}`);
  if (r.value.base === 1000 && source === 'dockerStats') {
    fail(source, path, `${what} ${JSON.stringify(text)}: decimal unit: docker stats --format (Docker ≥ 1.13) prints memory in binary units (KiB, MiB, GiB…)`);
  }
  return { bytes: r.value.bytes, uncertaintyBytes: r.value.uncertaintyBytes, text };
}

/**
 * `MEM USAGE / LIMIT` on Linux (`620KiB / 7.69GiB`, `-- / --`); Windows prints one value, the
 * private working set, and no limit (formatter_stats.go MemUsage).
 */
function memUsage(text: string, source: CliSource, path: string): { reported: ReportedValue | null; reportedLimit: ReportedValue | null } {
  const parts = text.trim().split(/\s*\/\s*/);
  if (parts.length === 1) return { reported: reportedValue(parts[0]!, source, path, 'MEM USAGE'), reportedLimit: null };
  if (parts.length !== 2) fail(source, path, `MEM USAGE ${JSON.stringify(text.slice(0, 80))}: expected "<usage> / <limit>"`);
  return {
    reported: reportedValue(parts[0]!, source, path, 'MEM USAGE'),
    reportedLimit: reportedValue(parts[1]!, source, path, 'LIMIT'),
  };
}

/** Identity from what the CLI printed: ID (12 chars, or 64 with --no-trunc) and Name (leading `/` trimmed). */
function identityOf(id: string | null, name: string | null) {
  const runtimeName = name && name !== '--' ? name : null;
  const shim = runtimeName ? parseDockershimName(runtimeName) : null;
  if (shim) {
    return {
      level: 'container' as const,
      containerId: id,
      runtimeName,
      namespace: shim.namespace,
      pod: shim.pod,
      podUid: shim.podUid,
      container: shim.container,
      isPause: shim.isPause,
    };
  }
  // A dockershim name cut short by hand (the seed article prints `k8s_POD_busybox_<省略>`) no
  // longer parses in full, but its whole leading fields still say which container of which pod.
  const cut = runtimeName ? parseDockershimPrefix(runtimeName) : null;
  if (cut) return { level: 'container' as const, containerId: id, runtimeName, isPause: cut.isPause, container: cut.container, pod: cut.pod, namespace: cut.namespace };
  return { level: 'container' as const, containerId: id, runtimeName, isPause: false };
}

function cliSample(id: string | null, name: string | null, usage: ReturnType<typeof memUsage>): Sample {
  return makeSample('docker-cli', { identity: identityOf(id, name), reported: usage.reported, reportedLimit: usage.reportedLimit });
}

/** Iterates lines without materialising a huge array first, enforcing the line-length limit. */
function* lines(text: string, source: CliSource, maxLineLength: number, firstLine = 1): Generator<[number, string]> {
  let start = 0;
  let n = firstLine;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end - start > maxLineLength + 1) fail(source, `line ${n}`, `longer than the limit of ${maxLineLength} characters`);
    const line = text.slice(start, end).replace(/\r$/, '');
    if (line.length > maxLineLength) fail(source, `line ${n}`, `longer than the limit of ${maxLineLength} characters`);
    yield [n, line];
    n++;
    start = end + 1;
  }
}

// ---------------------------------------------------------------------------------------------
// --format '{{json .}}'

/** Keys of statsContext (formatter MarshalJSON); only the identity and memory keys are read. */
export const DockerStatsJsonLine = z.object({
  ID: z.string().max(64, 'longer than a container id').nullish(),
  Name: z.string().max(512, 'longer than a container name').nullish(),
  Container: z.string().max(512).nullish(),
  MemUsage: z.string({ error: 'expected the MemUsage string ("<usage> / <limit>")' }).max(64, 'too long for "<usage> / <limit>"'),
});

function jsonLineSample(line: string, n: number): Sample {
  const path = `line ${n}`;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    fail('dockerStats', path, `not valid JSON: ${(err as Error).message}`);
  }
  const parsed = DockerStatsJsonLine.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.map(String).join('.');
    fail('dockerStats', path, field ? `${field}: ${issue.message}` : issue.message);
  }
  const row = parsed.data;
  // `Container` is the user's argument (a name or an id prefix) when ID is absent from the format.
  const id = row.ID ?? (row.Container && HEX_ID.test(row.Container) ? row.Container : null);
  return cliSample(id || null, row.Name ?? null, memUsage(row.MemUsage, 'dockerStats', path));
}

/**
 * `docker stats --no-stream --no-trunc --format '{{json .}}'`: an array of lines as the bundle
 * stores it, or the same output as one string (a loose file). Blank lines are skipped.
 */
export const parseDockerStatsJsonLines: SourceParser = (input, ctx) => {
  const { maxLineLength, maxContainers } = ctx.limits;
  const samples: Sample[] = [];
  const take = (n: number, line: string) => {
    if (line.trim() === '') return;
    if (samples.length >= maxContainers) fail('dockerStats', `line ${n}`, `more than ${maxContainers} containers, the limit per capture`);
    samples.push(jsonLineSample(line, n));
  };
  if (typeof input === 'string') {
    for (const [n, line] of lines(input, 'dockerStats', maxLineLength)) take(n, line);
    return samples;
  }
  if (!Array.isArray(input)) fail('dockerStats', '', "expected the lines of docker stats --format '{{json .}}' (an array of strings)");
  for (let i = 0; i < input.length; i++) {
    const item: unknown = input[i];
    const n = i + 1;
    if (typeof item !== 'string') fail('dockerStats', `line ${n}`, `expected a string, got ${item === null ? 'null' : Array.isArray(item) ? 'an array' : typeof item}`);
    if (item.length > maxLineLength) fail('dockerStats', `line ${n}`, `longer than the limit of ${maxLineLength} characters`);
    const line = item.replace(/\r?\n$/, '');
    if (line.includes('\n')) fail('dockerStats', `line ${n}`, 'contains a line break: each array element is one output line');
    take(n, line);
  }
  return samples;
};

// ---------------------------------------------------------------------------------------------
// Default table

type Column = 'id' | 'container' | 'name' | 'cpu' | 'memUsage' | 'privWorkingSet' | 'memPerc' | 'netIO' | 'blockIO' | 'pids';

/** Header cells of formatter_stats.go (and `CONTAINER` alone, the first column before Docker 1.13). */
const HEADERS: ReadonlyArray<readonly [readonly string[], Column]> = [
  [['CONTAINER', 'ID'], 'id'],
  [['CONTAINER'], 'container'],
  [['NAME'], 'name'],
  [['CPU', '%'], 'cpu'],
  [['MEM', 'USAGE', '/', 'LIMIT'], 'memUsage'],
  [['PRIV', 'WORKING', 'SET'], 'privWorkingSet'],
  [['MEM', '%'], 'memPerc'],
  [['NET', 'I/O'], 'netIO'],
  [['BLOCK', 'I/O'], 'blockIO'],
  [['PIDS'], 'pids'],
];

// Cursor movement and clear-screen codes the streaming mode writes between frames.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;
const SIZE_UNIT = /^(?:B|[KMGTPEZY]iB|[kKMGTPEZY]B)$/;

function tokens(line: string): string[] {
  const raw = line.replace(ANSI, '').trim().split(/\s+/).filter((t) => t.length > 0);
  // Old go-units printed a space between number and unit (`796 KiB / 64 MiB`); glue them back.
  const out: string[] = [];
  for (const t of raw) {
    const prev = out[out.length - 1];
    if (prev !== undefined && SIZE_UNIT.test(t) && /^\d+(?:\.\d+)?$/.test(prev)) out[out.length - 1] = `${prev} ${t}`;
    else out.push(t);
  }
  return out;
}

/**
 * A header is a line made only of known column titles (custom `--format "table …"` headers
 * too). A line starting with `CONTAINER` that is not one is reported, since it almost certainly
 * is a header of a format this parser does not know rather than noise.
 */
function parseHeader(toks: readonly string[], n: number): Column[] | null {
  const strict = toks[0] === 'CONTAINER';
  const columns: Column[] = [];
  let i = 0;
  while (i < toks.length) {
    const match = HEADERS.find(([words]) => words.every((w, k) => toks[i + k] === w));
    if (!match) {
      if (strict) fail('dockerStatsTable', `line ${n}`, `unknown column header at ${JSON.stringify(toks.slice(i, i + 3).join(' '))}`);
      return null;
    }
    columns.push(match[1]);
    i += match[0].length;
  }
  const hasMemory = columns.includes('memUsage') || columns.includes('privWorkingSet');
  const hasIdentity = columns.includes('id') || columns.includes('container') || columns.includes('name');
  if (!strict && !(hasMemory && hasIdentity)) return null;
  if (!hasMemory) fail('dockerStatsTable', `line ${n}`, 'the header has no MEM USAGE / LIMIT column');
  if (!hasIdentity) fail('dockerStatsTable', `line ${n}`, 'the header has no CONTAINER ID, CONTAINER or NAME column, so rows cannot be attributed');
  return columns;
}

/** Splits a row into cells by the header's columns; `a / b` cells span three tokens, `--` one. */
function cells(toks: readonly string[], columns: readonly Column[], n: number): Map<Column, string> {
  const out = new Map<Column, string>();
  let i = 0;
  for (const col of columns) {
    const t = toks[i];
    if (t === undefined) fail('dockerStatsTable', `line ${n}`, `row ends before the ${col} column (expected ${columns.length} columns)`);
    const pair = col === 'memUsage' || col === 'netIO' || col === 'blockIO';
    if (pair && toks[i + 1] === '/') {
      const second = toks[i + 2];
      if (second === undefined) fail('dockerStatsTable', `line ${n}`, `row ends inside the ${col} column`);
      out.set(col, `${t} / ${second}`);
      i += 3;
    } else {
      out.set(col, t);
      i += 1;
    }
  }
  if (i !== toks.length) fail('dockerStatsTable', `line ${n}`, `${toks.length - i} more cells than the header's ${columns.length} columns`);
  return out;
}

/**
 * The default `docker stats --no-stream` table as pasted from a terminal: prompt and command
 * lines, blank lines and indentation are tolerated. Columns are recognised from the header, so
 * pre-1.13 tables without NAME (first column `CONTAINER`) and Windows tables (PRIV WORKING SET)
 * also parse. Cells are found by tokens, not character positions, because a long name pushes
 * the later columns right. When a streamed table repeats its header, only the last frame counts.
 */
export const parseDockerStatsTable: SourceParser = (input, ctx) => {
  if (typeof input !== 'string') fail('dockerStatsTable', '', 'expected the docker stats table as one string');
  const { maxLineLength, maxContainers } = ctx.limits;
  let columns: Column[] | null = null;
  let samples: Sample[] = [];
  // After the rows, a prompt with a command (`[root@node02 ~]# cat memory.stat`) starts another
  // command's output: nothing more is a row until a header starts a table again.
  let ended = false;
  for (const [n, line] of lines(input, 'dockerStatsTable', maxLineLength)) {
    const toks = tokens(line);
    if (toks.length === 0) continue;
    const header = parseHeader(toks, n);
    if (header) {
      columns = header;
      samples = [];
      ended = false;
      continue;
    }
    // Before the header: the `$ docker stats` command line or other terminal noise; after it, a
    // bare prompt line ends nothing but is not a row either.
    if (columns === null || ended || /^\S*[$#>]$/.test(toks[0]!)) continue;
    const prompt = matchPrompt(line.replace(ANSI, '').trim());
    if (prompt) {
      ended = prompt.command.trim() !== '';
      continue;
    }
    const row = cells(toks, columns, n);
    if (samples.length >= maxContainers) fail('dockerStatsTable', `line ${n}`, `more than ${maxContainers} containers, the limit per capture`);
    const idCell = row.get('id') ?? null;
    let id: string | null = null;
    let name = row.get('name') ?? null;
    if (idCell !== null) {
      if (!HEX_ID.test(idCell)) fail('dockerStatsTable', `line ${n}`, `CONTAINER ID ${JSON.stringify(idCell.slice(0, 80))} is not a hexadecimal container id`);
      id = idCell;
    }
    const container = row.get('container');
    if (container !== undefined) {
      // Before NAME existed the first column showed whatever the user passed: an id or a name.
      if (HEX_ID.test(container)) id = container;
      else name = container;
    }
    const mem = row.get('memUsage') ?? row.get('privWorkingSet')!;
    samples.push(cliSample(id, name, memUsage(mem, 'dockerStatsTable', `line ${n}`)));
  }
  if (columns === null) fail('dockerStatsTable', '', 'no header line (CONTAINER ID  NAME  CPU %  MEM USAGE / LIMIT …) found');
  return samples;
};
