import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RawJson } from '../../../src/agent/raw-json.js';

const REAL = path.resolve(import.meta.dirname, '../../fixtures/real');

/** The reference: what JSON.parse accepts as one object. */
function parsesToObject(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('RawJson.object (the check that keeps spliced payloads from breaking the bundle)', () => {
  const accepted = (b: Buffer): boolean => RawJson.object(b) !== null;

  it('accepts every real JSON fixture that is an object, byte for byte as recorded', () => {
    const files = readdirSync(REAL).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) {
      const text = readFileSync(path.join(REAL, f), 'utf8');
      expect(accepted(bytes(text)), f).toBe(parsesToObject(text));
    }
  });

  it('accepts any JSON object, compact or indented', () => {
    fc.assert(fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (o) => accepted(bytes(JSON.stringify(o))) && accepted(bytes(JSON.stringify(o, null, 2)))));
  });

  it('refuses every truncation; on edits and noise it accepts exactly what parses to an object', () => {
    const doc = JSON.stringify({ a: [1, -2.5e3, true, null, 'x\\"y\u00e9'], b: { c: '' } });
    for (let i = 0; i < doc.length; i++) expect(accepted(bytes(doc.slice(0, i))), doc.slice(0, i)).toBe(false);
    fc.assert(
      fc.property(fc.nat({ max: doc.length - 1 }), fc.constantFrom(...'{}[]",:0-.eE\\ tfnx'.split('')), (at, ch) => {
        const edited = doc.slice(0, at) + ch + doc.slice(at + 1);
        return accepted(bytes(edited)) === parsesToObject(edited);
      }),
    );
    fc.assert(fc.property(fc.string(), (s) => accepted(bytes(s)) === parsesToObject(s)));
  });

  it('refuses what is JSON but not one object, and an HTML error page', () => {
    for (const t of ['[]', '"x"', '1', 'null', '{} {}', '{"a":1}x', '<html>502 Bad Gateway</html>', '', '{"a":01}', '{"a":1,}', '{"a":"\t"}']) {
      expect(accepted(bytes(t)), t).toBe(false);
      expect(parsesToObject(t), t).toBe(false);
    }
    expect(RawJson.object(bytes('[1]'))).toBeNull();
  });

  it('keeps the bytes and renders them through JSON.stringify as the parsed value', () => {
    const text = ' {"b": 2, "a": [1]}\n';
    const raw = RawJson.object(bytes(text))!;
    expect(raw.text).toBe(text);
    expect(JSON.stringify({ x: raw })).toBe('{"x":{"b":2,"a":[1]}}');
  });
});
