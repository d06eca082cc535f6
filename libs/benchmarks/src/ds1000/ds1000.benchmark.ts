import { MissingDatasetBenchmark } from '../dataset/missing-dataset.benchmark';

const FILE = 'ds1000/ds1000.jsonl.gz';
const URL = 'https://github.com/xlang-ai/DS-1000/raw/main/data/ds1000.jsonl.gz';

/** The file a DS-1000 run needs and where it is published; the loader's error says exactly this. */
export function ds1000Requirements(): string {
  return (
    `DS-1000 needs ${FILE} in the datasets folder (1,000 problems over seven Python libraries, each with its prompt, ` +
    `reference_code and code_context test program; published by xlang-ai/DS-1000 at ${URL}); ` +
    `no sha256 is pinned until a verified copy is added`
  );
}

/** DS-1000 (`ds1000@1.0.0`): registered by id; its data is not in the datasets directory yet. */
export const ds1000Benchmark = new MissingDatasetBenchmark({
  name: 'ds1000',
  version: '1.0.0',
  metric: 'pass@k',
  dataset: { name: FILE, files: [], license: 'as published by xlang-ai/DS-1000 (not verified here)', items: 1000 },
  sampling: { maxTokens: 1024, temperature: 0, topP: 1, stop: ['</code>', '# SOLUTION END'] },
  requirements: ds1000Requirements(),
  details: { file: FILE, url: URL },
});
