/**
 * Checks on the locations a user types, so a wrong `--out` or an input folder of loose files is
 * answered with what to do next instead of "0 rows" or a stack trace.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { InputRef } from '../pipeline/analyze.js';
import { isS3Location, openStore } from '../store/open-store.js';
import type { ObjectStore } from '../store/port.js';
import { CGROUP_FILE, recognizeFile } from '../sources/recognize.js';

/** The compacted tables every analyzed output holds (trends_daily may still be empty). */
const REQUIRED_TABLES = ['discrepancy', 'samples'] as const;

async function hasParquetUnder(store: ObjectStore, prefix: string): Promise<boolean> {
  for await (const o of store.list(prefix)) if (o.key.endsWith('.parquet')) return true;
  return false;
}

/**
 * `--out` of analyze/demo: a folder (created if missing) or s3://…, never an existing file. An
 * s3:// location is listed once first, so a wrong bucket or missing credentials stop the run
 * before any capture is read.
 */
export async function assertWritableOut(out: string, open: (location: string) => ObjectStore = openStore): Promise<void> {
  if (isS3Location(out)) {
    for await (const _ of open(out).list('')) break;
    return;
  }
  const info = await stat(out).catch(() => null);
  if (info && !info.isDirectory()) throw new UsageError(`--out ${out} is a file; give the folder the tables and reports should go to`);
}

/**
 * `--out` of query/explain: must hold the tables `memgap analyze` writes. Says what is there
 * instead (nothing, a file, captures not yet analyzed) and the command that fixes it.
 */
export async function requireTables(out: string, open: (location: string) => ObjectStore = openStore): Promise<void> {
  const hint = `run memgap analyze <captures…> --out ${out} first`;
  if (!isS3Location(out)) {
    const info = await stat(out).catch(() => null);
    if (!info) throw new UsageError(`no memgap tables under ${out}: it does not exist; ${hint}`);
    if (!info.isDirectory()) throw new UsageError(`no memgap tables under ${out}: it is a file, not the folder memgap analyze wrote; ${hint}`);
  }
  const store = open(out);
  for (const table of REQUIRED_TABLES) if (await hasParquetUnder(store, `${table}/`)) return;
  const raw = (await hasCapture(store, 'raw/')) ? ` (it holds captures in raw/: memgap analyze ${joinLocation(out, 'raw')} --out ${out})` : '';
  throw new UsageError(`no memgap tables under ${out}; ${hint}${raw}`);
}

async function hasCapture(store: ObjectStore, prefix: string): Promise<boolean> {
  for await (const o of store.list(prefix)) if (/\.json(\.gz)?$/.test(o.key)) return true;
  return false;
}

function joinLocation(out: string, part: string): string {
  return isS3Location(out) ? `${out.replace(/\/$/, '')}/${part}` : path.join(out, part);
}

/** Files worth a look before calling a folder "loose files" (a kubelet summary is a few MiB). */
const LOOSE_MAX_BYTES = 16 * 1024 * 1024;
const LOOSE_MAX_FILES = 200;

/** A file `memgap pack` would take: a cgroup memory file by name, or a source it recognises by content. */
async function packable(file: string): Promise<boolean> {
  if (CGROUP_FILE.test(path.basename(file))) return true;
  const info = await stat(file).catch(() => null);
  if (!info?.isFile() || info.size > LOOSE_MAX_BYTES) return false;
  return recognizeFile(await readFile(file, 'utf8')).some((r) => r.result.kind === 'source' || r.result.kind === 'facts');
}

async function packableFilesUnder(dir: string, found: string[], budget: { files: number }): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (budget.files-- <= 0 || found.length >= 5) return;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) await packableFilesUnder(full, found, budget);
    else if (e.isFile() && (await packable(full))) found.push(full);
  }
}

/** Hand-collected files (summary JSON, `docker stats` text, memory.stat …) under local inputs: at most 5. */
export async function packableFiles(inputs: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  const budget = { files: LOOSE_MAX_FILES };
  for (const input of inputs) {
    if (isS3Location(input)) continue;
    const info = await stat(input).catch(() => null);
    if (info?.isDirectory()) await packableFilesUnder(input, found, budget);
    else if (info?.isFile() && (await packable(input))) found.push(input);
  }
  return found;
}

function packHint(inputs: readonly string[], files: readonly string[]): string {
  const folder = inputs.length === 1 && !isS3Location(inputs[0]!) ? inputs[0]! : '<folder>';
  return `memgap pack reads hand-collected output like ${files.map((f) => path.relative('.', f) || f).join(', ')}: run memgap pack ${folder} --cluster <name> --node <name> first, then analyze the bundle it writes`;
}

/** The error for inputs holding no capture bundle at all. */
export async function noCaptureError(inputs: readonly string[]): Promise<UsageError> {
  const loose = await packableFiles(inputs);
  const where = inputs.join(' ');
  if (loose.length > 0) return new UsageError(`no capture bundle under ${where}; ${packHint(inputs, loose)}`);
  return new UsageError(`no capture bundle under ${where} (memgap analyze reads *.json / *.json.gz / *.json.br captures written by memgap agent or memgap pack)`);
}

/**
 * Does a local input that is not gzip hold a memgap capture at all? (Both schema ids carry this
 * prefix.) A `.json` in a folder, or any file named on the command line (`analyze stats.txt`).
 */
async function looksLikeBundle(ref: InputRef): Promise<boolean> {
  if (isS3Location(ref.store.location) || ref.key.endsWith('.gz') || ref.key.endsWith('.br')) return true;
  const bytes = await ref.store.getBytes(ref.key).catch(() => null);
  if (bytes === null || bytes.length > LOOSE_MAX_BYTES) return true;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return true; // gzip under another name
  return bytes.includes('"memgap.');
}

/**
 * Every input is another tool's JSON, not a capture: say "pack first" before anything is
 * written. Stops at the first bundle, so a folder of real captures costs one read at most.
 */
export async function assertSomeBundles(inputs: readonly string[], refs: readonly InputRef[]): Promise<void> {
  if (refs.length === 0) throw await noCaptureError(inputs);
  for (const ref of refs) if (await looksLikeBundle(ref)) return;
  const loose = await packableFiles(inputs);
  const named = loose.length > 0 ? loose : refs.slice(0, 5).map((r) => path.join(r.store.location, r.key));
  throw new UsageError(`no capture bundle under ${inputs.join(' ')} (${refs.length === 1 ? 'the file is' : `its ${refs.length} files are`} another tool's output); ${packHint(inputs, named)}`);
}
