import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENT_NODE_FLAGS } from '../../../src/agent/runtime.js';

describe('agent runtime flags', () => {
  it('the image starts Node with the flags the benchmark measured', () => {
    const dockerfile = readFileSync(path.resolve(import.meta.dirname, '../../../deploy/Dockerfile'), 'utf8');
    const entry = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(entry).toBeDefined();
    const argv = JSON.parse(entry!) as string[];
    expect(argv.slice(1, 1 + AGENT_NODE_FLAGS.length)).toEqual([...AGENT_NODE_FLAGS]);
  });
});
