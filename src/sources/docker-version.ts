/**
 * Host facts from what people paste during an incident: `docker version` and `docker info`, as
 * text or as `--format '{{json .}}'`. These are not samples; they tell the analysis which
 * Docker CLI formula printed a `docker stats` figure (the formula lives in the CLI, so the
 * client's version decides it) and which cgroup driver and version the node runs.
 *
 * Shapes: docker/cli `cli/command/system/version.go` (the text template prints `Client:` then
 * ` Version:`, and `Server:` with one block per component, ` Engine:` / `  Version:`, since
 * 17.06; before, `Server:` / ` Version:` directly) and `info.go` (`Server Version:`, `Cgroup
 * Driver:`, `Cgroup Version:` since 20.10, `Kernel Version:`; indented one space under `Server:`
 * since 19.03). JSON keys are the Go field names of `types.Version` / `system.Info`.
 *
 * Every function here returns a value or a reason; none throws, whatever the input.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface DockerVersionFacts {
  /** The CLI's version: the one whose formula `docker stats` used. */
  client: string | null;
  /** The daemon's (Engine's) version. */
  server: string | null;
  /** Only the JSON form carries it (`Server.KernelVersion`). */
  kernel: string | null;
}

export interface DockerInfoFacts {
  /** ` Version:` of the `Client:` block that docker info prints since 20.10 (the CLI's version). */
  clientVersion: string | null;
  serverVersion: string | null;
  cgroupDriver: 'cgroupfs' | 'systemd' | null;
  cgroupVersion: 1 | 2 | null;
  kernel: string | null;
  /** The host name the daemon reports (`Name:`). */
  name: string | null;
}

/** `18.06.1-ce`, `1.13.1`, `24.0.7`, `20.10.21+azure-1`: digits first, then what packagers append. */
const VERSION = /^v?\d{1,4}(?:\.\d{1,4}){1,3}[0-9A-Za-z.+~_-]{0,64}$/;
const KERNEL = /^\d[0-9A-Za-z.+~_-]{0,127}$/;
const MAX_TEXT = 1 << 20;

export function isVersion(text: string): boolean {
  return VERSION.test(text);
}

function versionOrNull(v: unknown): string | null {
  return typeof v === 'string' && VERSION.test(v.trim()) ? v.trim() : null;
}

function kernelOrNull(v: unknown): string | null {
  return typeof v === 'string' && KERNEL.test(v.trim()) ? v.trim() : null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Own property only: a pasted `{"__proto__": …}` is data, never a prototype lookup. */
function own(o: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function splitLines(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/[ \t\r]+$/, ''));
}

/** `docker version` as the default template prints it. */
export function parseDockerVersionText(text: string): Parsed<DockerVersionFacts> {
  if (text.length > MAX_TEXT) return { ok: false, reason: 'too long for docker version output' };
  if (/^\s*Client:\s+Podman Engine/m.test(text)) return { ok: false, reason: "Podman's docker-compatible `version`: Podman is not Docker, its stats formula differs" };
  let section: 'client' | 'server' | null = null;
  let component: string | null = null;
  let client: string | null = null;
  let server: string | null = null;
  let sawSection = false;
  for (const line of splitLines(text)) {
    if (/^Client\b[^:]*:/.test(line)) {
      section = 'client';
      component = null;
      sawSection = true;
      continue;
    }
    if (/^Server\b[^:]*:/.test(line)) {
      section = 'server';
      component = null;
      sawSection = true;
      continue;
    }
    if (section === null) continue;
    const m = /^( +)([A-Za-z][A-Za-z0-9 ._/-]{0,40}?):(?:[ \t]+(.*))?$/.exec(line);
    if (!m) {
      if (line.trim() !== '' && !/^ /.test(line)) section = null; // an unindented line ends the block
      continue;
    }
    const indent = m[1]!.length;
    const key = m[2]!;
    const value = (m[3] ?? '').trim();
    if (section === 'server' && indent === 1 && value === '') {
      component = key;
      continue;
    }
    if (key !== 'Version') continue;
    if (section === 'client' && indent === 1) client ??= versionOrNull(value);
    else if (section === 'server' && (component === null ? indent === 1 : component === 'Engine' && indent === 2)) server ??= versionOrNull(value);
  }
  if (!sawSection) return { ok: false, reason: 'no Client: or Server: section' };
  if (client === null && server === null) return { ok: false, reason: 'a Client:/Server: block without a Docker version line' };
  return { ok: true, value: { client, server, kernel: null } };
}

/** `docker version --format '{{json .}}'`: `{Client: {Version…}, Server: {Version, KernelVersion, Components…}}`. */
export function parseDockerVersionJson(json: unknown): Parsed<DockerVersionFacts> {
  if (!isRecord(json)) return { ok: false, reason: 'expected a JSON object with Client and Server' };
  const c = own(json, 'Client');
  const s = own(json, 'Server');
  if (!isRecord(c) && !isRecord(s)) return { ok: false, reason: 'neither Client nor Server is an object' };
  let server: string | null = null;
  let kernel: string | null = null;
  if (isRecord(s)) {
    server = versionOrNull(own(s, 'Version'));
    kernel = kernelOrNull(own(s, 'KernelVersion'));
    const components = own(s, 'Components');
    if (Array.isArray(components)) {
      for (const comp of components) {
        if (!isRecord(comp) || own(comp, 'Name') !== 'Engine') continue;
        server ??= versionOrNull(own(comp, 'Version'));
        const details = own(comp, 'Details');
        if (isRecord(details)) kernel ??= kernelOrNull(own(details, 'KernelVersion'));
      }
    }
  }
  const client = isRecord(c) ? versionOrNull(own(c, 'Version')) : null;
  if (client === null && server === null) return { ok: false, reason: 'no Docker version in Client.Version or Server.Version' };
  return { ok: true, value: { client, server, kernel } };
}

