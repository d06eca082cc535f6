import { type ChatMessage } from '../benchmark';

// Reads MINT's published `state.history` turns back into what the model wrote and what the environment observed.

/** The model's own text of an assistant turn (GeneralEnv.step prefixes "Assistant:\n" and appends "\n"). */
export function modelOutputOf(turn: ChatMessage): string {
  const body = turn.content.endsWith('\n') ? turn.content.slice(0, -1) : turn.content;
  return body.startsWith('Assistant:\n') ? body.slice('Assistant:\n'.length) : body;
}

/** Splits a published user turn back into the observation and the expert feedback it was rendered from. */
export function parseObservationTurn(content: string): { observation: string; feedback: string } | undefined {
  const m = /^Observation:\n([\s\S]*)You have \d+ steps left and \d+ chances to propose solution left\.\n(?:You should take the last step to propose a solution\.\n)?(?:\nExpert feedback:\n([\s\S]*)\n)?$/.exec(
    content,
  );
  if (m === null) return undefined;
  const observation = m[1]!;
  return { observation: observation.endsWith('\n') ? observation.slice(0, -1) : observation, feedback: m[2] ?? '' };
}
