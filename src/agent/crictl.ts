import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import path from 'node:path';

function run(file: string, args: string[], timeoutMs: number, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: maxBytes, encoding: 'utf8', windowsHide: true }, (err, stdout) => {
      if (err) reject(err);
      else resolve(stdout);
    });
  });
}

/** Resolves `crictl` on PATH (or an explicit path); null when absent, which just means no CRI source. */
export async function findCrictl(explicit: string | undefined, envPath = process.env.PATH ?? ''): Promise<string | null> {
  const candidates = explicit ? [explicit] : envPath.split(path.delimiter).filter(Boolean).map((d) => path.join(d, 'crictl'));
  for (const c of candidates) {
    try {
      await access(c, constants.X_OK);
      return c;
    } catch {
      // try the next one
    }
  }
  return null;
}

/** `crictl stats -o json`: kept verbatim (protojson with string-encoded 64-bit ints). */
export async function collectCrictl(crictl: string, options: { timeoutMs: number; maxBytes: number }): Promise<{ stats: unknown; runtimeVersion?: string }> {
  const [statsText, versionText] = await Promise.all([
    run(crictl, ['stats', '-o', 'json'], options.timeoutMs, options.maxBytes),
    run(crictl, ['version'], options.timeoutMs, 64 * 1024).catch(() => ''),
  ]);
  const stats = JSON.parse(statsText) as unknown;
  // `crictl version` prints "RuntimeName: containerd\nRuntimeVersion: v1.7.2"; the Node object
  // spells the same fact `containerd://1.7.2`.
  const name = /^RuntimeName:\s*(\S+)/m.exec(versionText)?.[1];
  const ver = /^RuntimeVersion:\s*(\S+)/m.exec(versionText)?.[1];
  return { stats, ...(name && ver ? { runtimeVersion: `${name}://${ver.replace(/^v/, '')}`.slice(0, 256) } : {}) };
}
