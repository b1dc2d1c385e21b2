/**
 * A map built from untrusted keys (memory.stat lines, Docker stats maps, labels) must not let a
 * key named `__proto__` or `constructor` reach Object.prototype: null-prototype objects make
 * such keys ordinary, inert data.
 */
export function inertRecord<V>(): Record<string, V> {
  return Object.create(null) as Record<string, V>;
}

export function toInertRecord<V>(entries: Iterable<readonly [string, V]>): Record<string, V> {
  const out = inertRecord<V>();
  for (const [k, v] of entries) out[k] = v;
  return out;
}
