/**
 * A JSON payload kept as the exact bytes its source sent. SPEC §3.1 keeps payloads verbatim, so
 * the agent has no use for the parsed form: parsing a 110-pod /stats/summary and 220 Docker
 * bodies only to serialise them again cost CPU and, worse, several MiB of heap per capture that
 * V8 promotes and keeps (the objects live for the whole capture). As bytes, outside the JS heap,
 * they go from the socket to the gzip stream untouched; `toJSON` keeps `JSON.stringify(bundle)`
 * (the `--once` printout, tests) equal to what the encoded bundle decodes to.
 */
export class RawJson {
  private constructor(readonly bytes: Buffer) {}

  /**
   * Accepts `bytes` when they are exactly one JSON object (RFC 8259 grammar, checked in one pass
   * without building anything), so a truncated body or an HTML error page can never break the
   * bundle's own JSON. Returns null otherwise; callers treat that like an unreadable source.
   */
  static object(bytes: Buffer): RawJson | null {
    return isJsonObject(bytes) ? new RawJson(bytes) : null;
  }

  get text(): string {
    return this.bytes.toString('utf8');
  }

  toJSON(): unknown {
    return JSON.parse(this.text) as unknown;
  }
}

const MAX_DEPTH = 64;

/** RFC 8259 validator over UTF-8 bytes (multi-byte sequences only occur inside strings, where any byte ≥ 0x20 is fine). */
export function isJsonObject(b: Uint8Array): boolean {
  let i = 0;
  const n = b.length;
  const ws = (): void => {
    while (i < n && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
  };
  const digits = (): boolean => {
    const s = i;
    while (i < n && b[i]! >= 0x30 && b[i]! <= 0x39) i++;
    return i > s;
  };
  const literal = (word: string): boolean => {
    for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) return false;
    i += word.length;
    return true;
  };
  const string = (): boolean => {
    i++; // opening quote
    while (i < n) {
      const c = b[i]!;
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        const e = b[i + 1];
        if (e === 0x75) {
          for (let k = 2; k < 6; k++) {
            const h = b[i + k];
            if (h === undefined || !((h >= 0x30 && h <= 0x39) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66))) return false;
          }
          i += 6;
        } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) i += 2;
        else return false;
      } else i++;
    }
    return false;
  };
  const number = (): boolean => {
    if (b[i] === 0x2d) i++;
    if (b[i] === 0x30) i++;
    else if (!digits()) return false;
    if (b[i] === 0x2e) {
      i++;
      if (!digits()) return false;
    }
    if (b[i] === 0x65 || b[i] === 0x45) {
      i++;
      if (b[i] === 0x2b || b[i] === 0x2d) i++;
      if (!digits()) return false;
    }
    return true;
  };
  const value = (depth: number): boolean => {
    ws();
    const c = b[i];
    if (c === 0x7b || c === 0x5b) {
      if (depth >= MAX_DEPTH) return false;
      const close = c === 0x7b ? 0x7d : 0x5d;
      i++;
      ws();
      if (b[i] === close) {
        i++;
        return true;
      }
      for (;;) {
        if (c === 0x7b) {
          ws();
          if (b[i] !== 0x22 || !string()) return false;
          ws();
          if (b[i] !== 0x3a) return false;
          i++;
        }
        if (!value(depth + 1)) return false;
        ws();
        if (b[i] === 0x2c) {
          i++;
          continue;
        }
        if (b[i] !== close) return false;
        i++;
        return true;
      }
    }
    if (c === 0x22) return string();
    if (c === 0x74) return literal('true');
    if (c === 0x66) return literal('false');
    if (c === 0x6e) return literal('null');
    return number();
  };
  ws();
  if (b[i] !== 0x7b || !value(0)) return false;
  ws();
  return i === n;
}
