import { MissingDatasetBenchmark } from '../dataset/missing-dataset.benchmark';

/**
 * The MultiPL-E languages reported beside Lemur (C++, Java, PHP, TypeScript, C#, Bash, as in the Code Llama comparison
 * the paper draws); the paper's exact language list is not published in its repository.
 */
export const MULTIPL_E_LANGUAGES: readonly string[] = ['cpp', 'java', 'php', 'ts', 'cs', 'sh'];
const HF_DATASET = 'https://huggingface.co/datasets/nuprl/MultiPL-E';

/** The files a MultiPL-E run needs and where they are published; the loader's error says exactly this. */
export function multiplERequirements(): string {
  const files = MULTIPL_E_LANGUAGES.map((l) => `multipl-e/humaneval-${l}.jsonl`);
  return (
    `MultiPL-E needs ${files.join(', ')} in the datasets folder: the test split of each "humaneval-<language>" ` +
    `configuration of the Hugging Face dataset nuprl/MultiPL-E (${HF_DATASET}, e.g. ${HF_DATASET}/tree/main/humaneval-cpp), ` +
    `one JSON object per line with its name, language, prompt, tests and stop_tokens (BSD-3-Clause with an ML-training restriction; ` +
    `evaluation is allowed); no sha256 is pinned until a verified copy is added`
  );
}

/** MultiPL-E (`multipl-e@1.0.0`): registered by id; its data is not in the datasets directory yet. */
export const multiplEBenchmark = new MissingDatasetBenchmark({
  name: 'multipl-e',
  version: '1.0.0',
  metric: 'pass@k',
  dataset: { name: 'multipl-e/', files: [], license: 'BSD-3-Clause (nuprl/MultiPL-E)', items: 161 * MULTIPL_E_LANGUAGES.length },
  // bigcode-harness defaults for MultiPL-E: greedy pass@1, 650 new tokens; each problem's own stop tokens apply.
  sampling: { maxTokens: 650, temperature: 0, topP: 1, stop: [] },
  requirements: multiplERequirements(),
  details: { files: MULTIPL_E_LANGUAGES.map((l) => `multipl-e/humaneval-${l}.jsonl`), url: HF_DATASET },
});
