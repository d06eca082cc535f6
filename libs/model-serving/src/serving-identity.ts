import { fnv1a } from './hash';
import { type LemurModelSpec } from './lemur-model';

/** What a LemurModel serves, as the response cache and eval manifests name it. */
export interface ServingIdentity {
  /**
   * `<repo>@<revision>` for Hugging Face weights or `pvc:<claim>/<path>`, then `#` and a 16-hex hash of the engine
   * settings that change outputs: a change to either is another model as far as cached answers go.
   */
  identity: string;
  /** Why the same identity may serve other weights later (a branch or tag revision can move); undefined when pinned. */
  unpinned: string | undefined;
}

const COMMIT_SHA = /^[0-9a-f]{40}$/i;

/**
 * The serving identity of a spec. Only fields that change what the engine answers count: the image (vLLM version and
 * kernels), extra engine args (dtype, quantization, ...), the chat template, maxModelLen (truncation and refusals) and
 * the tensor-parallel degree (another reduction order can flip a greedy token). Replicas, resources, scheduling,
 * routing and autoscaling do not. A PVC counts as pinned: the operator promises not to change its files in place.
 */
export function servingIdentity(spec: Pick<LemurModelSpec, 'source' | 'engine'>): ServingIdentity {
  const { huggingFace, pvc } = spec.source;
  const weights = huggingFace ? `${huggingFace.repo}@${huggingFace.revision}` : `pvc:${pvc?.claimName ?? ''}/${(pvc?.path ?? '').replace(/^\/+/, '')}`;
  const { image, tensorParallelSize, maxModelLen, extraArgs, chatTemplate } = spec.engine;
  // Absent and default spell the same engine (no extra args, the model's own template), so they hash the same.
  const engine = fnv1a(JSON.stringify([image, tensorParallelSize, maxModelLen ?? null, extraArgs ?? [], chatTemplate || null]));
  const unpinned =
    huggingFace && !COMMIT_SHA.test(huggingFace.revision)
      ? `revision '${huggingFace.revision}' is not a commit sha; pin one to cache its answers`
      : undefined;
  return { identity: `${weights}#${engine}`, unpinned };
}
