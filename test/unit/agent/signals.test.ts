import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { collectCgroups } from '../../../src/agent/cgroups.js';
import { FlushWatch, keyedNumber, numberAt, workingSet, type CgroupReading } from '../../../src/agent/signals.js';
import { containerCgroupPath, podCgroupPath, syntheticPods, writeCgroupTree, type CgroupFlavour } from '../../integration/agent/fake-host.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'memgap-agent-signals-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const MiB = 1024 * 1024;

describe('numberAt / keyedNumber', () => {
  it('read any non-negative safe integer back from the kernel formats', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (a, b) => {
        expect(numberAt(Buffer.from(`${a}\n`), 0, String(a).length + 1)).toBe(a);
        const text = Buffer.from(`cache 1\ninactive_file ${a}\ntotal_inactive_file ${b}\n`);
        expect(keyedNumber(text, text.length, Buffer.from('inactive_file '))).toBe(a);
        expect(keyedNumber(text, text.length, Buffer.from('total_inactive_file '))).toBe(b);
      }),
    );
  });

  it('never matches a key inside a longer key, and ignores bytes past the length', () => {
    const text = Buffer.from('total_inactive_file 5\noom 1\n');
    expect(keyedNumber(text, text.length, Buffer.from('inactive_file '))).toBeNaN();
    expect(keyedNumber(text, 10, Buffer.from('oom '))).toBeNaN();
    expect(numberAt(Buffer.from('max\n'), 0, 4)).toBe(Infinity);
    expect(numberAt(Buffer.from('\n'), 0, 1)).toBeNaN();
  });
});

const reading = (over: Partial<CgroupReading> & { path: string }): CgroupReading => ({ podUid: 'pod-a', containerId: 'c1', usage: 100 * MiB, limit: 1000 * MiB, inactiveFile: 0, oomKill: 0, ...over });

describe('FlushWatch', () => {
  it('takes the first capture as the baseline, even with a container already near its limit', () => {
    expect(new FlushWatch().check([reading({ path: '/a', usage: 950 * MiB, oomKill: 3 })])).toBeNull();
  });

  it('flushes when the working set crosses 90 % of the limit, once, and again only after dropping under 85 %', () => {
    const w = new FlushWatch();
    const at = (usage: number, inactiveFile = 0) => w.check([reading({ path: '/a', usage: usage * MiB, inactiveFile: inactiveFile * MiB })]);
    expect(at(800)).toBeNull();
    // 950 MiB used, 100 MiB of it inactive file: working set 850 = 85 %, under 90 %.
    expect(at(950, 100)).toBeNull();
    expect(at(900)).toEqual({ reason: 'near-limit', paths: ['/a'] }); // 900/1000 = 90 %
    expect(at(990)).toBeNull(); // still near: no second flush
    expect(at(860)).toBeNull(); // 86 %: not re-armed
    expect(at(910)).toBeNull();
    expect(at(849)).toBeNull(); // 84.9 %: re-armed
    expect(at(905)).toEqual({ reason: 'near-limit', paths: ['/a'] });
  });

  it('never calls an unlimited cgroup near its limit', () => {
    const w = new FlushWatch();
    w.check([reading({ path: '/a', limit: Infinity })]);
    expect(w.check([reading({ path: '/a', limit: Infinity, usage: 1e15 })])).toBeNull();
  });

  it('flushes when an OOM-kill counter moves, and ranks it above near-limit', () => {
    const w = new FlushWatch();
    w.check([reading({ path: '/a' }), reading({ path: '/b', containerId: 'c2' })]);
    expect(w.check([reading({ path: '/a', oomKill: 1, usage: 950 * MiB }), reading({ path: '/b', containerId: 'c2' })])).toEqual({ reason: 'oom-kill', paths: ['/a'] });
    expect(w.check([reading({ path: '/a', oomKill: 1, usage: 950 * MiB }), reading({ path: '/b', containerId: 'c2' })])).toBeNull();
    // A counter read as absent (NaN) keeps the last value: no flush now, none when it reads 1 again.
    expect(w.check([reading({ path: '/a', oomKill: NaN }), reading({ path: '/b', containerId: 'c2' })])).toBeNull();
    expect(w.check([reading({ path: '/a', oomKill: 1 }), reading({ path: '/b', containerId: 'c2' })])).toBeNull();
  });

  it('calls a new container id in a pod seen before a restart; a new pod is not one', () => {
    const w = new FlushWatch();
    w.check([reading({ path: '/p', containerId: null }), reading({ path: '/p/c1' })]);
    expect(w.check([reading({ path: '/p', containerId: null }), reading({ path: '/p/c1' }), reading({ path: '/q/x', podUid: 'pod-b', containerId: 'x' })])).toBeNull();
    expect(w.check([reading({ path: '/p', containerId: null }), reading({ path: '/p/c9', containerId: 'c9' })])).toEqual({ reason: 'restart', paths: ['/p/c9'] });
  });

  it('working set is usage − inactive_file, floored at 0', () => {
    expect(workingSet({ usage: 10, inactiveFile: 4 })).toBe(6);
    expect(workingSet({ usage: 10, inactiveFile: 40 })).toBe(0);
    expect(workingSet({ usage: 10, inactiveFile: NaN })).toBe(10);
  });
});

describe('cgroup scan readings', () => {
  for (const flavour of [
    { version: 1, driver: 'cgroupfs' },
    { version: 2, driver: 'systemd', runtime: 'cri-containerd' },
  ] as CgroupFlavour[]) {
    it(`carry each fake cgroup's usage, limit, inactive_file and OOM kills (v${flavour.version} ${flavour.driver})`, () => {
      const pods = syntheticPods(4);
      pods[1]!.containers[1]!.oomKills = 2;
      const root = writeCgroupTree(path.join(tmp, `v${flavour.version}`), flavour, pods);
      const scan = collectCgroups(root);
      const byPath = new Map(scan.readings.map((r) => [r.path, r]));
      expect(scan.readings).toHaveLength(scan.entries.length);
      for (const pod of pods) {
        for (const c of pod.containers) {
          const r = byPath.get(containerCgroupPath(pod, c, flavour))!;
          expect(r).toMatchObject({ podUid: pod.uid, containerId: c.id, usage: c.usage, limit: c.limit ?? Infinity, inactiveFile: c.inactiveFile, oomKill: c.oomKills ?? 0 });
        }
        expect(byPath.get(podCgroupPath(pod, flavour))!.containerId).toBeNull();
      }
    });
  }
});
