import type { MessageInitShape } from '@bufbuild/protobuf';
import type { evalV1 } from '@lemur/proto';

/** The run settings a REST body may carry (runs, suites and schedules share them). */
export interface RunSettingsBody {
  limit?: number;
  samples?: number;
  concurrency?: number;
  chat?: boolean;
  temperature?: number;
  maxTokens?: number;
  topP?: number;
  seed?: number;
  feedbackModel?: string;
}

/** A validated body's run settings as the eval service's RunConfig, with the API's defaults. */
export function runConfigOf(b: RunSettingsBody): MessageInitShape<typeof evalV1.RunConfigSchema> {
  return {
    limit: b.limit ?? 0,
    samplesPerItem: b.samples ?? 1,
    concurrency: b.concurrency ?? 0,
    chat: b.chat ?? false,
    ...(b.temperature !== undefined ? { temperature: b.temperature } : {}),
    ...(b.maxTokens !== undefined ? { maxTokens: b.maxTokens } : {}),
    ...(b.topP !== undefined ? { topP: b.topP } : {}),
    ...(b.seed !== undefined ? { seed: BigInt(b.seed) } : {}),
    ...(b.feedbackModel !== undefined ? { feedbackModel: b.feedbackModel } : {}),
  };
}
