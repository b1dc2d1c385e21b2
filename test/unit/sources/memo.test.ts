import { describe, expect, it } from 'vitest';
import { boundedMemo } from '../../../src/sources/memo.js';

describe('boundedMemo', () => {
  it('calls the function once per key, returns the same frozen result, and starts over when full', () => {
    const calls: string[] = [];
    const parse = boundedMemo((key: string) => {
      calls.push(key);
      return key === 'none' ? null : { key, length: key.length };
    }, 2);
    const a = parse('a');
    expect(parse('a')).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(parse('none')).toBeNull();
    expect(parse('none')).toBeNull();
    expect(calls).toEqual(['a', 'none']);
    // A third key finds the memo full: it is emptied, so 'a' is parsed again (an equal, new result).
    parse('b');
    const again = parse('a');
    expect(calls).toEqual(['a', 'none', 'b', 'a']);
    expect(again).toEqual(a);
  });
});
