import { type ChatMessage, type SamplingDefaults } from '../benchmark';
import { sha256Hex } from '../hash';
import { type MintItem, type MintTaskName } from './mint-tasks';
import {
  MINT_FEEDBACK_PROMPT_TEMPLATE,
  MINT_HUMANEVAL_EXAMPLE,
  MINT_HUMANEVAL_EXAMPLE_WITH_FEEDBACK,
  MINT_INVALID_INPUT_MESSAGE,
  MINT_MBPP_EXAMPLE,
  MINT_MBPP_EXAMPLE_WITH_FEEDBACK,
  MINT_REASONING_EXAMPLE,
  MINT_REASONING_EXAMPLE_WITH_FEEDBACK,
  MINT_TOOL_PROMPT_TEMPLATE,
  MINT_WIKIPEDIA_TOOL,
} from './mint-templates';

/** An episode's budget (mint/configs/config_variables.py ENV_CONFIGS; count_down and use_tools are always on). */
export interface MintBudget {
  /** k: actions of any kind (execute, propose, invalid) before the episode ends. */
  maxSteps: number;
  maxProposeSolution: number;
}

/** The paper's setting `max5_p2+tool+cd`. */
export const MINT_DEFAULT_BUDGET: MintBudget = { maxSteps: 5, maxProposeSolution: 2 };

/** A tool function injected into the Python session, described in the first message. */
export interface MintTool {
  name: string;
  signature: string;
  description: string;
}

/** What `StepOutput.to_str` renders: the observation (null after a proposal), the turn info and any expert feedback. */
export interface MintObservation {
  observation: string | null;
  success: boolean;
  /** Steps left and proposals left. */
  turnInfo: [number, number];
  /** Expert feedback; an empty string renders nothing, as upstream. */
  feedback?: string;
}

/** Sampling of the evaluated model: VLLMAgent (Lemur's agent class) with MINT's defaults. */
export const MINT_AGENT_SAMPLING: SamplingDefaults = {
  maxTokens: 512,
  temperature: 0,
  topP: 1,
  stop: ['\nObservation:', '\nExpert feedback:', '\nTask:', '\n---', '\nHuman:'],
};

/** Sampling of the feedback model (OpenAIFeedbackAgent: its stop words replace the config's). */
export const MINT_FEEDBACK_SAMPLING: SamplingDefaults = { maxTokens: 1024, temperature: 0, topP: 1, stop: ['\nObservation:', '\nTask:', '\nAssistant:'] };

/** The text after "Observation:" when a proposed solution is wrong. */
export const MINT_WRONG_ANSWER = 'Your answer is wrong.';

/** sha256 over every template and example, so runs record exactly which protocol text they used. */
export const MINT_PROMPT_TEMPLATE_HASH = sha256Hex(
  JSON.stringify([
    MINT_TOOL_PROMPT_TEMPLATE,
    MINT_FEEDBACK_PROMPT_TEMPLATE,
    MINT_REASONING_EXAMPLE,
    MINT_REASONING_EXAMPLE_WITH_FEEDBACK,
    MINT_HUMANEVAL_EXAMPLE,
    MINT_HUMANEVAL_EXAMPLE_WITH_FEEDBACK,
    MINT_MBPP_EXAMPLE,
    MINT_MBPP_EXAMPLE_WITH_FEEDBACK,
    MINT_WIKIPEDIA_TOOL,
    MINT_INVALID_INPUT_MESSAGE,
    MINT_WRONG_ANSWER,
  ]),
);

/** The tools a task's session gets (TASK_TYPE_TO_TOOL_IMPORT): wikipedia_search for reasoning, none for code. */
export function mintTools(task: MintTaskName): MintTool[] {
  return task === 'humaneval' || task === 'mbpp' ? [] : [MINT_WIKIPEDIA_TOOL];
}

/** Port of `get_toolset_description` (mint/tools/__init__.py). */
export function mintToolsetDescription(tools: readonly MintTool[]): string {
  if (tools.length === 0) return '';
  return `Tool function available (already imported in <execute> environment):\n${tools.map((t, i) => `[${i + 1}] ${t.signature}\n${t.description}\n`).join('')}`;
}

