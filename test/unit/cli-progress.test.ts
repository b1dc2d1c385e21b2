import { describe, expect, it } from 'vitest';
import { phaseProgress } from '../../src/cli/progress.js';

function collector() {
  const lines: string[] = [];
  return { lines, stream: { write: (s: string) => (lines.push(s), true) } as unknown as NodeJS.WritableStream };
}

describe('phase progress off a terminal', () => {
  it('one line per phase, when the next phase starts or the job ends, with counts and seconds', () => {
    const { lines, stream } = collector();
    let t = 1000;
    const p = phaseProgress({ tty: false, stream, now: () => t });
    p.onPhase('ingest', 1, 3);
    t += 400;
    p.onPhase('ingest', 2, 3);
    t += 850;
    p.onPhase('ingest', 3, 3);
    expect(lines).toEqual([]); // nothing while a phase runs: a log gets one line per phase
    p.onPhase('compaction', 1, 2);
    t += 2000;
    p.onPhase('compaction', 2, 2);
    p.onPhase('trends', 1, 1);
    t += 49;
    p.end();
    p.end(); // idempotent
    expect(lines).toEqual([
      // ingest began at t=1000, the last count at 2250: 1.25 s → "1.3"
      'memgap: ingest 3/3 captures in 1.3 s\n',
      'memgap: compaction 2/2 table partitions in 2.0 s\n',
      'memgap: trends 1/1 cluster-days in 0.0 s\n',
    ]);
    expect([...p.seen]).toEqual(['ingest', 'compaction', 'trends']);
  });

  it('a phase that stops early reports how far it got; a total that grows is followed', () => {
    const { lines, stream } = collector();
    const p = phaseProgress({ tty: false, stream, now: () => 0 });
    p.onPhase('ingest', 1, 10);
    p.onPhase('ingest', 4, 12);
    p.end();
    expect(lines).toEqual(['memgap: ingest 4/12 captures in 0.0 s\n']);
  });
});
