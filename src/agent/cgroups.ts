import { closeSync, constants, existsSync, openSync, readFileSync, readdirSync, readvSync } from 'node:fs';
import path from 'node:path';
import type { CgroupEntry } from '../model/bundle.js';
import { parseCgroupPath, type CgroupPathIdentity } from '../sources/identity.js';
import { ReadingCollector, type CgroupReading } from './signals.js';

/** What a capture keeps of each cgroup: usage, limit, stat, swap, kernel and the OOM counters, per cgroup version. */
export const V1_FILES = [
  'memory.stat',
  'memory.usage_in_bytes',
  'memory.limit_in_bytes',
  'memory.max_usage_in_bytes',
  'memory.failcnt',
  'memory.oom_control',
  'memory.kmem.usage_in_bytes',
] as const;
export const V2_FILES = ['memory.stat', 'memory.current', 'memory.max', 'memory.swap.current', 'memory.events', 'memory.peak'] as const;

export interface CgroupLayout {
  version: 1 | 2;
  /** The directory the memory controller's hierarchy starts at (v1: `<root>/memory`). */
  memoryRoot: string;
  driver?: 'cgroupfs' | 'systemd';
  /** `kubepods` and/or `kubepods.slice`, relative to memoryRoot. */
  kubepods: string[];
}

/**
 * Reads the layout from the host's cgroup mount as mounted into the agent (`/host/sys/fs/cgroup`).
 * v2 is recognised by `cgroup.controllers` at the root; hybrid hosts (v1 controllers + a unified
 * tree under `unified/`) count as v1, because memory accounting lives in the v1 hierarchy there.
 */
export function detectCgroupLayout(root: string): CgroupLayout | null {
  let version: 1 | 2;
  let memoryRoot: string;
  if (existsSync(path.join(root, 'cgroup.controllers'))) {
    version = 2;
    memoryRoot = root;
  } else if (existsSync(path.join(root, 'memory'))) {
    version = 1;
    memoryRoot = path.join(root, 'memory');
  } else {
    return null;
  }
  const kubepods = ['kubepods.slice', 'kubepods'].filter((d) => existsSync(path.join(memoryRoot, d)));
  const driver = kubepods.includes('kubepods.slice') ? 'systemd' : kubepods.includes('kubepods') ? 'cgroupfs' : undefined;
  return { version, memoryRoot, kubepods, ...(driver ? { driver } : {}) };
}

export interface CgroupScan {
  layout: CgroupLayout | null;
  entries: CgroupEntryJson[];
  /** Cgroups beyond maxContainers, not read (logged by the caller). */
  skipped: number;
  /** Usage, limit, inactive_file and OOM-kill counter of every entry (src/agent/signals.ts). */
  readings: CgroupReading[];
}

/**
 * Every pod cgroup and pod container cgroup (pause included) under kubepods, whichever driver.
 * Reads are synchronous on purpose: ~450 cgroups × 7 small pseudo-files are cheaper as direct
 * syscalls than as thread-pool round trips, and a tight loop keeps the files' instants close.
 */
export function collectCgroups(root: string, options: { maxCgroups?: number; handles?: CgroupFileHandles } = {}): CgroupScan {
  const layout = detectCgroupLayout(root);
  const entries: CgroupEntryJson[] = [];
  let skipped = 0;
  if (!layout) return { layout, entries, skipped, readings: [] };
  const readings = new ReadingCollector(layout.version);
  const max = options.maxCgroups ?? 10_000;
  const files = layout.version === 2 ? V2_FILES : V1_FILES;
  // Without its trailing slashes (a v2 root is the path as given), so `memoryRoot + rel` is clean.
  const memoryRoot = layout.memoryRoot.replace(/\/+$/, '');

  const visit = (rel: string, depth: number): void => {
    // Plain concatenation, no path.join: memoryRoot ends without a slash and `rel` is built from
    // readdir names, which hold no `/`, `.` or `..`; path.join per cgroup showed in profiles.
    const abs = memoryRoot + rel;
    const dir = abs + '/';
    const kept = options.handles?.enter(dir);
    let id: CgroupPathIdentity | null = null;
    if (depth > 0) {
      // The identity of a folder never changes; kept folders parse their path once.
      if (kept) id = kept.id === undefined ? (kept.id = parseCgroupPath(rel)) : kept.id;
      else id = parseCgroupPath(rel);
    }
    if (id) {
      if (entries.length >= max) skipped++;
      else {
        ENTRY_WRITER.begin(rel);
        readings.begin(rel, id.podUid, id.containerId);
        for (let i = 0; i < files.length; i++) {
          const f = files[i]!;
          const len = kept ? options.handles!.read(kept, i, f) : readSmall(dir + f);
          // -1: absent by kernel version or config (memory.peak < 5.19, kmem off), not an error.
          if (len >= 0) {
            ENTRY_WRITER.file(f, READ_BUFFER, len);
            readings.file(i, READ_BUFFER, len);
          }
        }
        const entry = ENTRY_WRITER.finish();
        if (entry) entries.push(entry);
        else readings.readings.pop();
      }
      if (id.containerId !== null) return;
    }
    // kubepods / <qos> / pod / container: nothing below depth 3 is a pod's memory cgroup.
    if (depth >= 3) return;
    let children;
    try {
      children = readdirSync(abs, { withFileTypes: true });
    } catch {
      return; // the pod went away mid-walk
    }
    for (const c of children) if (c.isDirectory()) visit(`${rel}/${c.name}`, depth + 1);
  };
  options.handles?.beginScan();
  for (const k of layout.kubepods) visit(`/${k}`, 0);
  options.handles?.endScan();
  return { layout, entries, skipped, readings: readings.readings };
}

