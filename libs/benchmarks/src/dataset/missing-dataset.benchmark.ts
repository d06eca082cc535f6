import { type Benchmark, type DatasetSpec, type Prompt, type SamplingDefaults, type ScoreResult } from '../benchmark';
import { BenchmarkErrorCode, BenchmarkException } from '../benchmark.exception';
import { sha256Hex } from '../hash';

/** What a benchmark whose data is not in the datasets directory is registered with. */
export interface MissingDatasetBenchmarkSpec {
  name: string;
  version: string;
  metric: Benchmark['metric'];
  /** `files` stays empty until a verified copy is pinned, so nothing is resolved or downloaded. */
  dataset: DatasetSpec;
  sampling: SamplingDefaults;
  /** The loader's whole message: which files are needed, where each is published, where to put them. */
  requirements: string;
  details: Readonly<Record<string, unknown>>;
  /** Defaults to a hash of `requirements`; a benchmark whose prompts are already defined passes their hash. */
  promptTemplateHash?: string;
}

/**
 * A benchmark registered by id whose dataset is not available yet (like WebArena's task file): loading it fails with
 * DATASET_NOT_FOUND carrying `requirements`, so a run or a suite reports exactly what is missing instead of dropping it.
 */
export class MissingDatasetBenchmark implements Benchmark {
  readonly name: string;
  readonly version: string;
  readonly metric: Benchmark['metric'];
  readonly dataset: DatasetSpec;
  readonly sampling: SamplingDefaults;
  readonly promptTemplateHash: string;

  constructor(private readonly spec: MissingDatasetBenchmarkSpec) {
    this.name = spec.name;
    this.version = spec.version;
    this.metric = spec.metric;
    this.dataset = spec.dataset;
    this.sampling = spec.sampling;
    this.promptTemplateHash = spec.promptTemplateHash ?? sha256Hex(spec.requirements);
  }

  parse(): { id: string }[] {
    throw this.missing();
  }

  buildPrompt(): Prompt {
    throw this.missing();
  }

  async score(): Promise<ScoreResult> {
    throw this.missing();
  }

  referenceCompletion(): string {
    throw this.missing();
  }

  wrongCompletion(): string {
    throw this.missing();
  }

  oracleKeys(item: { id: string }): string[] {
    return [`${this.name}:${item.id}`];
  }

  oracleProbes(): string[] {
    return [];
  }

  protected missing(): BenchmarkException {
    return new BenchmarkException(BenchmarkErrorCode.DATASET_NOT_FOUND, this.spec.requirements, this.spec.details);
  }
}
