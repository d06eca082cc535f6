import type { inferenceV1 } from '@lemur/proto';
import type { GrpcClient } from '@lemur/shared-grpc';
import type { ModelDirectory } from '../runs/start-run/start-run.usecase';

const TTL_MS = 5_000;

/** The models the inference service can route to, asked briefly cached so a burst of run requests costs one call. */
export class InferenceModelDirectory implements ModelDirectory {
  private cached: { at: number; names: Promise<string[]> } | undefined;

  constructor(private readonly client: Pick<GrpcClient<(typeof inferenceV1.InferenceService)['method']>, 'listModels'>) {}

  names(): Promise<string[]> {
    if (!this.cached || Date.now() - this.cached.at > TTL_MS) {
      const names = this.client.listModels({}, { deadlineMs: 5_000 }).then((r) => r.models.map((m) => m.name));
      names.catch(() => (this.cached = undefined));
      this.cached = { at: Date.now(), names };
    }
    return this.cached.names;
  }

  async has(model: string): Promise<boolean> {
    return (await this.names()).includes(model);
  }
}