/**
 * Cgroup files kept open between captures and re-read with pread at offset 0, which makes the
 * kernel's seq_file render them afresh. open + close are two of the three syscalls per file and
 * most of a capture's CPU on a 110-pod node (2,310 files: ~18 ms → ~5 ms measured). Handles of
 * the folders a scan did not visit (the cgroup is gone) are closed at the end of that scan; a
 * read that fails on a kept handle reopens the file once. The number kept stays under half the process's
 * open-file soft limit (/proc/self/limits), so sockets to the kubelet and dockerd always find
 * a descriptor; files beyond it are read the plain way.
 */
export class CgroupFileHandles {
  // Keyed by cgroup folder, not by file: a per-file key was a fresh path string per file and
  // capture (2,310 on a 110-pod node), all alive until the scan ended, so V8 promoted them.
  private dirs = new Map<string, CgroupDirHandles>();
  private open = 0;
  private scan = 0;
  readonly max: number;

  constructor(max = CgroupFileHandles.defaultMax()) {
    this.max = Math.max(0, max);
  }

  /** Half the soft RLIMIT_NOFILE minus a reserve, at most 8192; 0 (no caching) when unreadable. */
  static defaultMax(limitsText?: string): number {
    let text = limitsText;
    if (text === undefined) {
      try {
        text = readFileSync('/proc/self/limits', 'utf8');
      } catch {
        return 0;
      }
    }
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(text);
    if (!m) return 0;
    const soft = m[1] === 'unlimited' ? Infinity : Number(m[1]);
    return Math.max(0, Math.min(8192, Math.floor(soft / 2) - 64));
  }

  /** Open files kept. */
  get size(): number {
    return this.open;
  }

  beginScan(): void {
    this.scan++;
  }

  endScan(): void {
    for (const [dir, handles] of this.dirs) {
      if (handles.scan === this.scan) continue;
      for (const fd of handles.fds) if (fd >= 0) this.forget(fd);
      this.dirs.delete(dir);
    }
  }

  /** The kept files of cgroup folder `dir` (ending in `/`), marked as visited by this scan. */
  enter(dir: string): CgroupDirHandles {
    let handles = this.dirs.get(dir);
    if (handles === undefined) this.dirs.set(dir, (handles = { dir, fds: [], scan: this.scan }));
    else handles.scan = this.scan;
    return handles;
  }

  /** Reads file `name` (the `index`-th the scan reads per folder) into READ_BUFFER: its length, or -1. */
  read(handles: CgroupDirHandles, index: number, name: string): number {
    const kept = handles.fds[index] ?? -1;
    if (kept >= 0) {
      const len = readFd(kept, 0);
      if (len >= 0) return len;
      this.forget(kept);
      handles.fds[index] = -1;
    }
    const file = handles.dir + name;
    if (this.open >= this.max) return readSmall(file);
    let fd: number;
    try {
      fd = openSync(file, constants.O_RDONLY);
    } catch {
      return -1;
    }
    const len = readFd(fd, 0);
    if (len < 0) closeQuietly(fd);
    else {
      while (handles.fds.length < index) handles.fds.push(-1);
      handles.fds[index] = fd;
      this.open++;
    }
    return len;
  }

  close(): void {
    for (const handles of this.dirs.values()) for (const fd of handles.fds) if (fd >= 0) closeQuietly(fd);
    this.dirs.clear();
    this.open = 0;
  }

  private forget(fd: number): void {
    closeQuietly(fd);
    this.open--;
  }
}

/** One cgroup folder's kept files, by the index of the file in V1_FILES / V2_FILES (-1: not open). */
export interface CgroupDirHandles {
  readonly dir: string;
  readonly fds: number[];
  scan: number;
  /** parseCgroupPath of the folder, once parsed. */
  id?: CgroupPathIdentity | null;
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed or invalid: nothing to release
  }
}

