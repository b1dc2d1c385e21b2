import { existsSync } from 'node:fs';
import os from 'node:os';
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import type { ObjectStore } from '../store/port.js';
import { bundleKey, encodeBundle } from '../agent/bundle.js';
import { captureOnce, type CaptureConfig } from '../agent/capture.js';
import { CLUSTER_PATTERN, NODE_PATTERN, validName } from '../agent/envelope.js';
import { SA_DIR } from '../agent/kubelet.js';
import { errorFields, jsonLogger, type LogLevel } from '../agent/log.js';
import { runAgent } from '../agent/run.js';
import { BATCH_ENV, DEFAULT_BATCH_SIZE } from '../agent/batch.js';

/**
 * The shared `openStore`, loaded on first use: it pulls in the AWS SDK (~15 MiB of RSS once
 * loaded), which an agent writing to a folder, or printing with --once, never needs.
 */
async function openStoreLazily(location: string): Promise<ObjectStore> {
  const { openStore } = await import('../store/open-store.js');
  return openStore(location);
}

export interface AgentCommandDeps {
  /** Opens `--out`; defaults to the shared `openStore` (folder or s3://). */
  openStore?: (location: string) => ObjectStore | Promise<ObjectStore>;
  /** Where `--once` writes the bundle JSON. */
  stdout?: (text: string) => void;
}

/** `60s`, `5m`, `1500ms`, `1h`, or a bare number of seconds → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`not a duration: ${JSON.stringify(text)} (use 60s, 5m, 1500ms)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  const ms = Math.round(Number(m[1]) * unit);
  if (ms < 1000) throw new UsageError(`interval ${JSON.stringify(text)} is below 1s`);
  return ms;
}

/** `268435456`, `256Mi`, `1Gi`, `500M` → bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|K|M|G)?$/.exec(text.trim());
  if (!m) throw new UsageError(`not a size: ${JSON.stringify(text)} (use 256Mi, 1Gi or bytes)`);
  const mult = { '': 1, K: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[(m[2] ?? '') as '' | 'K' | 'M' | 'G' | 'Ki' | 'Mi' | 'Gi'];
  return Number(m[1]) * mult;
}

/** `--batch` (else $MEMGAP_AGENT_BATCH, else 30): captures per uploaded object, 1–1000. */
export function parseBatchSize(text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULT_BATCH_SIZE;
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1 || Number(text) > 1000) throw new UsageError(`batch size ${JSON.stringify(text)} must be a whole number from 1 to 1000`);
  return Number(text);
}

interface AgentFlags {
  batch?: string;
  cluster?: string;
  node?: string;
  interval: string;
  once?: boolean;
  out?: string;
  kubeletUrl?: string;
  kubelet: boolean;
  readOnlyPort?: boolean;
  tokenFile: string;
  caFile: string;
  apiserverUrl?: string;
  dockerSocket: string;
  docker: boolean;
  crictl: string | boolean;
  cgroupRoot: string;
  spoolDir: string;
  spoolMaxBytes: string;
  logLevel: LogLevel;
}

function defaultApiServer(): string | undefined {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) return undefined;
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Turns flags into a capture config; every rejection is a UsageError (exit 2). */
export function captureConfigFromFlags(flags: AgentFlags): CaptureConfig {
  const cluster = flags.cluster ?? process.env.MEMGAP_CLUSTER;
  const node = flags.node ?? process.env.NODE_NAME ?? os.hostname();
  if (!cluster) throw new UsageError('--cluster is required (or MEMGAP_CLUSTER)');
  if (!validName(cluster, CLUSTER_PATTERN)) throw new UsageError(`--cluster ${JSON.stringify(cluster)} must match [A-Za-z0-9._-]{1,63}`);
  if (!validName(node, NODE_PATTERN)) throw new UsageError(`--node ${JSON.stringify(node)} must match [A-Za-z0-9._-]{1,253}`);

  let kubeletUrl: string | undefined;
  if (flags.kubelet) {
    const hostIp = process.env.NODE_IP ?? '127.0.0.1';
    const ipHost = hostIp.includes(':') ? `[${hostIp}]` : hostIp;
    kubeletUrl = flags.kubeletUrl ?? (flags.readOnlyPort ? `http://${ipHost}:10255` : `https://${ipHost}:10250`);
    let parsed: URL;
    try {
      parsed = new URL(kubeletUrl);
    } catch {
      throw new UsageError(`--kubelet-url ${JSON.stringify(kubeletUrl)} is not a URL`);
    }
    // The read-only port serves every pod's stats to anyone who can reach the node: never by accident.
    if (parsed.protocol === 'http:' && !flags.readOnlyPort) throw new UsageError('--kubelet-url is plain http: pass --read-only-port to use the unauthenticated read-only port on purpose');
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError('--kubelet-url must be http(s)://');
  }
  const config: CaptureConfig = { cluster, node, cgroupRoot: flags.cgroupRoot };
  if (kubeletUrl) config.kubeletUrl = kubeletUrl;
  if (existsSync(flags.tokenFile)) config.tokenFile = flags.tokenFile;
  if (existsSync(flags.caFile)) config.caFile = flags.caFile;
  const apiServer = flags.apiserverUrl ?? defaultApiServer();
  if (apiServer) config.apiServerUrl = apiServer;
  if (flags.docker && existsSync(flags.dockerSocket)) config.dockerSocket = flags.dockerSocket;
  config.crictl = flags.crictl === false ? false : typeof flags.crictl === 'string' ? flags.crictl : undefined;
  return config;
}

