/** Bounds on untrusted input. One place, so the CLI flags and the Lambda env agree. */
export interface InputLimits {
  /** Maximum decompressed bytes of one capture bundle. */
  maxDecompressedBytes: number;
  /** Maximum nesting depth of JSON values. */
  maxJsonDepth: number;
  /** Maximum length of one line in a line-oriented source (docker stats, Prometheus text, memory.stat). */
  maxLineLength: number;
  /** Maximum containers (or cgroups, or docker rows) per source in one capture. */
  maxContainers: number;
}

export const DEFAULT_LIMITS: InputLimits = {
  maxDecompressedBytes: 256 * 1024 * 1024,
  maxJsonDepth: 64,
  maxLineLength: 64 * 1024,
  maxContainers: 10_000,
};
