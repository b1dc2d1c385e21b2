import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CgroupEntryWriter, CgroupFileHandles, collectCgroups, detectCgroupLayout, type CgroupEntryJson } from '../../../src/agent/cgroups.js';
import { writeCgroupTree, type CgroupFlavour, type FakePod } from '../../integration/agent/fake-host.js';
import { parseCgroupPath } from '../../../src/sources/identity.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'memgap-agent-cg-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const MiB = 1024 * 1024;
const pods: FakePod[] = [
  {
    namespace: 'shop', name: 'web-0', uid: '11111111-2222-4333-8444-555555555555', qos: 'burstable',
    containers: [
      { name: 'POD', id: 'a'.repeat(64), usage: 700_416, anon: 331_776, activeFile: 0, inactiveFile: 0, shmem: 0, limit: null },
      { name: 'web', id: 'b'.repeat(64), usage: 100 * MiB, anon: 60 * MiB, activeFile: 20 * MiB, inactiveFile: 15 * MiB, shmem: 2 * MiB, limit: 256 * MiB, oomKills: 2 },
    ],
  },
  {
    namespace: 'kube-system', name: 'etcd-0', uid: 'eaf7d48161d81d9c3359e1c008571fd6', qos: 'guaranteed',
    containers: [{ name: 'etcd', id: 'c'.repeat(64), usage: 40 * MiB, anon: 30 * MiB, activeFile: 5 * MiB, inactiveFile: 4 * MiB, shmem: 0, limit: 64 * MiB }],
  },
  {
    namespace: 'batch', name: 'job-x', uid: '99999999-8888-4777-8666-555555555555', qos: 'besteffort',
    containers: [{ name: 'job', id: 'd'.repeat(64), usage: 10 * MiB, anon: 8 * MiB, activeFile: MiB, inactiveFile: 0, shmem: 0, limit: null }],
  },
];

const flavours: CgroupFlavour[] = [
  { version: 1, driver: 'cgroupfs' },
  { version: 1, driver: 'systemd', runtime: 'docker' },
  { version: 2, driver: 'cgroupfs' },
  { version: 2, driver: 'systemd', runtime: 'crio' },
];

describe.each(flavours)('collectCgroups on cgroup v$version / $driver', (flavour) => {
  const root = writeCgroupTree(path.join(tmp, `v${flavour.version}-${flavour.driver}`), flavour, pods);

  it('detects the version and driver', () => {
    const layout = detectCgroupLayout(root);
    expect(layout?.version).toBe(flavour.version);
    expect(layout?.driver).toBe(flavour.driver);
  });

  it('finds every pod cgroup and every container cgroup (pause included) and nothing else', () => {
    const scan = collectCgroups(root);
    // 3 pod cgroups + 2 + 1 + 1 container cgroups; /system(.slice) and the QoS parents are not pods.
    expect(scan.entries).toHaveLength(3 + 4);
    const ids = scan.entries.map((e) => parseCgroupPath(e.path));
    expect(ids.every((id) => id !== null && id.driver === flavour.driver)).toBe(true);
    expect(ids.filter((id) => id!.containerId === null).map((id) => id!.podUid).sort()).toEqual(pods.map((p) => p.uid).sort());
    expect(ids.filter((id) => id!.containerId !== null).map((id) => id!.containerId).sort()).toEqual(['a', 'b', 'c', 'd'].map((ch) => ch.repeat(64)));
    for (const e of scan.entries) expect(e.path.startsWith(flavour.driver === 'systemd' ? '/kubepods.slice/' : '/kubepods/')).toBe(true);
  });

  it('reads usage, limit, stat and the OOM counters verbatim', () => {
    const scan = collectCgroups(root);
    const web = scan.entries.find((e) => parseCgroupPath(e.path)?.containerId === 'b'.repeat(64))!;
    if (flavour.version === 1) {
      expect(web.files['memory.usage_in_bytes']).toBe(`${100 * MiB}\n`);
      expect(web.files['memory.limit_in_bytes']).toBe(`${256 * MiB}\n`);
      expect(web.files['memory.oom_control']).toContain('oom_kill 2');
      expect(web.files['memory.stat']).toContain(`total_inactive_file ${15 * MiB}`);
      expect(Object.keys(web.files).sort()).toEqual(['memory.failcnt', 'memory.kmem.usage_in_bytes', 'memory.limit_in_bytes', 'memory.max_usage_in_bytes', 'memory.oom_control', 'memory.stat', 'memory.usage_in_bytes']);
    } else {
      expect(web.files['memory.current']).toBe(`${100 * MiB}\n`);
      expect(web.files['memory.max']).toBe(`${256 * MiB}\n`);
      expect(web.files['memory.events']).toContain('oom_kill 2');
      expect(web.files['memory.stat']).toContain(`inactive_file ${15 * MiB}`);
      expect(Object.keys(web.files).sort()).toEqual(['memory.current', 'memory.events', 'memory.max', 'memory.peak', 'memory.stat', 'memory.swap.current']);
    }
    // The pod cgroup is the sum of its containers: 700416 + 100 MiB.
    const podEntry = scan.entries.find((e) => parseCgroupPath(e.path)?.podUid === pods[0]!.uid && parseCgroupPath(e.path)?.containerId === null)!;
    expect(podEntry.files[flavour.version === 1 ? 'memory.usage_in_bytes' : 'memory.current']).toBe(`${700_416 + 100 * MiB}\n`);
  });

  it('stops at maxCgroups and counts what it skipped', () => {
    const scan = collectCgroups(root, { maxCgroups: 2 });
    expect(scan.entries).toHaveLength(2);
    expect(scan.skipped).toBe(7 - 2);
  });
});

