import { describe, expect, it } from 'vitest';
import { readSharedDataset } from '../testing/shared-datasets';
import {
  MINT_DEFAULT_BUDGET,
  MINT_FEEDBACK_SAMPLING,
  type MintObservation,
  mintToolsetDescription,
  pyFormat,
  renderMintFeedbackPrompt,
  renderMintFirstMessage,
  renderMintObservation,
} from './mint-prompt';
import { publishedRuns, readPublishedEpisodes } from './mint-published-runs';
import { mintDataset, parseMintItems } from './mint-tasks';
import { MINT_REASONING_EXAMPLE, MINT_WIKIPEDIA_TOOL } from './mint-templates';

describe('MINT prompt text', () => {
  it.each<[string, MintObservation, string]>([
    ['tool output', { observation: '42', success: false, turnInfo: [4, 2] }, 'Observation:\n42\nYou have 4 steps left and 2 chances to propose solution left.\n'],
    ['wrong proposal', { observation: null, success: false, turnInfo: [3, 1] }, 'Observation:\nYour answer is wrong.\nYou have 3 steps left and 1 chances to propose solution left.\n'],
    [
      'one step left',
      { observation: 'x', success: false, turnInfo: [1, 1] },
      'Observation:\nx\nYou have 1 steps left and 1 chances to propose solution left.\nYou should take the last step to propose a solution.\n',
    ],
    [
      'no step left',
      { observation: 'x', success: false, turnInfo: [0, 2] },
      'Observation:\nx\nYou have 0 steps left and 2 chances to propose solution left.\nYou should take the last step to propose a solution.\n',
    ],
    [
      'expert feedback',
      { observation: '3', success: false, turnInfo: [4, 2], feedback: 'This is GOOD.' },
      'Observation:\n3\nYou have 4 steps left and 2 chances to propose solution left.\n\nExpert feedback:\nThis is GOOD.\n',
    ],
    ['empty feedback renders nothing', { observation: '3', success: false, turnInfo: [4, 2], feedback: '' }, 'Observation:\n3\nYou have 4 steps left and 2 chances to propose solution left.\n'],
    ['accepted proposal shows no observation line', { observation: null, success: true, turnInfo: [3, 1] }, 'Observation:\nYou have 3 steps left and 1 chances to propose solution left.\n'],
  ])('renders the observation: %s', (_, output, expected) => {
    expect(renderMintObservation(output)).toBe(expected);
  });

  it('renders the first message exactly as the published Lemur run received it', () => {
    const run = publishedRuns().find((r) => r.model === 'lemur-70b-chat-v1' && !r.feedback)!;
    const items = parseMintItems('gsm8k', readSharedDataset({ dataset: mintDataset('gsm8k') }));
    const episode = readPublishedEpisodes(run, 'gsm8k')[0]!;
    const item = items.find((i) => i.upstreamId === episode.taskId)!;
    expect(renderMintFirstMessage(item, MINT_DEFAULT_BUDGET, false)).toEqual(episode.history[0]);
  });

  it('describes wikipedia_search for reasoning tasks and no tool for code tasks', () => {
    const reasoning = renderMintFirstMessage({ task: 'math', taskPrompt: 'T' }, { maxSteps: 3, maxProposeSolution: 1 }, false).content;
    const code = renderMintFirstMessage({ task: 'mbpp', taskPrompt: 'T' }, MINT_DEFAULT_BUDGET, true).content;
    expect(reasoning).toContain('You have 3 chances to interact with the environment or propose a solution. You can only propose a solution 1 times.\n\n');
    expect(reasoning).toContain(`[1] wikipedia_search(query: str) -> str\n${MINT_WIKIPEDIA_TOOL.description}\n\n\n---\n\n${MINT_REASONING_EXAMPLE}\n\n---\n\nTask:\nT\n`);
    expect(code).not.toContain('Tool function available');
    expect(code).toContain('Expert feedback:');
    expect(mintToolsetDescription([])).toBe('');
  });

  it('pyFormat inserts values verbatim and refuses a missing field', () => {
    expect(pyFormat('{a} and {b}', { a: '{b}', b: 2 })).toBe('{b} and 2');
    expect(() => pyFormat('{missing}', {})).toThrow(/missing/);
  });

  it('builds the no_GT feedback prompt from the trajectory after the task, never with the answer', () => {
    const first = renderMintFirstMessage({ task: 'gsm8k', taskPrompt: 'What is 6*7?' }, MINT_DEFAULT_BUDGET, true);
    const history = [first, { role: 'assistant' as const, content: 'Assistant:\n<execute> print(6*7) </execute>\n' }];
    const observation = renderMintObservation({ observation: '42', success: false, turnInfo: [4, 2] });
    const prompt = renderMintFeedbackPrompt({ task: 'gsm8k', history, observation }).content;
    expect(prompt.startsWith("You are an expert tasked with evaluating and providing feedback on an assistant's performance.\n\n---\nHere is an example.")).toBe(true);
    expect(prompt).toContain(`\n\nTask:\nWhat is 6*7?\n\nAssistant:\n<execute> print(6*7) </execute>\n\n${observation}\n\n`);
    expect(prompt).toContain('Correct solution (please DO NOT disclose the correct solution to the assistant): NOT GIVEN\n');
    expect(prompt.endsWith('Now provide your feedback.\nExpert feedback:\n')).toBe(true);
    // The example is cut at its own "Task:", the instructions before the first "---" never reach the feedback model.
    expect(prompt).not.toContain('You are a helpful assistant');
    expect(renderMintFeedbackPrompt({ task: 'gsm8k', history, observation, groundTruth: ' 42 ' }).content).toContain('assistant): 42\n');
    expect(MINT_FEEDBACK_SAMPLING.stop).toEqual(['\nObservation:', '\nTask:', '\nAssistant:']);
  });
});
