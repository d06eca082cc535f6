import { describe, expect, it } from 'vitest';
import { type LemurModelSpec } from './lemur-model';
import { servingIdentity } from './serving-identity';

const SHA = '0123456789abcdef0123456789abcdef01234567';

const spec: LemurModelSpec = {
  modelName: 'OpenLemur/lemur-70b-v1',
  source: { huggingFace: { repo: 'OpenLemur/lemur-70b-v1', revision: SHA } },
  engine: { image: 'vllm/vllm-openai:v0.11.0', tensorParallelSize: 4, maxModelLen: 4096, extraArgs: ['--dtype', 'bfloat16'], chatTemplate: '{{ messages }}' },
  minReplicas: 1,
  maxReplicas: 3,
};

describe('servingIdentity', () => {
  it('names Hugging Face weights repo@revision, then a hash of the engine settings', () => {
    const { identity, unpinned } = servingIdentity(spec);
    expect(identity).toMatch(new RegExp(`^OpenLemur/lemur-70b-v1@${SHA}#[0-9a-f]{16}$`));
    expect(unpinned).toBeUndefined();
  });

  it('names PVC weights by claim and path, and counts them as pinned', () => {
    const { identity, unpinned } = servingIdentity({ ...spec, source: { pvc: { claimName: 'weights', path: '/lemur/70b' } } });
    expect(identity).toMatch(/^pvc:weights\/lemur\/70b#[0-9a-f]{16}$/);
    expect(unpinned).toBeUndefined();
  });

  it.each([
    ['repo', { source: { huggingFace: { repo: 'OpenLemur/lemur-70b-v2', revision: SHA } } }],
    ['revision', { source: { huggingFace: { repo: 'OpenLemur/lemur-70b-v1', revision: SHA.replace('0', 'f') } } }],
    ['PVC claim', { source: { pvc: { claimName: 'other', path: '/lemur/70b' } } }],
    ['image', { engine: { ...spec.engine, image: 'vllm/vllm-openai:v0.11.1' } }],
    ['engine args', { engine: { ...spec.engine, extraArgs: ['--dtype', 'float16'] } }],
    ['quantization', { engine: { ...spec.engine, extraArgs: [...spec.engine.extraArgs!, '--quantization', 'fp8'] } }],
    ['chat template', { engine: { ...spec.engine, chatTemplate: '{{ messages[-1] }}' } }],
    ['maxModelLen', { engine: { ...spec.engine, maxModelLen: 8192 } }],
    ['tensor parallel size', { engine: { ...spec.engine, tensorParallelSize: 8 } }],
  ] satisfies [string, Partial<LemurModelSpec>][])('changes with the %s', (_field, change) => {
    expect(servingIdentity({ ...spec, ...change }).identity).not.toBe(servingIdentity(spec).identity);
  });

  it('ignores replicas, resources, scheduling, routing and autoscaling', () => {
    const other: LemurModelSpec = {
      ...spec,
      minReplicas: 0,
      maxReplicas: 9,
      nodeSelector: { 'nvidia.com/gpu.product': 'H100' },
      tolerations: [{ key: 'gpu', operator: 'Exists' }],
      routing: { policy: 'round-robin' },
      autoscaling: { scaleToZeroAfterSeconds: 60 },
      engine: { ...spec.engine, resources: { cpu: '8', memory: '64Gi' }, gpuMemoryUtilization: 0.8, shmSize: '32Gi', startupTimeoutSeconds: 60 },
    };
    expect(servingIdentity(other).identity).toBe(servingIdentity(spec).identity);
  });

  it('hashes absent extra args and chat template like their defaults', () => {
    const bare = { ...spec, engine: { image: spec.engine.image, tensorParallelSize: 4, maxModelLen: 4096 } };
    expect(servingIdentity({ ...bare, engine: { ...bare.engine, extraArgs: [], chatTemplate: '' } }).identity).toBe(servingIdentity(bare).identity);
  });

  it.each(['main', 'v1', 'refs/pr/3', SHA.slice(0, 12)])('calls revision %s unpinned, saying how to pin it', (revision) => {
    const { unpinned } = servingIdentity({ ...spec, source: { huggingFace: { repo: 'OpenLemur/lemur-70b-v1', revision } } });
    expect(unpinned).toBe(`revision '${revision}' is not a commit sha; pin one to cache its answers`);
  });
});
