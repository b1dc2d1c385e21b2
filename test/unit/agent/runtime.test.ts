import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CgroupFileHandles } from '../../../src/agent/cgroups.js';
import { AGENT_ENV, AGENT_NODE_FLAGS } from '../../../src/agent/runtime.js';

describe('agent runtime', () => {
  const dockerfile = readFileSync(path.resolve(import.meta.dirname, '../../../deploy/Dockerfile'), 'utf8');

  it('the image starts Node with the flags the benchmark measured', () => {
    const entry = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(entry).toBeDefined();
    const argv = JSON.parse(entry!) as string[];
    expect(argv.slice(1, -1)).toEqual([...AGENT_NODE_FLAGS]);
  });

  it('the image sets the environment the benchmark measured', () => {
    const env = Object.fromEntries([...dockerfile.matchAll(/^ENV (\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
    expect(env).toEqual(AGENT_ENV);
  });

  it('keeps at most half the open-file soft limit minus a reserve of 64 for cgroup files', () => {
    const limits = (soft: string): string => `Limit                     Soft Limit           Hard Limit           Units\nMax open files            ${soft}                 524288               files\n`;
    expect(CgroupFileHandles.defaultMax(limits('1024'))).toBe(1024 / 2 - 64); // 448: a 110-pod node's 2,310 files partly cached
    expect(CgroupFileHandles.defaultMax(limits('1048576'))).toBe(8192);
    expect(CgroupFileHandles.defaultMax(limits('100'))).toBe(0);
    expect(CgroupFileHandles.defaultMax('garbage')).toBe(0);
  });
});
