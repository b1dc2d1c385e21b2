/**
 * A JSON payload kept as the exact bytes its source sent. A capture bundle keeps payloads verbatim, so
 * the agent has no use for the parsed form: parsing a 110-pod /stats/summary and 220 Docker
 * bodies only to serialise them again cost CPU and, worse, several MiB of heap per capture that
 * V8 promotes and keeps (the objects would live for the whole capture). As bytes, outside the JS heap,
 * they go from the socket to the gzip stream untouched; `toJSON` keeps `JSON.stringify(bundle)`
 * (the `--once` printout, tests) equal to what the encoded bundle decodes to.
 */
export class RawJson {
  private constructor(readonly bytes: Buffer) {}

  /**
   * Accepts `bytes` when they are exactly one JSON object, so a truncated body or an HTML error
   * page can never break the bundle's own JSON. Returns null otherwise; callers treat that like an
   * unreadable source. The check is JSON.parse, whose result is dropped at once: it dies in V8's
   * young generation. The RFC 8259 validator in JS it replaces built nothing, and was about as
   * fast with TurboFan, but the agent runs without it (runtime.ts: `--no-opt`), where that byte
   * loop took ~20 ms of a 110-pod capture (profile) against ~3 ms for decode + JSON.parse.
   */
  static object(bytes: Buffer): RawJson | null {
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch {
      return null;
    }
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? new RawJson(bytes) : null;
  }

  get text(): string {
    return this.bytes.toString('utf8');
  }

  toJSON(): unknown {
    return JSON.parse(this.text) as unknown;
  }
}
