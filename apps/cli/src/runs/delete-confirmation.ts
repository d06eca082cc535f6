import { createInterface } from 'node:readline/promises';
import type { RunJson } from '../api/gateway-client';

/** Where a confirmation is asked: the user's input (a terminal or not) and where the question goes (stderr). */
export interface PromptStreams {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
}

/**
 * Throws unless someone can answer: without --yes, deleting needs a terminal to ask on. A script's stdin (a pipe, a
 * file, /dev/null) must not be read as consent, so it is refused before anything is sent.
 */
export function requireAnswerable(runId: string, yes: boolean, streams: PromptStreams): void {
  if (yes || streams.input.isTTY === true) return;
  throw new Error(`not deleting run ${runId}: stdin is not a terminal to confirm on; pass --yes to delete it without asking`);
}

/** One line saying what is about to go: the run, what it evaluated, its state and how many samples it holds. */
export function runDescription(run: RunJson): string {
  const samples = run.summary?.counts.total;
  return `run ${run.id} (${run.model} on ${run.benchmark}, ${run.status}${samples !== undefined ? `, ${samples} samples` : ''})`;
}

/** Asks `question [y/N]` on the streams; true only for y or yes, any case. End of input (Ctrl-D) is a no. */
export async function confirm(question: string, streams: PromptStreams): Promise<boolean> {
  const rl = createInterface({ input: streams.input, output: streams.output, terminal: false });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.once('close', () => resolve(''));
      rl.question(`${question} [y/N] `).then(resolve, () => resolve(''));
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