describe('collectCgroups without a cgroup hierarchy', () => {
  it('returns no layout and no entries for an empty folder', () => {
    const scan = collectCgroups(mkdtempSync(path.join(tmp, 'empty-')));
    expect(scan.layout).toBeNull();
    expect(scan.entries).toEqual([]);
  });
});

describe('CgroupFileHandles (cgroup files kept open between captures)', () => {
  const flavour: CgroupFlavour = { version: 2, driver: 'cgroupfs' };
  // Per cgroup v2 folder the agent reads 6 files (V2_FILES); the fake tree writes all 6.
  // Cgroups: 3 pods + 4 containers (web-0 has POD + web) = 7 → 42 files.
  const FILES = (pods.length + pods.reduce((n, p) => n + p.containers.length, 0)) * 6;

  it('reads the same texts as plain reads, sees rewritten files, closes handles of cgroups that went away', () => {
    const root = writeCgroupTree(path.join(tmp, 'handles'), flavour, pods);
    const handles = new CgroupFileHandles(1000);
    const plain = collectCgroups(root);
    const first = collectCgroups(root, { handles });
    expect(first.entries).toEqual(plain.entries);
    expect(handles.size).toBe(FILES);

    // The kernel rewrites memory.current in place; a pread at 0 on the kept fd sees the new text.
    const web = pods[0]!;
    const webDir = path.join(root, 'kubepods', 'burstable', `pod${web.uid}`, web.containers[1]!.id);
    writeFileSync(path.join(webDir, 'memory.current'), '104857601\n');
    const second = collectCgroups(root, { handles });
    expect(second.entries.find((e) => e.path.endsWith(web.containers[1]!.id))!.files['memory.current']).toBe('104857601\n');

    // The besteffort pod ends: its pod cgroup and one container cgroup (2 × 6 files) are released.
    const job = pods[2]!;
    rmSync(path.join(root, 'kubepods', 'besteffort', `pod${job.uid}`), { recursive: true });
    const third = collectCgroups(root, { handles });
    expect(third.entries).toHaveLength(plain.entries.length - 2);
    expect(handles.size).toBe(FILES - 2 * 6);
    handles.close();
    expect(handles.size).toBe(0);
  });

  it('beyond its cap it reads files the plain way, with the same result', () => {
    const root = writeCgroupTree(path.join(tmp, 'handles-cap'), flavour, pods);
    const handles = new CgroupFileHandles(5);
    expect(collectCgroups(root, { handles }).entries).toEqual(collectCgroups(root).entries);
    expect(handles.size).toBe(5);
    handles.close();
  });
});

describe('CgroupEntryWriter (entries written as JSON text straight from the read buffer)', () => {
  const writer = new CgroupEntryWriter();
  const entryOf = (cgroupPath: string, files: [string, Uint8Array][]): CgroupEntryJson | null => {
    writer.begin(cgroupPath);
    for (const [name, bytes] of files) {
      // Like the shared read buffer: the file's bytes, then stale bytes the writer must not take.
      const buffer = Buffer.alloc(bytes.length + 7, '"\\');
      buffer.set(bytes);
      writer.file(name, buffer, bytes.length);
    }
    return writer.finish();
  };
  /** The reference: the file bytes decoded as UTF-8 (as the agent read them before), then JSON.stringify. */
  const reference = (cgroupPath: string, files: [string, Uint8Array][]): string =>
    JSON.stringify({ path: cgroupPath, files: Object.fromEntries(files.map(([n, b]) => [n, Buffer.from(b).toString('utf8')])) });

  it('writes exactly JSON.stringify({ path, files }) for any bytes: controls, quotes, backslashes, UTF-8, invalid UTF-8', () => {
    const names = fc.constantFrom('memory.stat', 'memory.current', 'memory.max', 'memory.events');
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.uniqueArray(fc.tuple(names, fc.uint8Array({ maxLength: 300 })), { selector: ([n]) => n, maxLength: 4 }), (cgroupPath, files) => {
        const entry = entryOf(cgroupPath, files);
        if (files.length === 0) return entry === null;
        return entry !== null && entry.json === reference(cgroupPath, files) && entry.path === cgroupPath && JSON.stringify(entry) === entry.json;
      }),
    );
  });

  it('keeps a real memory.stat byte for byte and exposes it through `files`', () => {
    const stat = Buffer.from('cache 1234\nrss 5678\ntotal_inactive_file 42\n');
    const entry = entryOf('/kubepods/podx', [['memory.stat', stat]])!;
    expect(entry.files).toEqual({ 'memory.stat': stat.toString('latin1') });
    expect(entry.json).toBe(String.raw`{"path":"/kubepods/podx","files":{"memory.stat":"cache 1234\nrss 5678\ntotal_inactive_file 42\n"}}`);
  });
});
