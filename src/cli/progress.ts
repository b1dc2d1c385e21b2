import cliProgress from 'cli-progress';

/** What `done/total` counts in each phase, for the one-line summaries. */
const UNIT: Readonly<Record<string, string>> = { generate: 'captures', ingest: 'captures', compaction: 'table partitions', trends: 'cluster-days', reports: 'cluster-days' };

export interface PhaseProgress {
  /** The pipeline's hook: called with the phase and its counts whenever they move (`startedAt`: when the phase began, `performance.now()`, if before this call). */
  onPhase(phase: string, done: number, total: number, startedAt?: number): void;
  /** Ends the current phase (its line is written off a terminal). */
  end(): void;
  /** Phases that reported at least once. */
  readonly seen: ReadonlySet<string>;
}

export interface PhaseProgressOptions {
  /** Draw bars (a terminal) or write one line per phase; default: whether stderr is a TTY. */
  tty?: boolean;
  stream?: NodeJS.WritableStream;
  now?: () => number;
}

/**
 * Progress of a multi-phase job on stderr. On a terminal: a bar per phase (cli-progress). Off a
 * terminal (CI logs, `2> file`): one line per phase when it ends, with its counts and seconds —
 * `memgap: ingest 868/868 captures in 3.4 s`.
 */
export function phaseProgress(opts: PhaseProgressOptions = {}): PhaseProgress {
  const stream = opts.stream ?? process.stderr;
  const tty = opts.tty ?? Boolean(process.stderr.isTTY);
  const now = opts.now ?? (() => performance.now());
  const seen = new Set<string>();
  let current: { phase: string; done: number; total: number; started: number; bar?: cliProgress.SingleBar } | undefined;

  const finish = () => {
    if (!current) return;
    if (current.bar) current.bar.stop();
    else {
      const seconds = ((now() - current.started) / 1000).toFixed(1);
      stream.write(`memgap: ${current.phase} ${current.done}/${current.total} ${UNIT[current.phase] ?? 'steps'} in ${seconds} s\n`);
    }
    current = undefined;
  };

  return {
    seen,
    onPhase(phase, done, total, startedAt) {
      if (current && current.phase !== phase) finish();
      seen.add(phase);
      if (!current) {
        current = { phase, done, total, started: startedAt ?? now() };
        if (tty) {
          current.bar = new cliProgress.SingleBar(
            { format: `${phase.padEnd(10)} [{bar}] {value}/{total} ${UNIT[phase] ?? ''} {duration_formatted}`, stream: stream as NodeJS.WriteStream, hideCursor: true },
            cliProgress.Presets.shades_classic,
          );
          current.bar.start(total, done);
        }
      }
      current.done = done;
      if (total !== current.total) current.bar?.setTotal(total);
      current.total = total;
      current.bar?.update(done);
    },
    end: finish,
  };
}