/** memory.stat is ~1.5 KB even on 6.x kernels; 64 KiB leaves room and bounds a hostile file. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
const READ_BUFFERS = [READ_BUFFER];

/**
 * open + read + close into one shared buffer: readFileSync adds an fstat (useless on pseudo-files,
 * which report 4096 or 0) and a fresh buffer per file, ~30 % of the cost over 2,000+ small reads.
 */
function readSmall(file: string): number {
  let fd: number;
  try {
    // Numeric flags skip Node's flag-string parsing, once per file × 2,000+ files.
    fd = openSync(file, constants.O_RDONLY);
  } catch {
    return -1;
  }
  try {
    return readFd(fd, null);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a whole small file into READ_BUFFER from `position` (0 = pread, re-rendering a
 * pseudo-file; null = the fd's offset): its length, or -1 on a read error.
 */
function readFd(fd: number, position: number | null): number {
  try {
    // One read: a short read is EOF here (kernfs seq_file reads fill the buffer until the records
    // run out, so the usual extra read that returns 0 would be a wasted syscall per file), and a
    // file filling the whole 64 KiB is cut there. readvSync: fewer argument checks than readSync,
    // which without TurboFan (runtime.ts) cost ~0.4 µs and ~0.7 KB of garbage per call.
    return readvSync(fd, READ_BUFFERS, position ?? undefined);
  } catch {
    return -1;
  }
}

/**
 * One entry of `sources.cgroups`, held as its JSON text: exactly `JSON.stringify({ path, files })`,
 * written straight from the read buffer into one flat string per cgroup. The record of 7 file
 * strings it replaces cost a UTF-8 decode per file, a JSON.stringify per entry in `encodeBundle`,
 * and 2,310 strings per 110-pod capture that lived through the capture, so V8 promoted them.
 * Not a Buffer: Buffers the old generation holds are freed only by a full GC, which V8 does not
 * schedule for off-heap bytes under 64 MiB, so each capture's entries piled up (~8 MiB measured).
 * `files` decodes on demand (tests, `--once`).
 */
export class CgroupEntryJson implements CgroupEntry {
  constructor(
    readonly path: string,
    /** `JSON.stringify({ path, files })`. */
    readonly json: string,
  ) {}

  get files(): Record<string, string> {
    return (JSON.parse(this.json) as CgroupEntry).files;
  }

  toJSON(): unknown {
    return JSON.parse(this.json) as unknown;
  }
}

/**
 * Writes a cgroup entry's JSON into one reused scratch buffer and makes one flat string of it:
 * the per-file strings (decode, JSON.stringify) die young, only the entry lives on. A byte-by-byte
 * escaper writing into the buffer measured no faster, and is slow without TurboFan (runtime.ts).
 */
export class CgroupEntryWriter {
  private buf = Buffer.allocUnsafe(16 * 1024);
  private at = 0;
  private path = '';
  private files = 0;
  /** Every byte written so far is ASCII: the text decodes as latin1, a one-byte string. */
  private ascii = true;

  begin(path: string): void {
    this.at = 0;
    this.files = 0;
    this.ascii = true;
    this.path = path;
    this.string('{"path":');
    this.string(JSON.stringify(path));
    this.string(',"files":{');
  }

  file(name: string, src: Buffer, len: number): void {
    this.string(nameKey(name, this.files++ === 0));
    this.string(JSON.stringify(src.toString('utf8', 0, len)));
  }

  /** The entry, or null when no file of the cgroup could be read. */
  finish(): CgroupEntryJson | null {
    if (this.files === 0) return null;
    this.string('}}');
    return new CgroupEntryJson(this.path, this.buf.toString(this.ascii ? 'latin1' : 'utf8', 0, this.at));
  }

  private string(text: string): void {
    this.ensure(text.length * 3);
    const written = this.buf.write(text, this.at, 'utf8');
    if (written !== text.length) this.ascii = false;
    this.at += written;
  }

  private ensure(extra: number): void {
    if (this.at + extra <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + extra));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }
}

const NAME_KEYS = new Map<string, { first: string; next: string }>();

/** `"<name>":` (`,"<name>":` after the first file), made once per file name, not 2,310 times a capture. */
function nameKey(name: string, first: boolean): string {
  let keys = NAME_KEYS.get(name);
  if (keys === undefined) {
    const key = JSON.stringify(name) + ':';
    NAME_KEYS.set(name, (keys = { first: key, next: ',' + key }));
  }
  return first ? keys.first : keys.next;
}

const ENTRY_WRITER = new CgroupEntryWriter();
