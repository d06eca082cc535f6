/** A request to evaluate a model on a benchmark, as received (validated by the use case). */
export interface StartRunCommand {
  team: string;
  model: string;
  benchmark: string;
  limit: number;
  samplesPerItem: number;
  concurrency: number;
  chat: boolean;
  temperature?: number;
  maxTokens?: number;
  topP?: number;
  seed?: number;
}
