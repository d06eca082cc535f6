import type { inferenceV1 } from '@lemur/proto';
import type { GrpcClient } from '@lemur/shared-grpc';
import type { ModelDirectory } from '../runs/start-run/start-run.usecase';

const TTL_MS = 5_000;

/** The models the inference service can route to, asked briefly cached so a burst of run requests costs one call. */
export class InferenceModelDirectory implements ModelDirectory {
  private cached: { at: number; models: Promise<inferenceV1.ModelInfo[]> } | undefined;

  constructor(private readonly client: Pick<GrpcClient<(typeof inferenceV1.InferenceService)['method']>, 'listModels'>) {}

  async names(): Promise<string[]> {
    return (await this.models()).map((m) => m.name);
  }

  async chatOnly(model: string): Promise<boolean> {
    return (await this.models()).find((m) => m.name === model)?.chat ?? false;
  }

  async revision(model: string): Promise<string> {
    return (await this.models()).find((m) => m.name === model)?.revision ?? '';
  }

  private models(): Promise<inferenceV1.ModelInfo[]> {
    if (!this.cached || Date.now() - this.cached.at > TTL_MS) {
      const models = this.client.listModels({}, { deadlineMs: 5_000 }).then((r) => r.models);
      models.catch(() => (this.cached = undefined));
      this.cached = { at: Date.now(), models };
    }
    return this.cached.models;
  }

  async has(model: string): Promise<boolean> {
    return (await this.names()).includes(model);
  }
}
