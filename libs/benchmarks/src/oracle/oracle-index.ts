import { type Benchmark } from '../benchmark';

/** A benchmark with the items it was loaded with. */
export interface OracleEntry {
  benchmark: Benchmark;
  items: readonly unknown[];
}

/** A found item and the benchmark that owns it. */
export interface OracleMatch {
  benchmark: Benchmark;
  item: { id: string };
}

/** Finds the benchmark item behind a prompt, for a simulator that answers with reference or wrong completions. */
export interface OracleIndex {
  lookup(promptText: string): OracleMatch | undefined;
  readonly size: number;
}

/**
 * Indexes items under their benchmark's oracle keys; a lookup tries each benchmark's probes of the prompt text
 * (the completion prompt, or the chat messages' contents joined), so each costs a few Map look-ups.
 */
export function createOracleIndex(entries: readonly OracleEntry[]): OracleIndex {
  const byBenchmark = entries.map(({ benchmark, items }) => {
    const keys = new Map<string, { id: string }>();
    for (const item of items as { id: string }[]) {
      for (const key of benchmark.oracleKeys(item)) keys.set(key, item);
    }
    return { benchmark, keys };
  });
  const size = entries.reduce((n, e) => n + e.items.length, 0);
  return {
    size,
    lookup(promptText: string): OracleMatch | undefined {
      for (const { benchmark, keys } of byBenchmark) {
        for (const probe of benchmark.oracleProbes(promptText)) {
          const item = keys.get(probe);
          if (item !== undefined) return { benchmark, item };
        }
      }
      return undefined;
    },
  };
}