/** The task's 1-shot example; the feedback variant also shows "Expert feedback:" turns. */
export function mintInContextExample(task: MintTaskName, withFeedback: boolean): string {
  if (task === 'humaneval') return withFeedback ? MINT_HUMANEVAL_EXAMPLE_WITH_FEEDBACK : MINT_HUMANEVAL_EXAMPLE;
  if (task === 'mbpp') return withFeedback ? MINT_MBPP_EXAMPLE_WITH_FEEDBACK : MINT_MBPP_EXAMPLE;
  return withFeedback ? MINT_REASONING_EXAMPLE_WITH_FEEDBACK : MINT_REASONING_EXAMPLE;
}

/** Python `str.format` for the templates' `{name}` fields (values are inserted verbatim, never re-read). */
export function pyFormat(template: string, values: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`template field {${name}} has no value`);
    return String(value);
  });
}

/** The first user message of an episode (GeneralEnv.reset). */
export function renderMintFirstMessage(item: Pick<MintItem, 'task' | 'taskPrompt'>, budget: MintBudget, withFeedback: boolean): ChatMessage {
  const content = pyFormat(MINT_TOOL_PROMPT_TEMPLATE, {
    max_total_steps: budget.maxSteps,
    max_propose_solution: budget.maxProposeSolution,
    tool_desc: mintToolsetDescription(mintTools(item.task)),
    in_context_example: mintInContextExample(item.task, withFeedback),
    task_prompt: `Task:\n${item.taskPrompt}`,
  });
  return { role: 'user', content };
}

/** Port of `StepOutput.to_str` (mint/datatypes.py) with count_down on. */
export function renderMintObservation(output: MintObservation): string {
  let text = 'Observation:\n';
  if (output.observation !== null) text += `${output.observation}\n`;
  else if (!output.success) text += `${MINT_WRONG_ANSWER}\n`;
  const [stepsLeft, proposalsLeft] = output.turnInfo;
  text += `You have ${stepsLeft} steps left and ${proposalsLeft} chances to propose solution left.\n`;
  if (stepsLeft <= 1) text += 'You should take the last step to propose a solution.\n';
  if (output.feedback !== undefined && output.feedback !== '') text += `\nExpert feedback:\n${output.feedback}\n`;
  return text;
}

/**
 * The feedback model's prompt (OpenAIFeedbackAgent.act): the example and the trajectory from "Task:" on, and the
 * observation the evaluated model is about to see (without feedback). `groundTruth` undefined is MINT's no_GT setting.
 */
export function renderMintFeedbackPrompt(args: {
  task: MintTaskName;
  history: readonly ChatMessage[];
  observation: string;
  groundTruth?: string;
}): ChatMessage {
  const prefix = 'Correct solution (please DO NOT disclose the correct solution to the assistant): ';
  const correctSolution = args.groundTruth ? `${prefix}${args.groundTruth.trim()}\n` : `${prefix}NOT GIVEN\n`;
  const first = args.history[0]?.content ?? '';
  let trajectory = `${first.split('---\n').slice(2).join('---\n')}\n`;
  trajectory += args.history.slice(1).map((m) => m.content).join('\n');
  trajectory += `\n${args.observation}`;
  const example = mintInContextExample(args.task, true);
  const content = pyFormat(MINT_FEEDBACK_PROMPT_TEMPLATE, {
    in_context_example: fromTask(example),
    trajectory: fromTask(trajectory),
    correct_solution: correctSolution,
    tool_desc: mintToolsetDescription(mintTools(args.task)),
  });
  return { role: 'user', content };
}

// Python's `s[s.find("Task:"):]`: when "Task:" is missing, find returns -1 and the slice keeps the last character.
function fromTask(text: string): string {
  const at = text.indexOf('Task:');
  return at < 0 ? text.slice(-1) : text.slice(at);
}