function driverOf(v: string | null): DockerInfoFacts['cgroupDriver'] {
  return v === 'cgroupfs' || v === 'systemd' ? v : null;
}

function cgroupVersionOf(v: string | null): 1 | 2 | null {
  return v === '1' ? 1 : v === '2' ? 2 : null;
}

/** `docker info` as text. Recognised by `Server Version:` or `Cgroup Driver:`; the rest is optional. */
export function parseDockerInfoText(text: string): Parsed<DockerInfoFacts> {
  if (text.length > MAX_TEXT) return { ok: false, reason: 'too long for docker info output' };
  const found = new Map<string, string>();
  let inClient = false;
  let clientVersion: string | null = null;
  for (const line of splitLines(text)) {
    if (/^Client\b[^:]*:/.test(line)) inClient = true;
    else if (/^\S/.test(line)) inClient = false;
    const cv = inClient ? /^ Version:[ \t]*(\S{1,64})$/.exec(line) : null;
    if (cv) clientVersion ??= versionOrNull(cv[1]);
    const m = /^ {0,2}(Server Version|Cgroup Driver|Cgroup Version|Kernel Version|Name):[ \t]*(\S{1,256})$/.exec(line);
    if (m && !found.has(m[1]!)) found.set(m[1]!, m[2]!);
  }
  if (!found.has('Server Version') && !found.has('Cgroup Driver')) return { ok: false, reason: 'no Server Version: or Cgroup Driver: line' };
  const rawDriver = found.get('Cgroup Driver') ?? null;
  const rawVersion = found.get('Cgroup Version') ?? null;
  const value: DockerInfoFacts = {
    clientVersion,
    serverVersion: versionOrNull(found.get('Server Version')),
    cgroupDriver: driverOf(rawDriver),
    cgroupVersion: cgroupVersionOf(rawVersion),
    kernel: kernelOrNull(found.get('Kernel Version')),
    name: found.get('Name') ?? null,
  };
  if (rawDriver !== null && value.cgroupDriver === null) return { ok: false, reason: `Cgroup Driver ${JSON.stringify(rawDriver.slice(0, 40))}: expected cgroupfs or systemd` };
  if (rawVersion !== null && value.cgroupVersion === null) return { ok: false, reason: `Cgroup Version ${JSON.stringify(rawVersion.slice(0, 40))}: expected 1 or 2` };
  return { ok: true, value };
}

/** `docker info --format '{{json .}}'`: `ServerVersion`, `CgroupDriver`, `CgroupVersion` ("1"/"2"), `KernelVersion`, `Name`. */
export function parseDockerInfoJson(json: unknown): Parsed<DockerInfoFacts> {
  if (!isRecord(json)) return { ok: false, reason: 'expected the docker info JSON object' };
  const str = (k: string): string | null => {
    const v = own(json, k);
    return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
  };
  if (str('ServerVersion') === null && str('CgroupDriver') === null) return { ok: false, reason: 'no ServerVersion or CgroupDriver key' };
  const name = str('Name');
  const client = own(json, 'ClientInfo');
  return {
    ok: true,
    value: {
      clientVersion: isRecord(client) ? versionOrNull(own(client, 'Version')) : null,
      serverVersion: versionOrNull(str('ServerVersion')),
      cgroupDriver: driverOf(str('CgroupDriver')),
      cgroupVersion: cgroupVersionOf(str('CgroupVersion')),
      kernel: kernelOrNull(str('KernelVersion')),
      name: name !== null && name.length <= 253 ? name : null,
    },
  };
}

/** A JSON object that is `docker version` output (has a Client or Server object). */
export function looksLikeDockerVersionJson(o: Record<string, unknown>): boolean {
  return isRecord(own(o, 'Client')) || (isRecord(own(o, 'Server')) && ('Version' in (own(o, 'Server') as object) || 'Components' in (own(o, 'Server') as object)));
}

/** A JSON object that is `docker info` output. */
export function looksLikeDockerInfoJson(o: Record<string, unknown>): boolean {
  return typeof own(o, 'ServerVersion') === 'string' || typeof own(o, 'CgroupDriver') === 'string';
}

/**
 * Version comparison for facts that several files state: `18.06.1-ce`, `18.6.1` and
 * `docker://18.6.1` name the same release (the kubelet prints Docker's version without zero
 * padding or the `-ce` suffix), so numbers are compared, not strings.
 */
export function sameVersion(a: string, b: string): boolean {
  const norm = (v: string) => {
    const m = /^(?:[a-z]+:\/\/)?v?(\d+(?:\.\d+)*)/.exec(v.trim());
    return m ? m[1]!.split('.').map((x) => String(Number(x))).join('.') : v.trim();
  };
  return norm(a) === norm(b);
}
