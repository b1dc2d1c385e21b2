/**
 * The function settings `npm run scale` checks its measurements against, read from the repo's
 * serverless.yml (never restated here): memory size, timeout, and the SQS event source's batch
 * size, batching window and maximum concurrency. `${param:x}` is resolved from `params.default`.
 * A small line reader for the file's own shape, not a YAML parser: a setting it cannot find is
 * left out and the caller says so.
 */
import { readFileSync } from 'node:fs';

export interface FunctionSettings {
  name: string;
  memorySize?: number;
  timeout?: number;
  reservedConcurrency?: number;
  sqs?: { batchSize?: number; maximumBatchingWindow?: number; maximumConcurrency?: number; queue?: string };
  schedule?: string;
}

export interface ServerlessSettings {
  functions: Record<string, FunctionSettings>;
  params: Record<string, string>;
  /** provider-level defaults */
  provider: { memorySize?: number; timeout?: number };
}

const indentOf = (line: string) => line.length - line.trimStart().length;

export function readServerlessSettings(text: string): ServerlessSettings {
  const lines = text.split('\n').map((l) => l.replace(/\s+#.*$/, '').replace(/^\s*#.*$/, ''));
  const params: Record<string, string> = {};
  const functions: Record<string, FunctionSettings> = {};
  const provider: ServerlessSettings['provider'] = {};
  const section = (name: string, indent: number, from = 0): { start: number; end: number } | null => {
    const re = new RegExp(`^${' '.repeat(indent)}${name}:\\s*$`);
    const start = lines.findIndex((l, i) => i >= from && re.test(l));
    if (start < 0) return null;
    let end = start + 1;
    while (end < lines.length && (lines[end]!.trim() === '' || indentOf(lines[end]!) > indent)) end++;
    return { start, end };
  };
  const scalar = (raw: string): string => raw.trim().replace(/^['"]|['"]$/g, '');
  const resolve = (v: string): string => v.replace(/\$\{param:([A-Za-z0-9_]+)\}/g, (_, k: string) => params[k] ?? `\${param:${k}}`);
  const num = (v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(resolve(v));
    return Number.isFinite(n) ? n : undefined;
  };

  const p = section('params', 0);
  const d = p && section('default', 2, p.start);
  if (d) for (let i = d.start + 1; i < d.end; i++) {
    const m = /^\s{4}([A-Za-z0-9_]+):\s*(.*)$/.exec(lines[i]!);
    if (m) params[m[1]!] = scalar(m[2]!);
  }
  const prov = section('provider', 0);
  if (prov) for (let i = prov.start + 1; i < prov.end; i++) {
    const m = /^\s{2}(memorySize|timeout):\s*(.*)$/.exec(lines[i]!);
    if (m) provider[m[1] as 'memorySize' | 'timeout'] = num(scalar(m[2]!));
  }
  const f = section('functions', 0);
  if (f) {
    let current: FunctionSettings | null = null;
    let inSqs = false;
    for (let i = f.start + 1; i < f.end; i++) {
      const line = lines[i]!;
      if (line.trim() === '') continue;
      const fn = /^\s{2}([A-Za-z0-9_-]+):\s*$/.exec(line);
      if (fn) {
        current = functions[fn[1]!] = { name: fn[1]! };
        inSqs = false;
        continue;
      }
      if (!current) continue;
      const setting = /^\s{4}(memorySize|timeout|reservedConcurrency):\s*(.*)$/.exec(line);
      if (setting) {
        current[setting[1] as 'memorySize' | 'timeout' | 'reservedConcurrency'] = num(scalar(setting[2]!));
        continue;
      }
      if (/^\s+- sqs:\s*$/.test(line)) {
        inSqs = true;
        current.sqs = {};
        continue;
      }
      const sched = /^\s+- schedule:\s*(.+)$/.exec(line);
      if (sched) {
        current.schedule = resolve(scalar(sched[1]!));
        inSqs = false;
        continue;
      }
      if (/^\s+- /.test(line)) inSqs = false;
      if (inSqs && current.sqs) {
        const m = /^\s+(batchSize|maximumBatchingWindow|maximumConcurrency|arn):\s*(.*)$/.exec(line);
        if (m && m[1] === 'arn') current.sqs.queue = resolve(scalar(m[2]!));
        else if (m) current.sqs[m[1] as 'batchSize' | 'maximumBatchingWindow' | 'maximumConcurrency'] = num(scalar(m[2]!));
      }
    }
  }
  return { functions, params, provider };
}

export function loadServerlessSettings(file = 'serverless.yml'): ServerlessSettings {
  return readServerlessSettings(readFileSync(file, 'utf8'));
}

/** Memory size (MB) and timeout (s) of a function; the Serverless Framework's defaults (1024 MB, 6 s) where neither it nor the provider sets one. */
export function limitsOf(settings: ServerlessSettings, name: string): { memorySize: number; timeout: number; configured: boolean } {
  const fn = settings.functions[name];
  const memorySize = fn?.memorySize ?? settings.provider.memorySize;
  const timeout = fn?.timeout ?? settings.provider.timeout;
  // Serverless Framework defaults (osls): 1024 MB, 6 s.
  return { memorySize: memorySize ?? 1024, timeout: timeout ?? 6, configured: fn !== undefined };
}
