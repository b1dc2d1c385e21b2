/**
 * Structured logs for the agent: one JSON object per line on stderr, so stdout stays free for
 * `--once` and a log shipper can parse every line. Only metadata goes in (counts, keys, error
 * messages): never a payload, because captures can hold pod names an operator did not mean to ship
 * to the log backend, and they are large.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface AgentLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function jsonLogger(options: { level?: LogLevel; write?: (line: string) => void; base?: Record<string, unknown> } = {}): AgentLogger {
  const min = ORDER[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const base = options.base ?? {};
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>): void => {
    if (ORDER[level] < min) return;
    write(JSON.stringify({ level, time: new Date().toISOString(), service: 'memgap-agent', message, ...base, ...fields }) + '\n');
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

export const silentLogger: AgentLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** Error text for a log line: the message and code, never a response body. */
export function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return { error: err.message.slice(0, 500), errorName: err.name, ...(code ? { code } : {}) };
  }
  return { error: String(err).slice(0, 500) };
}
