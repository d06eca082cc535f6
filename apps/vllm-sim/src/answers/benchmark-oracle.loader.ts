import {
  benchmarkRef,
  createOracleIndex,
  DatasetResolver,
  listBenchmarks,
  loadBenchmarkItems,
  type OracleEntry,
} from '@lemur/benchmarks';
import { type OracleLookup } from './benchmark-answer.policy';

/** An oracle index with what went into it, for the start-up log. */
export interface LoadedOracle {
  index: OracleLookup;
  loaded: { benchmark: string; items: number }[];
  skipped: { benchmark: string; reason: string }[];
}

const cache = new Map<string, Promise<LoadedOracle>>();

async function load(datasetsDir: string): Promise<LoadedOracle> {
  const resolver = new DatasetResolver({ datasetsDir, online: false });
  const entries: OracleEntry[] = [];
  const loaded: LoadedOracle['loaded'] = [];
  const skipped: LoadedOracle['skipped'] = [];
  for (const benchmark of listBenchmarks()) {
    try {
      const { items } = await loadBenchmarkItems(benchmark, resolver);
      entries.push({ benchmark, items });
      loaded.push({ benchmark: benchmarkRef(benchmark), items: items.length });
    } catch (err) {
      // A missing dataset only disables that benchmark's answers; its prompts then get "I don't know.".
      skipped.push({ benchmark: benchmarkRef(benchmark), reason: (err as Error).message });
    }
  }
  return { index: createOracleIndex(entries), loaded, skipped };
}

/**
 * Loads every registered benchmark's items from `datasetsDir` once per process and indexes them, so simulators
 * started repeatedly (tests) share one index.
 */
export function loadOracleIndex(datasetsDir: string): Promise<LoadedOracle> {
  let pending = cache.get(datasetsDir);
  if (!pending) {
    pending = load(datasetsDir);
    cache.set(datasetsDir, pending);
    pending.catch(() => cache.delete(datasetsDir));
  }
  return pending;
}