export function registerAgentCommand(program: Command, deps: AgentCommandDeps = {}): Command {
  return program
    .command('agent')
    .description('node agent: collect kubelet, Docker, CRI and cgroup memory figures every interval, upload them in batches')
    .option('--cluster <name>', 'cluster name in object keys (default: $MEMGAP_CLUSTER)')
    .option('--node <name>', 'node name (default: $NODE_NAME, else the hostname)')
    .option('--interval <duration>', 'time between captures, jittered ±10 %', '60s')
    .option('--once', 'capture once and print the bundle JSON to stdout (also uploads when --out is given)')
    .option('--out <dir|s3://bucket/prefix>', 'where captures go (raw/… keys)')
    .option('--kubelet-url <url>', 'kubelet base URL (default: https://$NODE_IP:10250)')
    .option('--no-kubelet', 'do not read the kubelet')
    .option('--read-only-port', 'use the unauthenticated read-only port 10255 (explicit opt-in)')
    .option('--token-file <path>', 'bearer token for the kubelet and API server', `${SA_DIR}/token`)
    .option('--ca-file <path>', 'CA bundle that signed the kubelet serving certificate', `${SA_DIR}/ca.crt`)
    .option('--apiserver-url <url>', 'API server for the Node object versions (default: in-cluster)')
    .option('--docker-socket <path>', 'Docker Engine API socket (used when present)', '/var/run/docker.sock')
    .option('--no-docker', 'do not read Docker')
    .option('--crictl [path]', 'crictl binary (default: looked up on PATH)')
    .option('--no-crictl', 'do not run crictl')
    .option('--cgroup-root <dir>', "the host's cgroup mount", '/sys/fs/cgroup')
    .option('--batch <n>', `captures per uploaded object; near-limit, OOM kills and restarts are sent at once (default: $${BATCH_ENV}, else ${DEFAULT_BATCH_SIZE})`)
    .option('--spool-dir <dir>', 'captures waiting for upload', '/var/lib/memgap-agent/spool')
    .option('--spool-max-bytes <size>', 'spool cap; the oldest captures are dropped beyond it', '256Mi')
    .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']).default('info'))
    .action(async (flags: AgentFlags) => {
      const log = jsonLogger({ level: flags.logLevel });
      const capture = captureConfigFromFlags(flags);
      const intervalMs = parseDuration(flags.interval);
      const spoolMaxBytes = parseSize(flags.spoolMaxBytes);
      const batchSize = parseBatchSize(flags.batch ?? process.env[BATCH_ENV]);
      const open = deps.openStore ?? openStoreLazily;
      if (flags.once) {
        const { bundle, report } = await captureOnce(capture, log);
        log.info('capture done', { sources: report });
        (deps.stdout ?? ((t: string) => process.stdout.write(t)))(JSON.stringify(bundle, null, 2) + '\n');
        if (flags.out) {
          const store = await open(flags.out);
          const key = bundleKey(bundle);
          await store.put(key, await encodeBundle(bundle), 'application/gzip');
          log.info('uploaded', { key, location: store.location });
        }
        return;
      }
      if (!flags.out) throw new UsageError('--out is required unless --once');
      const store = await open(flags.out);
      const controller = new AbortController();
      const onSignal = (signal: string): void => {
        log.info('stopping', { signal });
        controller.abort();
      };
      process.once('SIGTERM', () => onSignal('SIGTERM'));
      process.once('SIGINT', () => onSignal('SIGINT'));
      log.info('agent started', { cluster: capture.cluster, node: capture.node, intervalMs, location: store.location, spoolDir: flags.spoolDir, spoolMaxBytes, batchSize });
      try {
        const result = await runAgent({ capture, store, spoolDir: flags.spoolDir, spoolMaxBytes, intervalMs, batchSize, log, signal: controller.signal });
        log.info('agent stopped', result);
      } catch (err) {
        log.error('agent failed', errorFields(err));
        throw err;
      }
    });
}
