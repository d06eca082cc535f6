import { type SuiteDefinition, suiteMemberKey } from './suite';

const MINT_REASONING = ['mint-gsm8k', 'mint-math', 'mint-theoremqa', 'mint-hotpotqa', 'mint-mmlu'];
const MINT_CODE = ['mint-humaneval', 'mint-mbpp'];
const RADAR = 'OpenLemur/Lemur:assets/overall-perform.png axes, recomputed from MINT outputs in ../shared/research/lemur-evals.md §2b';

/**
 * The Lemur paper's whole evaluation suite (arXiv 2310.06830): the ids of its issue, in its order (plus BBH's
 * answer-only variant, which the issue names under `bbh`). The one place the
 * member list is defined; ids are resolved through the registry at run time.
 */
export const LEMUR_PAPER_SUITE: SuiteDefinition = {
  name: 'lemur-paper',
  description: "The Lemur paper's suite: text, code and agent benchmarks, with its aggregate axes",
  benchmarks: [
    'mmlu',
    'bbh',
    // The answer-only variant beside chain of thought: the paper's bbh.sh passes --no_cot, and which of the two its
    // BBH number is was not published, so both are run and reported apart.
    'bbh-direct',
    'gsm8k',
    'humaneval',
    'mbpp',
    'spider',
    'multipl-e',
    'ds1000',
    ...MINT_REASONING,
    ...MINT_CODE,
    'mint-alfworld',
    'intercode-sql',
    'intercode-bash',
    'intercode-ctf',
    'webarena',
  ],
  // MINT's feedback setting (F=gpt-4-0613/PHF=no_GT-textual) over the tasks the radar's feedback axes average.
  feedbackBenchmarks: [...MINT_REASONING, ...MINT_CODE],
  axes: [
    { name: 'tool-use', label: 'Tool augmentation', members: MINT_REASONING, source: `${RADAR} (instance-weighted: 31.65 for Lemur-70B-Chat)` },
    {
      name: 'self-debug',
      label: 'Self-debugging',
      members: ['intercode-sql', 'intercode-bash', ...MINT_CODE],
      source: `${RADAR}; membership inferred, the InterCode numbers are unpublished`,
    },
    {
      name: 'feedback-reasoning',
      label: 'Following NL feedback (reasoning)',
      members: MINT_REASONING.map((b) => suiteMemberKey(b, true)),
      source: `${RADAR} (instance-weighted; the radar's 35.76 for Lemur-70B-Chat matches the macro average, 32.59 micro)`,
    },
    { name: 'feedback-coding', label: 'Following NL feedback (coding)', members: MINT_CODE.map((b) => suiteMemberKey(b, true)), source: RADAR },
    { name: 'exploration-physical', label: 'Exploring physical environment (ALFWorld)', members: ['mint-alfworld'], source: RADAR },
    { name: 'exploration-digital', label: 'Exploring digital environment (CTF + WebArena)', members: ['intercode-ctf', 'webarena'], source: RADAR },
  ],
};

/** Every suite, by name. */
export const SUITES: readonly SuiteDefinition[] = [LEMUR_PAPER_SUITE];

/** A suite by name (case-insensitive), or undefined. */
export function findSuite(name: string): SuiteDefinition | undefined {
  return SUITES.find((s) => s.name === name.trim().toLowerCase());
}
