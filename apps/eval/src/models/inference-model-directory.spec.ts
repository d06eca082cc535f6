import { create } from '@bufbuild/protobuf';
import { inferenceV1 } from '@lemur/proto';
import { describe, expect, it } from 'vitest';
import { InferenceModelDirectory } from './inference-model-directory';

const listing = create(inferenceV1.ListModelsResponseSchema, {
  models: [
    { name: 'lemur-70b-chat', kind: 'openai', chat: true, revision: 'refs/pr/7@3f2a9c1' },
    { name: 'sim:oracle', kind: 'sim' },
  ],
});

describe('InferenceModelDirectory', () => {
  it("reads each model's revision from ListModels, '' for a model registered without one, with one call for a burst", async () => {
    let calls = 0;
    const directory = new InferenceModelDirectory({
      listModels: async () => {
        calls += 1;
        return listing;
      },
    });
    expect(await directory.revision('lemur-70b-chat')).toBe('refs/pr/7@3f2a9c1');
    expect(await directory.revision('sim:oracle')).toBe('');
    expect(await directory.chatOnly('lemur-70b-chat')).toBe(true);
    expect(await directory.has('sim:oracle')).toBe(true);
    expect(calls).toBe(1);
  });
});
