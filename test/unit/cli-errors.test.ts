import { describe, expect, it } from 'vitest';
import { NoSourceError } from '../../src/agent/capture.js';
import { InvalidSnapshotError, UsageError } from '../../src/errors.js';
import { describeError, EXIT } from '../../src/cli/main.js';
import { noGapLine } from '../../src/cli/top-gaps.js';

/** A Node system error as fs throws it. */
function fsError(code: string, syscall: string, path: string): Error {
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path });
}

describe('describeError: the exit code and the one line a user sees', () => {
  it('usage errors are exit 2 with their own message', () => {
    expect(describeError(new UsageError('--out is required'))).toEqual({ code: EXIT.usage, message: '--out is required' });
  });

  it('a rejected capture is exit 1', () => {
    expect(describeError(new InvalidSnapshotError({ source: 'bundle', path: 'schema', reason: 'missing' }))).toMatchObject({ code: EXIT.partial });
  });

  it('a path the user typed that is missing or of the wrong kind is exit 2, naming the path', () => {
    expect(describeError(fsError('ENOENT', 'open', '/tmp/nope/b.json.gz'))).toEqual({ code: 2, message: 'cannot open /tmp/nope/b.json.gz: no such file or folder' });
    expect(describeError(fsError('EISDIR', 'open', '/tmp'))).toEqual({ code: 2, message: 'cannot open /tmp: is a folder, not a file' });
    expect(describeError(fsError('ENOTDIR', 'mkdir', '/etc/hostname/x'))).toMatchObject({ code: 2 });
    expect(describeError(fsError('EACCES', 'open', '/root/x'))).toMatchObject({ code: 2, message: 'cannot open /root/x: permission denied' });
  });

  it('agent --once with no source answering is exit 2, each source with its reason', () => {
    const d = describeError(new NoSourceError('no source answered: {"cgroups":{"error":"no cgroup hierarchy found"},"kubeletSummary":{"error":"connect ECONNREFUSED 127.0.0.1:10250"}}'));
    expect(d.code).toBe(2);
    expect(d.message).toBe('no source answered (cgroups: no cgroup hierarchy found; kubeletSummary: connect ECONNREFUSED 127.0.0.1:10250); run the agent on a node, or point --kubelet-url, --docker-socket, --crictl or --cgroup-root at the sources');
  });

  it('anything else is exit 3 with a one-line message; the stack is kept for MEMGAP_DEBUG', () => {
    const d = describeError(new TypeError('x is undefined'));
    expect(d).toMatchObject({ code: EXIT.failed, message: 'TypeError: x is undefined' });
    expect(d.stack).toMatch(/^TypeError: x is undefined\n\s+at /);
    // a system error without a path (a socket) is not a path mistake
    expect(describeError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', syscall: 'connect' }))).toMatchObject({ code: 3 });
    expect(describeError('a string')).toEqual({ code: 3, message: 'a string' });
  });
});

describe('no gap to rank: the line says which figure was missing', () => {
  it('counts pods with each figure, and says when both existed but never together', () => {
    expect(noGapLine({ pods: 3, withTop: 3, withDocker: 0 })).toBe(
      'No pod had both a kubectl top and a docker stats figure, so there is no gap to rank: of 3 pods, 3 had a kubectl top figure (kubelet /stats/summary or /metrics/resource, a pasted kubectl top) and 0 a docker stats figure (docker stats output, Docker Engine API stats).',
    );
    expect(noGapLine({ pods: 2, withTop: 1, withDocker: 1 })).toMatch(/of 2 pods, 1 had a kubectl top figure .* and 1 a docker stats figure .*, never the same pod in the same capture\.$/);
    expect(noGapLine({ pods: 1, withTop: 0, withDocker: 1 })).toMatch(/: of 1 pod, 0 had/);
  });
});
