/**
 * A bounded memo for pure functions of a name or path that a node repeats in every capture
 * (cgroup paths, dockershim container names). The ingest Lambda reads a node's captures one
 * after another (an agent batch holds 15), so from the second capture on each of its ~440 paths
 * is a Map lookup instead of a parse. When full the memo starts over: memory stays bounded
 * whatever the input, and a miss only costs the parse it replaces. Results are frozen, as every
 * caller shares them.
 */
export function boundedMemo<T>(fn: (key: string) => T, maxEntries = 8192): (key: string) => T {
  const memo = new Map<string, T>();
  return (key) => {
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    const value = fn(key);
    if (memo.size >= maxEntries) memo.clear();
    memo.set(key, typeof value === 'object' && value !== null ? Object.freeze(value) : value);
    return value;
  };
}
