import { PlatformError } from '@lemur/shared-errors';
import {
  BenchmarkException,
  DatasetResolver,
  toPlatformErrorCode,
  benchmarkRef,
  getBenchmark,
  listBenchmarks,
  loadBenchmarkItems,
  type Benchmark,
  type DatasetResolverOptions,
  type LoadedBenchmarkItems,
} from '@lemur/benchmarks';

/** A benchmark with its verified items, loaded once per process. */
export interface LoadedBenchmark {
  benchmark: Benchmark;
  ref: string;
  loaded: LoadedBenchmarkItems<{ id: string }>;
}

/** Resolves benchmarks by name and loads (then caches) their dataset files. */
export class BenchmarkCatalog {
  private readonly resolver: DatasetResolver;
  private readonly cache = new Map<string, Promise<LoadedBenchmark>>();

  constructor(options: DatasetResolverOptions) {
    this.resolver = new DatasetResolver(options);
  }

  /** Throws a BENCHMARK_NOT_FOUND-style error naming the known benchmarks when `name` is unknown. */
  get(name: string): Benchmark {
    try {
      return getBenchmark(name);
    } catch (err) {
      throw toPlatform(err);
    }
  }

  list(): readonly Benchmark[] {
    return listBenchmarks();
  }

  load(name: string): Promise<LoadedBenchmark> {
    const benchmark = this.get(name);
    const ref = benchmarkRef(benchmark);
    let entry = this.cache.get(ref);
    if (!entry) {
      entry = loadBenchmarkItems(benchmark, this.resolver).then(
        (loaded) => ({ benchmark, ref, loaded }),
        (err: unknown) => {
          throw toPlatform(err);
        },
      );
      // A failed load (e.g. offline, file missing) is not cached, so a later run can succeed once the file is there.
      entry.catch(() => this.cache.delete(ref));
      this.cache.set(ref, entry);
    }
    return entry;
  }
}

function toPlatform(err: unknown): unknown {
  if (!(err instanceof BenchmarkException)) return err;
  return new PlatformError(toPlatformErrorCode(err.code), err.message, { field: 'benchmark', cause: err });
}
